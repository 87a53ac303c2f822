/**
 * A writer's thread that ends without a word (the engine stops it: out of memory, terminated)
 * does not leave the recording waiting for ever: the next wait finds the thread gone and fails
 * with one line, and the trace keeps what was committed before.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ThreadWriter } from '../../../recorder/writer/thread-writer';
import { SLOTS } from '../../../recorder/writer/channel';
import { openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { listRuns } from '../../../recorder/store/list-runs';
import { SAMPLE_RUN, syntheticEvents, tempDir } from '../store/helpers';

describe.skipIf(!existsSync('/proc/thread-self'))('a writer thread that ends without saying why', () => {
  it('makes the recording fail with one line instead of waiting for ever', async () => {
    const trace = join(tempDir('writer-gone'), 'gone.sqlite');
    const batch = 10;
    const w = new ThreadWriter(trace, SAMPLE_RUN, { batchEvents: batch });
    const events = [...syntheticEvents(batch * (SLOTS + 4))];
    const put = (k: number) => {
      const e = events[k];
      w.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text);
    };
    for (let k = 0; k < batch; k++) put(k);
    while (w.committed < batch) await new Promise((r) => setTimeout(r, 10));
    // The engine stops the thread: no JavaScript of it runs again, no error is posted.
    await (w as unknown as { worker: Worker }).worker.terminate();
    const t0 = performance.now();
    let error: Error | undefined;
    try {
      for (let k = batch; k < events.length; k++) put(k); // fills the slots, then waits
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/gone\.sqlite: the trace writer's thread ended without saying why/);
    expect(error?.message).not.toContain('\n');
    expect(performance.now() - t0).toBeLessThan(10_000);
    const db = openTraceReadOnly(trace);
    expect(listRuns(db)[0]).toMatchObject({ complete: false, storedEvents: batch });
    closeTrace(db);
  }, 30_000);
});
