/**
 * The diff's benchmark line: long recorded runs of bench-loop diffed (recording excluded from
 * the times): an identical pair, where the snapshot points carry the whole comparison, and a
 * pair whose right run stops 10% early at an odd count, where the last common interval is
 * stepped in lockstep before the engine reports the different end.
 */
import { performance } from 'node:perf_hooks';
import { recordRunInMemory } from '../recorder/diff/memory-run';
import { diffRuns } from '../recorder/diff/engine';

export function benchDiff(guest: (name: string) => Uint8Array, line: (s: string) => void): void {
  const image = guest('bench-loop');
  const keep = () => false; // events are not needed to find the divergence
  const left = recordRunInMemory(image, { mode: 'native' }, 'left', [], Infinity, keep);
  const n = left.recorded.finalIcount;
  const again = recordRunInMemory(image, { mode: 'native' }, 'again', [], Infinity, keep);
  const stop = Math.floor(n * 0.9) + 1234567;
  const short = recordRunInMemory(image, { mode: 'native' }, 'short', [], stop, keep);
  const t0 = performance.now();
  const same = diffRuns(left, again, { maxLater: 0 });
  const t1 = performance.now();
  const apart = diffRuns(left, short, { maxLater: 0 });
  const t2 = performance.now();
  line(`diff: bench-loop, ${(n / 1e6).toFixed(0)} M instructions: identical pair ${((t1 - t0) / 1000).toFixed(2)} s (${same.first === null ? 'same' : 'DIVERGES'}, ${same.compared.points} snapshot points); right run stopped at ${stop}: ${((t2 - t1) / 1000).toFixed(2)} s (divergence at ${apart.first?.icount ?? 'none'}, ${apart.compared.steppedInstructions} instructions stepped)`);
}
