import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Timeline } from '../../recorder/timeline';
import { Machine } from '../../emulator/machine';
import { saveCpuState } from '../../emulator/machine-state';
import { guestImage } from '../helpers/guests';
import { recordInMemory } from '../helpers/record-memory';
import { Prng } from '../helpers/prng';

function fingerprint(m: Machine): string {
  return createHash('sha256').update(saveCpuState(m.cpu)).update(m.cpu.ram).digest('hex');
}

describe('time travel', () => {
  const image = guestImage('minikernel');
  const { run } = recordInMemory(image, { snapshotInterval: 100_000, jitterSeed: 7 });

  it('records snapshots every interval and the jitter interrupts as inputs', () => {
    expect(run.snapshots.length).toBeGreaterThan(10);
    expect(run.snapshots[1].icount).toBe(100_000);
    expect(run.inputs.filter((i) => i.channel === 'irq').length).toBeGreaterThan(3);
  });

  it('seek(n) gives the state of a fresh run of n instructions, for random n in any order', () => {
    const tl = new Timeline(run);
    const rng = new Prng(99);
    for (let k = 0; k < 12; k++) {
      const n = rng.below(run.finalIcount);
      tl.seek(n);
      expect(tl.icount).toBe(n);
      // the reference: replay from the start with the same inputs, without snapshots
      const ref = new Timeline({ ...run, snapshots: run.snapshots.slice(0, 1) });
      ref.seek(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(ref.machine));
    }
  });

  it('seek(n) equals a plain machine that ran n instructions (a run without inputs)', () => {
    const plain = recordInMemory(image, { snapshotInterval: 100_000 }).run;
    const tl = new Timeline(plain);
    for (const n of [1_234_567, 345_678, 99_999, 100_000, 1_500_001]) {
      tl.seek(n);
      const m = new Machine(image);
      m.run(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(m));
    }
  });

  it('step back returns to the previous instruction', () => {
    const tl = new Timeline(run);
    tl.seek(250_123);
    const before = fingerprint(tl.machine);
    tl.step();
    expect(tl.icount).toBe(250_124);
    tl.stepBack();
    expect(tl.icount).toBe(250_123);
    expect(fingerprint(tl.machine)).toBe(before);
  });

  it('reverse-continue lands on the last execution of a breakpoint before the current point', () => {
    const tl = new Timeline(run);
    tl.seek(600_000);
    const target = tl.linearIp();
    tl.seek(900_000);
    tl.setBreakpoints([target]);
    expect(tl.reverseContinue()).toBe(true);
    expect(tl.linearIp()).toBe(target);
    const hit = tl.icount;
    expect(hit).toBeGreaterThanOrEqual(600_000);
    expect(hit).toBeLessThan(900_000);
    // continue from just after the hit runs forward to the next execution of the same address
    tl.step();
    expect(tl.continue()).toBe('breakpoint');
    expect(tl.icount).toBeGreaterThan(hit);
    expect(tl.linearIp()).toBe(target);
  });
});
