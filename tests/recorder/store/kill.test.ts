import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { readRun } from '../../../recorder/store/read-run';
import { listRuns } from '../../../recorder/store/list-runs';
import { readEvents } from '../../../recorder/store/read-events';
import { readInputs } from '../../../recorder/store/read-inputs';
import { recordAndKill, siblings, syntheticEvents, tempDir } from './helpers';

describe('a recording killed with SIGKILL', () => {
  it('keeps every committed batch and reads as incomplete', async () => {
    const trace = join(tempDir('kill'), 'killed.sqlite');
    const reported = await recordAndKill('tests/recorder/store/kill-child.ts', trace, 20_000);
    expect(reported).toBeGreaterThanOrEqual(20_000);
    expect(siblings(trace)).toContain('killed.sqlite-wal'); // the batches live in the WAL: no checkpoint ran

    const db = openTraceReadOnly(trace);
    const [run] = listRuns(db);
    expect(run.complete).toBe(false);
    expect(run.endReason).toBeNull();
    expect(run.eventCount).toBeNull();
    expect(run.storedEvents).toBeGreaterThanOrEqual(reported);
    expect(run.storedEvents % 1000).toBe(0); // whole batches only
    const stored = [...readEvents(db, run.id)];
    const expected = [...syntheticEvents(run.storedEvents)];
    expect(stored).toEqual(expected);
    expect(run.lastIcount).toBe(expected[expected.length - 1].icount);
    // An input added after event 2000k (whose add flushed a batch) is committed with the next batch.
    expect(readInputs(db, run.id).length).toBe(Math.floor((run.storedEvents - 1000) / 2000));
    expect(readRun(db, run.id).complete).toBe(false);
    closeTrace(db);

    // Opening it for writing again works, and leaves one file when closed.
    const rw = openTrace(trace, { create: false });
    expect(listRuns(rw)[0].storedEvents).toBe(run.storedEvents);
    closeTrace(rw);
    expect(siblings(trace)).toEqual(['killed.sqlite']);
  });
});
