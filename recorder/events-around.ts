/** The events of a recorded run around an instruction count (for `at --events` and debuggers). */
import { readEvents, seqRangeForIcount, BLOCK_EVENTS, type TraceDb } from './store';
import type { TraceEvent } from './events';

/** Up to `n` events that happened before `icount`, and up to `n` from `icount` on. */
export function eventsAround(db: TraceDb, run: number, icount: number, n: number): { before: TraceEvent[]; after: TraceEvent[] } {
  const after: TraceEvent[] = [];
  if (n > 0) {
    for (const e of readEvents(db, run, { fromIcount: icount })) {
      after.push(e);
      if (after.length >= n) break;
    }
  }
  const before: TraceEvent[] = [];
  if (n > 0 && icount > 0) {
    // Every event before `icount` has a seq at most `hi`; the last n of them lie within n plus
    // one block below it.
    const { hi } = seqRangeForIcount(db, run, undefined, icount - 1);
    if (hi >= 0) {
      for (const e of readEvents(db, run, { fromSeq: Math.max(0, hi - n - BLOCK_EVENTS), toSeq: hi })) {
        if (e.icount < icount) before.push(e);
      }
    }
  }
  return { before: before.slice(Math.max(0, before.length - n)), after };
}
