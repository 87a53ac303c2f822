import { describe, it, expect } from 'vitest';
import { recordRunInMemory } from '../../../recorder/diff/memory-run';
import { diffRuns } from '../../../recorder/diff/engine';
import { GuestCore, registerDifferences, pageDifferences, samePage, guestRamTop, type Difference } from '../../../recorder/diff/guest-state';
import { scenarioImage } from '../../../scenarios/scenarios';
import { Prng } from '../../helpers/prng';
import type { MemoryRun } from '../../../recorder/diff/memory-run';

/** The slow reference: both runs stepped one instruction at a time from 0, all written pages compared each step. */
function referenceFirst(a: MemoryRun, b: MemoryRun): number | null {
  const L = a.timeline, R = b.timeline;
  L.seek(0);
  R.seek(0);
  const ca = new GuestCore(), cb = new GuestCore();
  const end = Math.min(L.end, R.end);
  const top = Math.min(guestRamTop(L.machine), guestRamTop(R.machine)) >>> 12;
  for (let t = 1; t <= end; t++) {
    L.seek(t);
    R.seek(t);
    const d: Difference[] = [];
    registerDifferences(ca.read(L.machine), cb.read(R.machine), d);
    const wa = L.machine.cpu.pageWritten, wb = R.machine.cpu.pageWritten;
    for (let p = 0; p < top && d.length === 0; p++) {
      if ((wa[p] | wb[p]) !== 0 && !samePage(L.machine.cpu.ram, R.machine.cpu.ram, p)) pageDifferences(L.machine.cpu.ram, R.machine.cpu.ram, p, d);
    }
    if (d.length > 0) return t;
  }
  return L.end !== R.end ? end : null;
}

describe('diff engine', () => {
  it('finds no divergence between two identical runs', () => {
    const img = scenarioImage('interrupts');
    const a = recordRunInMemory(img, { mode: 'native', snapshotInterval: 50_000 }, 'a');
    const b = recordRunInMemory(img, { mode: 'native', snapshotInterval: 50_000 }, 'b');
    const r = diffRuns(a, b);
    expect(r.first).toBeNull();
    expect(r.compared.points).toBeGreaterThan(2); // the snapshot points carried the comparison
  });

  it('puts two runs with different jitter seeds apart at the first injected interrupt', () => {
    const img = scenarioImage('minikernel');
    const a = recordRunInMemory(img, { mode: 'native', jitterSeed: 1 }, 'seed 1', [], 1_500_000);
    const b = recordRunInMemory(img, { mode: 'native', jitterSeed: 2 }, 'seed 2', [], 1_500_000);
    const firstIrq = Math.min(...[a, b].map((r) => r.recorded.inputs.find((i) => i.channel === 'irq')?.icount ?? Infinity));
    expect(firstIrq).toBeLessThan(1_500_000);
    const r = diffRuns(a, b, { maxLater: 0 });
    expect(r.first).not.toBeNull();
    // The interrupt enters the handler before the instruction with its count: that instruction is the handler's first.
    expect(r.first?.icount).toBe(firstIrq + 1);
    expect(r.first?.differences.some((d) => d.name === 'eip' || d.name === 'esp')).toBe(true);
  });

  it('agrees with an instruction-by-instruction reference on random injection points', () => {
    const img = scenarioImage('interrupts');
    const rng = new Prng(12);
    for (let k = 0; k < 3; k++) {
      const at = 1000 + (rng.next() % 40_000);
      const a = recordRunInMemory(img, { mode: 'native', snapshotInterval: 10_000 }, 'plain', [], 60_000);
      const b = recordRunInMemory(img, { mode: 'native', snapshotInterval: 10_000 }, `irq at ${at}`, [{ icount: at, channel: 'irq', value: 0x20 }], 60_000);
      const fast = diffRuns(a, b, { maxLater: 0 });
      const slow = referenceFirst(a, b);
      expect(slow, `injection at ${at}`).not.toBeNull();
      expect(fast.first?.icount ?? null, `injection at ${at}`).toBe(slow);
    }
  });
});
