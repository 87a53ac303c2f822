/**
 * The diff's benchmark line: two long recorded runs of bench-loop (one with a late injected
 * interrupt), diffed; prints the instructions, the seconds and what the engine stepped (the
 * snapshot points carry the comparison; only one interval is stepped in lockstep).
 */
import { performance } from 'node:perf_hooks';
import { recordRunInMemory } from '../recorder/diff/memory-run';
import { diffRuns } from '../recorder/diff/engine';

export function benchDiff(guest: (name: string) => Uint8Array, line: (s: string) => void): void {
  const image = guest('bench-loop');
  const keep = () => false; // events are not needed to find the divergence
  const left = recordRunInMemory(image, { mode: 'native' }, 'left', [], Infinity, keep);
  const n = left.recorded.finalIcount;
  const at = Math.floor(n * 0.9);
  const right = recordRunInMemory(image, { mode: 'native' }, 'right', [{ icount: at, channel: 'irq', value: 0x20 }], Infinity, keep);
  const t0 = performance.now();
  const same = diffRuns(left, recordRunInMemory(image, { mode: 'native' }, 'again', [], Infinity, keep), { maxLater: 0 });
  const t1 = performance.now();
  const apart = diffRuns(left, right, { maxLater: 0 });
  const t2 = performance.now();
  line(`diff: bench-loop ${(n / 1e6).toFixed(0)} M instructions, identical pair ${((t1 - t0) / 1000).toFixed(2)} s (${same.first === null ? 'same' : 'DIVERGES'}, ${same.compared.points} snapshot points); pair with an interrupt at ${at}: ${((t2 - t1) / 1000).toFixed(2)} s (first divergence at ${apart.first?.icount ?? 'none'}, ${apart.compared.steppedInstructions} instructions stepped)`);
}
