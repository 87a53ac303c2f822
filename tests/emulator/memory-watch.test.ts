import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Machine } from '../../emulator/machine';
import { MemoryWatch } from '../../emulator/memory-watch';
import { TLB_READ_WATCH } from '../../emulator/cpu/cpu';
import { saveCpuState } from '../../emulator/machine-state';
import { guestLinearIp } from '../../emulator/guest-view';
import { scenarioImage } from '../../scenarios/scenarios';

const image = scenarioImage('minikernel');
const fingerprint = (m: Machine) => createHash('sha256').update(saveCpuState(m.cpu)).update(m.cpu.ram).digest('hex');

describe('memory watchpoints', () => {
  const probe = new Machine(image);
  const counter = probe.symbols.addressOf('lines_written')!;
  const done = probe.symbols.addressOf('sys_write.done')!;

  for (const kind of ['write', 'read', 'access'] as const) {
    it(`${kind === 'access' ? 'an' : 'a'} ${kind} watchpoint stops the loop after the instruction that ${kind === 'read' ? 'read' : 'touched'} the range, and changes nothing else`, () => {
      const m = new Machine(image);
      const w = new MemoryWatch(m);
      w.set([{ address: counter, length: 4, kind }]);
      w.arm();
      expect(m.executor.run(Infinity)).toBe('watchpoint');
      w.disarm();
      expect(w.hit).toEqual({ address: counter, length: 4, kind });
      expect(guestLinearIp(m)).toBe(done + 6); // after `inc dword [lines_written]`, which reads and writes
      // the same point as a run that watched nothing, and the fast paths are back
      const plain = new Machine(image);
      plain.run(m.cpu.icount);
      expect(fingerprint(m)).toBe(fingerprint(plain));
      expect(m.cpu.readWatchPage.every((b) => b === 0)).toBe(true);
      expect(m.cpu.tlb.some((e) => (e & TLB_READ_WATCH) !== 0)).toBe(false);
    });
  }

  it('a read watchpoint ignores writes, a write watchpoint ignores reads', () => {
    const m = new Machine(image);
    const w = new MemoryWatch(m);
    // The kernel's `current` is read often; only a process switch writes it.
    const current = m.symbols.addressOf('current')!;
    w.set([{ address: current, length: 4, kind: 'write' }]);
    w.arm();
    expect(m.executor.run(Infinity)).toBe('watchpoint');
    const written = m.cpu.icount;
    w.disarm();
    const r = new Machine(image);
    const rw = new MemoryWatch(r);
    rw.set([{ address: current, length: 4, kind: 'read' }]);
    rw.arm();
    expect(r.executor.run(Infinity)).toBe('watchpoint');
    rw.disarm();
    expect(r.cpu.icount).not.toBe(written);
  });
});
