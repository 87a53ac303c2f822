/** Records how a run ended, which marks it complete. Flush or close its EventWriter first. */
import { TraceError } from './errors';
import type { RunEnd, TraceDb } from './types';

export function finishRun(db: TraceDb, run: number, end: RunEnd): void {
  const r = db
    .prepare('UPDATE runs SET end_reason = ?, exit_code = ?, final_icount = ?, event_count = ? WHERE id = ?')
    .run(end.endReason, end.exitCode, end.finalIcount, end.eventCount, run);
  if (r.changes !== 1) throw new TraceError(`no run ${run} in this trace`);
}
