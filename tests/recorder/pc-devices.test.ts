import { describe, expect, it } from 'vitest';
import { inputsAtStart } from '../../recorder/session';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Timeline } from '../../recorder/timeline';
import { DEFAULT_RAM_SIZE, Machine } from '../../emulator/machine';
import { saveCpuState, saveDevicesState } from '../../emulator/machine-state';
import { guestImage } from '../helpers/guests';
import { recordInMemory } from '../helpers/record-memory';
import { expectReplaysIdentically } from '../helpers/record-verify';
import { Prng } from '../helpers/prng';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { textToScancodes } from '../../emulator/devices/keyboard-layout';

/** CPU, RAM and every device (PIT, 8259s, I/O APIC, local APIC, ...). */
function fingerprint(m: Machine): string {
  return createHash('sha256').update(saveCpuState(m.cpu)).update(saveDevicesState(m)).update(m.cpu.ram).digest('hex');
}

/** The PC devices (PIT, 8259s, I/O APIC) under record, replay and seek, with pit-pic driving them. */
describe('PC devices in recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-pc-'));
  for (const mode of ['native', 'sw-033'] as const) {
    it(`pit-pic (${mode}) replays with every event identical`, () => {
      expectReplaysIdentically(dir, 'pit-pic', { mode, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000 });
    });
  }

  for (const name of ['boot-state', 'rtc', 'vga-debugcon']) {
    it(`${name} replays with every event identical`, () => {
      expectReplaysIdentically(dir, name, { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000 });
    });
  }

  it('seek(n) in rtc (periodic IRQ 8, halts across seconds) equals a plain machine that ran n instructions', () => {
    const image = guestImage('rtc');
    const { run } = recordInMemory(image, { snapshotInterval: 100_000_000 });
    const tl = new Timeline(run);
    for (const n of [run.finalIcount - 1, 600_000_000, 5_000, 1_000_000_123]) {
      if (n > run.finalIcount) continue;
      tl.seek(n);
      const m = new Machine(image);
      m.run(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(m));
    }
  });

  it('seek(n) in pit-pic equals a plain machine that ran n instructions, devices included', () => {
    const image = guestImage('pit-pic');
    const { run } = recordInMemory(image, { snapshotInterval: 100_000 });
    expect(run.snapshots.length).toBeGreaterThan(5);
    const tl = new Timeline(run);
    const rng = new Prng(14);
    for (let k = 0; k < 8; k++) {
      const n = rng.below(run.finalIcount);
      tl.seek(n);
      const m = new Machine(image);
      m.run(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(m));
    }
  });
});

describe('keyboard input in recordings', () => {
  it('typed keys are inputs of the trace: the replay sees the same scancodes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringside-kbd-'));
    const out = join(dir, 'kbd.sqlite');
    const rec = recordRun({ image: guestImage('kbd'), imageName: 'kbd.elf', out, options: { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000 }, inputs: inputsAtStart('keyboard', textToScancodes('Hi\n')) });
    expect(rec.result.reason).toBe('exit');
    const db = openTraceReadOnly(out);
    try {
      const bytes: number[] = [];
      const rep = replayRun(db, { verify: true, onUartByte: (b) => bytes.push(b) });
      expect(rep.mismatch).toBeNull();
      expect(Buffer.from(bytes).toString('latin1')).toContain('typed: 0x2a 0x23 0xa3 0xaa 0x17 0x97 0x1c 0x9c\n');
    } finally {
      closeTrace(db);
    }
  });
});
