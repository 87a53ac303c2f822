/** Records a guest in memory (no SQLite): events, inputs and snapshots, for recorder tests. */
import { Session, buildMachine, inputsAtStart, type Input, type RunOptions } from '../../recorder/session';
import { takeSnapshot } from '../../recorder/snapshotter';
import type { RecordedRun } from '../../recorder/timeline';
import type { SnapshotContent } from '../../recorder/store';
import type { TraceEvent } from '../../recorder/events';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';

export function recordInMemory(image: Uint8Array, over: Partial<RunOptions> = {}, uartInput: number[] = []) {
  const options: RunOptions = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 100_000, ...over };
  const events: TraceEvent[] = [];
  const snapshots: SnapshotContent[] = [];
  const inputs: Input[] = inputsAtStart('uart', uartInput);
  const recorded: Input[] = [];
  const session = new Session(buildMachine(image, options), options, (e) => events.push(e), inputs, {
    snapshot: (m) => snapshots.push(takeSnapshot(m, snapshots.length === 0)),
    input: (i) => recorded.push(i),
  }, true);
  const result = session.run(options.maxInstructions ?? Infinity);
  session.end(result);
  const run: RecordedRun = { image, options, inputs: recorded, snapshots, finalIcount: result.icount };
  return { run, events, result };
}
