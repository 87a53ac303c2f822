/**
 * A run's events in seq order as raw rows (seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id),
 * read a page at a time. Replay verification compares these directly, without building an
 * event object per row (readEvents does that, for everything else).
 */
import type { TraceDb } from './types';

export type EventRow = [number, number, number, number, number, number, number, number, number, number, number];

const PAGE = 8192;

export function* readEventRows(db: TraceDb, run: number, fromSeq = 0, toSeq = Number.MAX_SAFE_INTEGER): Generator<EventRow, void, undefined> {
  const stmt = db.prepare(`SELECT seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id FROM events WHERE run = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ${PAGE}`).raw();
  let from = fromSeq;
  for (;;) {
    const rows = stmt.all(run, from, toSeq) as EventRow[];
    for (let k = 0; k < rows.length; k++) yield rows[k];
    if (rows.length < PAGE) return;
    from = rows[rows.length - 1][0] + 1;
  }
}
