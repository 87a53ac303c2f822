/**
 * Child process of kill.test.ts: records synthetic events through the writer's thread, with an
 * input every 2,000 events, printing after every 1,000 events how many the thread has
 * committed, until it is killed.
 * Usage: node --import tsx tests/recorder/writer/kill-child.ts TRACE
 */
import { writeSync } from 'node:fs';
import { ThreadWriter } from '../../../recorder/writer/thread-writer';
import { SAMPLE_RUN, syntheticEvents } from '../store/helpers';

const writer = new ThreadWriter(process.argv[2], SAMPLE_RUN, { batchEvents: 1000 });
let n = 0;
for (const e of syntheticEvents(50_000_000)) {
  writer.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text);
  if (++n % 1000 === 0) {
    if (n % 2000 === 0) writer.input({ icount: e.icount, channel: 'uart', value: n & 0xff });
    writeSync(1, `committed ${writer.committed}\n`);
  }
}
