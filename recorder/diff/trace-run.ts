/** A stored run as the diff reads it: its timeline and its events, streamed from the trace. */
import { readEvents, type TraceDb, type Run } from '../store';
import { loadRecordedRun, openTimeline } from '../load-run';
import type { DiffRun } from './engine';

export function traceDiffRun(db: TraceDb, run: Run, label: string): DiffRun {
  return {
    label,
    recorded: loadRecordedRun(db, run),
    timeline: openTimeline(db, run),
    // Bounds, kinds and limit go to SQL (event_blocks' icount ranges and kind masks).
    events: (from, to, filter = {}) => [...readEvents(db, run.id, { fromIcount: from, toIcount: to, kinds: filter.kinds, limit: filter.limit })],
    endReason: run.endReason ?? 'incomplete',
    exitCode: run.exitCode ?? -1,
  };
}
