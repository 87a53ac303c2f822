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

  /**
   * A flat guest that reads the UART's receive register into AL and clears EAX on the next
   * instruction: fed different bytes, two runs differ in EAX after instruction 5003 only (5,000
   * LOOPs before it), never in memory or control flow.
   */
  const TRANSIENT = Uint8Array.from([
    0xb9, 0x88, 0x13, 0x00, 0x00, // mov ecx, 5000
    0xe2, 0xfe, // loop $
    0x66, 0xba, 0xf8, 0x03, // mov dx, 0x3f8
    0xec, // in al, dx           (instruction 5003: EAX differs)
    0x31, 0xc0, // xor eax, eax  (5004: the same again)
    0xb9, 0x88, 0x13, 0x00, 0x00, // mov ecx, 5000
    0xe2, 0xfe, // loop $
    0x66, 0xba, 0xf4, 0x00, // mov dx, 0xf4
    0xb0, 0x00, // mov al, 0
    0xee, // out dx, al (exit)
    0xf4, // hlt
  ]);
  const transientPair = (snapshotInterval: number) => {
    const over = { mode: 'native', flatAddress: 0x100000, snapshotInterval };
    const a = recordRunInMemory(TRANSIENT, over, 'A', [{ icount: 100, channel: 'uart', value: 0x41 }]);
    const b = recordRunInMemory(TRANSIENT, over, 'B', [{ icount: 100, channel: 'uart', value: 0x42 }]);
    return [a, b] as const;
  };

  it('finds a register difference that lasts one instruction inside the stepped interval', () => {
    const [a, b] = transientPair(1_000_000); // one interval: the whole run is stepped
    expect(a.endReason).toBe('exit');
    expect(a.recorded.finalIcount).toBe(b.recorded.finalIcount);
    const r = diffRuns(a, b, { maxLater: 0 });
    expect(r.first?.icount).toBe(5003); // not a multiple of the 1,024-instruction chunk
    expect(r.first?.differences).toEqual([{ kind: 'register', name: 'eax', left: 0x41, right: 0x42 }]);
    expect(r.first?.icount).toBe(referenceFirst(a, b));
  });

  it('does not see it inside an earlier snapshot interval whose two ends agree (documented)', () => {
    const [a, b] = transientPair(2000); // 4000 and 6000 agree around 5003
    expect(referenceFirst(a, b)).toBe(5003);
    expect(diffRuns(a, b, { maxLater: 0 }).first).toBeNull();
  });
});
