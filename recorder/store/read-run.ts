/** One run with its image and start state, or a TraceError if the file has no such run. */
import { TraceError } from './errors';
import { RUN_INFO_COLUMNS, toRunInfo, type RunRow } from './list-runs';
import type { Run, TraceDb } from './types';

export function readRun(db: TraceDb, id: number): Run {
  const row = db.prepare(`SELECT ${RUN_INFO_COLUMNS}, r.image, r.start_state FROM runs r WHERE r.id = ?`).get(id) as
    | (RunRow & { image: Buffer; start_state: Buffer | null })
    | undefined;
  if (!row) throw new TraceError(`no run ${id} in this trace`);
  return { ...toRunInfo(row), image: row.image, startState: row.start_state };
}
