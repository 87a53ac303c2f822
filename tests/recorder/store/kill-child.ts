/**
 * Child process of kill.test.ts: records synthetic events into a trace, batch after batch,
 * printing the number of committed events after each batch, until it is killed.
 * Usage: node --import tsx tests/recorder/store/kill-child.ts TRACE
 */
import { writeSync } from 'node:fs';
import { openTrace } from '../../../recorder/store/open-trace';
import { createRun } from '../../../recorder/store/create-run';
import { EventWriter } from '../../../recorder/store/append-events';
import { SAMPLE_RUN, syntheticEvents } from './helpers';

const db = openTrace(process.argv[2], { create: true });
const run = createRun(db, SAMPLE_RUN);
const writer = new EventWriter(db, run, { batchEvents: 1000 });
let n = 0;
for (const e of syntheticEvents(50_000_000)) {
  writer.add(e);
  if (++n % 1000 === 0) {
    if (n % 2000 === 0) writer.addInput({ icount: e.icount, channel: 'uart', value: n & 0xff });
    writeSync(1, `committed ${writer.count}\n`); // add() flushed the batch before returning
  }
}
