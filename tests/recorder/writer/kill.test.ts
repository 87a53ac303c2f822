/** A recording whose writer runs on its own thread, killed with SIGKILL, keeps every batch the thread committed. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { listRuns } from '../../../recorder/store/list-runs';
import { readEvents } from '../../../recorder/store/read-events';
import { readInputs } from '../../../recorder/store/read-inputs';
import { siblings, syntheticEvents, tempDir } from '../store/helpers';

const ROOT = join(import.meta.dirname, '../../..');

/** Runs kill-child.ts until it reports `atLeast` committed events, then kills it with SIGKILL. */
function recordAndKill(trace: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/recorder/writer/kill-child.ts'), trace], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let reported = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const all = [...out.matchAll(/committed (\d+)\n/g)];
      if (all.length) reported = Number(all[all.length - 1][1]);
      if (reported >= atLeast && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('a recording through the writer thread killed with SIGKILL', () => {
  it('keeps every batch the thread committed, whole batches only, and reads as incomplete', async () => {
    const trace = join(tempDir('writer-kill'), 'killed.sqlite');
    const reported = await recordAndKill(trace, 30_000);
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
