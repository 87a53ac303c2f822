/** A recording whose writer runs on its own thread, killed with SIGKILL, keeps every batch the thread committed. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { listRuns } from '../../../recorder/store/list-runs';
import { readEvents } from '../../../recorder/store/read-events';
import { readInputs } from '../../../recorder/store/read-inputs';
import { recordAndKill, siblings, syntheticEvents, tempDir } from '../store/helpers';

describe('a recording through the writer thread killed with SIGKILL', () => {
  it('keeps every batch the thread committed, whole batches only, and reads as incomplete', async () => {
    const trace = join(tempDir('writer-kill'), 'killed.sqlite');
    const reported = await recordAndKill('tests/recorder/writer/kill-child.ts', trace, 30_000);
    expect(reported).toBeGreaterThanOrEqual(30_000);
    expect(siblings(trace)).toContain('killed.sqlite-wal'); // the batches live in the WAL: no checkpoint ran

    const db = openTraceReadOnly(trace);
    const [run] = listRuns(db);
    expect(run.complete).toBe(false);
    expect(run.storedEvents).toBeGreaterThanOrEqual(reported);
    expect(run.storedEvents % 1000).toBe(0);
    const stored = [...readEvents(db, run.id)];
    expect(stored).toEqual([...syntheticEvents(run.storedEvents)]);
    // The input added after event 2000k goes with the batch after it (events 2000k+1 .. 2000k+1000).
    expect(readInputs(db, run.id).length).toBe(Math.floor((run.storedEvents - 1000) / 2000));
    closeTrace(db);

    const rw = openTrace(trace, { create: false });
    expect(listRuns(rw)[0].storedEvents).toBe(run.storedEvents);
    closeTrace(rw);
    expect(siblings(trace)).toEqual(['killed.sqlite']);
  });
});
