/**
 * Back-pressure: while the writer's thread cannot write (another process holds the trace's
 * write lock for a while), the recording fills the SLOTS slots of the queue and then waits;
 * it never runs more than SLOTS batches (plus the one being filled) ahead of the file.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ThreadWriter } from '../../../recorder/writer/thread-writer';
import { SLOTS } from '../../../recorder/writer/channel';
import { openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { listRuns } from '../../../recorder/store/list-runs';
import { SAMPLE_RUN, syntheticEvents, tempDir } from '../store/helpers';

const ROOT = join(import.meta.dirname, '../../..');
const HOLD_MS = 1500;

/** Another process takes the trace's write lock, says `locked`, holds it HOLD_MS and lets go. */
function holdWriteLock(trace: string): Promise<void> {
  const code = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(trace)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${HOLD_MS});
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (c) => c !== 0 && reject(new Error(`lock holder exited with ${c}`)));
  });
}

describe('the writer thread queue', () => {
  it('is bounded: the recording waits while the writer cannot write, then everything is committed', async () => {
    const trace = join(tempDir('writer-pressure'), 'pressure.sqlite');
    const batch = 100;
    const w = new ThreadWriter(trace, SAMPLE_RUN, { batchEvents: batch });
    const events = [...syntheticEvents(3_000)];
    // One batch first, so that the writer has the trace open in WAL mode before the lock is taken.
    for (const e of events.slice(0, batch)) w.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text);
    while (w.committed < batch) await new Promise((r) => setTimeout(r, 10));
    await holdWriteLock(trace);
    let ahead = 0; // most events handed over and not committed
    let longest = 0; // longest event() call, ms
    let n = batch;
    for (const e of events.slice(batch)) {
      const t0 = performance.now();
      w.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text);
      longest = Math.max(longest, performance.now() - t0);
      ahead = Math.max(ahead, ++n - w.committed);
    }
    w.finish({ endReason: 'exit', exitCode: 0, finalIcount: 1, eventCount: n });
    expect(ahead).toBeLessThanOrEqual((SLOTS + 1) * batch);
    expect(ahead).toBeGreaterThanOrEqual((SLOTS - 1) * batch); // the queue did fill up
    expect(longest).toBeGreaterThan(HOLD_MS / 5); // and the recording waited for the writer
    const db = openTraceReadOnly(trace);
    expect(listRuns(db)[0]).toMatchObject({ complete: true, storedEvents: 3_000 });
    closeTrace(db);
  });
});
