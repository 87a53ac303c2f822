/**
 * Reads a run's events in seq order, as TraceEvents, streaming: PAGE events per query, so a
 * run of millions of events never sits in memory and the connection is free between pages
 * (about 20% faster than one long iterate(), too). Optional bounds by seq and by icount, and
 * a kind filter: icount bounds become seq bounds through event_blocks (seek-icount.ts), and a
 * kind filter skips, through event_blocks' kind masks, every block without such an event.
 */
import type { TraceEvent } from '../events';
import { readStrings } from './read-strings';
import { seqRangeForIcount } from './seek-icount';
import type { TraceDb } from './types';

export interface EventFilter {
  fromSeq?: number; // first seq wanted
  toSeq?: number; // last seq wanted
  fromIcount?: number; // smallest icount wanted
  toIcount?: number; // largest icount wanted
  kinds?: readonly number[]; // only these kinds
  limit?: number; // at most this many events (a small limit reads a small page)
}

/** Events per query. */
const PAGE = 4096;

const COLUMNS = 'e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text_id';
type Row = [number, number, number, number, number, number, number, number, number, number, number];

export function* readEvents(db: TraceDb, run: number, filter: EventFilter = {}): Generator<TraceEvent, void, undefined> {
  const range = seqRangeForIcount(db, run, filter.fromIcount, filter.toIcount);
  const lo = Math.max(range.lo, filter.fromSeq ?? 0);
  const hi = Math.min(range.hi, filter.toSeq ?? Number.MAX_SAFE_INTEGER);
  if (hi < lo) return;
  const params: Record<string, number> = { run, lo, hi, fromIcount: filter.fromIcount ?? -Number.MAX_SAFE_INTEGER, toIcount: filter.toIcount ?? Number.MAX_SAFE_INTEGER };
  let sql: string;
  if (filter.kinds === undefined) {
    sql = `SELECT ${COLUMNS} FROM events e WHERE e.run = @run AND e.seq BETWEEN @lo AND @hi`;
  } else {
    const kinds = [...new Set(filter.kinds)].filter((k) => Number.isInteger(k) && k >= 0 && k <= 30);
    if (kinds.length === 0) return;
    params.mask = kinds.reduce((m, k) => m | (1 << k), 0);
    // Blocks from the one holding `lo` on, in order (CROSS JOIN keeps event_blocks outermost).
    sql = `SELECT ${COLUMNS} FROM event_blocks b CROSS JOIN events e ON e.run = b.run AND e.seq BETWEEN b.first_seq AND b.last_seq
      WHERE b.run = @run AND b.first_seq >= coalesce((SELECT max(first_seq) FROM event_blocks WHERE run = @run AND first_seq <= @lo), 0)
        AND b.first_seq <= @hi AND (b.kinds & @mask) != 0
        AND e.seq BETWEEN @lo AND @hi AND e.kind IN (${kinds.join(', ')})`;
  }
  if (filter.fromIcount !== undefined || filter.toIcount !== undefined) sql += ' AND e.icount BETWEEN @fromIcount AND @toIcount';
  const limit = filter.limit ?? Infinity;
  const page = Math.max(1, Math.min(PAGE, limit));
  sql += (filter.kinds === undefined ? ' ORDER BY e.seq' : ' ORDER BY b.first_seq, e.seq') + ` LIMIT ${page}`;

  const stmt = db.prepare(sql).raw();
  let texts = readStrings(db);
  let left = limit;
  for (;;) {
    const rows = stmt.all(params) as Row[];
    for (const r of rows) {
      if (left-- <= 0) return;
      let text = texts.get(r[10]);
      if (text === undefined) {
        texts = readStrings(db); // written by a concurrent recorder after we started
        text = texts.get(r[10]) ?? '';
      }
      yield { seq: r[0], icount: r[1], kind: r[2], cpl: r[3], cs: r[4], eip: r[5], a: r[6], b: r[7], c: r[8], d: r[9], text };
    }
    if (rows.length < page) return;
    params.lo = rows[rows.length - 1][0] + 1;
  }
}
