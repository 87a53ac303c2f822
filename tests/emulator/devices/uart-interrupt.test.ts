import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Machine, MACHINE_REVISION } from '../../../emulator/machine';
import { Uart16550 } from '../../../emulator/devices/uart16550';
import { sealState } from '../../../emulator/state/codec';
import { recordRun } from '../../../recorder/record';
import { replayRun } from '../../../recorder/replay';
import { openTraceReadOnly, closeTrace } from '../../../recorder/store';
import { DEFAULT_SNAPSHOT_INTERVAL, inputsAtStart } from '../../../recorder/session';
import { testGuestImage } from '../../helpers/guests';
import { copyThroughState } from '../../helpers/copy-machine';

const INPUT = new TextEncoder().encode('ring\n');

function runGuest(revision?: number, cut?: number): { out: string; reason: string; waitingAtCut: boolean } {
  let out = '';
  let waitingAtCut = false;
  const make = () => new Machine(testGuestImage('uart-irq'), { revision, onUartByte: (b) => (out += String.fromCharCode(b)) });
  let m = make();
  m.uart.feed(INPUT);
  if (cut !== undefined) {
    m.run(cut);
    waitingAtCut = m.uart.nextDeadline() !== Infinity;
    m = copyThroughState(m, make); // the paced byte on its way survives a snapshot
  }
  const reason = m.run(50_000_000).reason;
  return { out, reason, waitingAtCut };
}

describe('COM1 interrupt line (machine revision 2)', () => {
  it('raises IRQ 4 for each byte as it arrives, one character time after the last was taken, and wakes a halted CPU', () => {
    const r = runGuest();
    expect(r.reason).toBe('exit');
    // The 8259 latched the edge of the byte polled before IRQ 4 was unmasked: one interrupt finds nothing.
    expect(r.out).toBe(
      'uart-irq: serial input by interrupt\npolled: r\n' +
        'irq 4, iir 0x04: i\nirq 4, iir 0x04: n\nirq 4, iir 0x04: g\nirq 4, iir 0x04: newline\ninterrupts: 5\n',
    );
  });

  it('keeps the machine of revision 1 (no interrupt line, every byte there at once) for runs recorded on it', () => {
    const r = runGuest(1);
    expect(r.out).toBe('uart-irq: serial input by interrupt\npolled: r\n');
    expect(r.reason).toBe('halt'); // no interrupt can come: halted for good
  });

  it('carries a byte still on its way through a snapshot of the machine', () => {
    const whole = runGuest().out;
    for (const cut of [120_000, 200_000, 300_000]) {
      const r = runGuest(undefined, cut);
      expect(r.waitingAtCut, `a byte on its way at ${cut}`).toBe(true);
      expect(r.out, `cut at ${cut}`).toBe(whole);
    }
  });

  it('paces the line by the divisor latch: 10 bits at 115200 / divisor baud, 1 ns an instruction', () => {
    let now = 0;
    const lines: boolean[] = [];
    const u = new Uart16550(() => {}, Uart16550.COM1, (high) => lines.push(high), () => now);
    u.portOut(Uart16550.COM1 + 3, 0x80, 1); // DLAB
    u.portOut(Uart16550.COM1 + 0, 12, 1); // 9600 baud
    u.portOut(Uart16550.COM1 + 3, 0x03, 1);
    u.portOut(Uart16550.COM1 + 1, 0x01, 1); // received-data interrupt
    u.feed(Uint8Array.of(0x61, 0x62));
    expect(lines).toEqual([true]);
    expect(u.portIn(Uart16550.COM1, 1)).toBe(0x61);
    expect(lines).toEqual([true, false]);
    expect(u.nextDeadline()).toBe(Math.round((10 * 12 * 1e9) / 115200));
    expect(u.portIn(Uart16550.COM1 + 5, 1) & 1).toBe(0); // LSR: nothing there yet
    now = u.nextDeadline();
    u.advance(now);
    expect(lines).toEqual([true, false, true]);
    expect(u.portIn(Uart16550.COM1, 1)).toBe(0x62);
    expect(u.nextDeadline()).toBe(Infinity);
  });

  it('loads a state of format 1 (saved before the line was paced): every queued byte is there at once', () => {
    // Format 1: the fields of format 2 without the arrival flag and time.
    const v1 = sealState('U550', 1, (w) => {
      w.f64(Uart16550.COM1);
      w.u32(256);
      w.bytes(Uint8Array.of(0x61, 0x62));
      w.bytes(new Uint8Array(16));
      w.u8(0);
      w.u8(0);
      for (const v of [12, 1, 0, 3, 8, 0, 0, 0, 0]) w.f64(v); // divisor, IER (data interrupt), FCR, LCR, MCR, ...
      w.bool(false);
    });
    const lines: boolean[] = [];
    const u = new Uart16550(() => {}, Uart16550.COM1, (high) => lines.push(high), () => 0);
    u.loadState(v1);
    expect(u.nextDeadline()).toBe(Infinity);
    expect(u.portIn(Uart16550.COM1, 1)).toBe(0x61);
    expect(u.nextDeadline()).toBeGreaterThan(0); // from here on the line paces the second byte
    expect(() => u.loadState(sealState('U550', 3, () => {}))).toThrow(/UART state: unsupported format version 3 \(this build reads 1 to 2\)/);
  });

  it('records the machine revision with the run; replay rebuilds that machine, and a run stored without one gets revision 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringside-uart-irq-'));
    try {
      const out = join(dir, 'uart-irq.sqlite');
      const options = { mode: 'native', cmdline: '', ramSize: 128 << 20, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };
      const rec = recordRun({ image: testGuestImage('uart-irq'), imageName: 'uart-irq.elf', out, options, inputs: inputsAtStart('uart', INPUT) });
      expect(rec.result.reason).toBe('exit');
      const raw = new Database(out, { readonly: true });
      expect(JSON.parse(raw.prepare('SELECT options FROM runs').pluck().get() as string).machineRevision).toBe(MACHINE_REVISION);
      raw.close();
      const replayed = () => {
        const db = openTraceReadOnly(out);
        try {
          return replayRun(db, { verify: true });
        } finally {
          closeTrace(db);
        }
      };
      const setOptions = (expr: string) => {
        const rw = new Database(out);
        rw.prepare(`UPDATE runs SET options = ${expr}`).run();
        rw.close();
      };
      const rep = replayed();
      expect(rep.mismatch).toBeNull();
      expect(rep.result.icount).toBe(rec.result.icount);
      // The same run as a build before revisions stored it: replay runs it on revision 1 and the
      // stored events (recorded on the current revision) no longer match: the revision is what replay rebuilds.
      setOptions("json_remove(options, '$.machineRevision')");
      expect(replayed().mismatch).not.toBeNull();
      // A revision this build does not have is refused as damage, in one line.
      setOptions("json_set(options, '$.machineRevision', 99)");
      expect(replayed).toThrow(/^[^\n]*options\.machineRevision 99 is not a machine revision of this build \(1 to \d+\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
