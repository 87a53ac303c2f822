/**
 * Reads a run's events backwards from a seq: the last `limit` events before `beforeSeq`
 * (optionally of some kinds), newest first. The debugger's timeline uses it to show what came
 * before the current point and to find the previous event of a kind.
 */
import type { TraceEvent } from '../events';
import { readStrings } from './read-strings';
import type { TraceDb } from './types';

type Row = [number, number, number, number, number, number, number, number, number, number, number];

export function readEventsBackward(db: TraceDb, run: number, beforeSeq: number, limit: number, kinds?: readonly number[]): TraceEvent[] {
  let where = '';
  if (kinds !== undefined) {
    const ks = [...new Set(kinds)].filter((k) => Number.isInteger(k) && k >= 0 && k <= 30);
    if (ks.length === 0) return [];
    where = ` AND kind IN (${ks.join(', ')})`;
  }
  const rows = db
    .prepare(`SELECT seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id FROM events WHERE run = ? AND seq < ?${where} ORDER BY seq DESC LIMIT ?`)
    .raw()
    .all(run, beforeSeq, Math.max(0, Math.floor(limit))) as Row[];
  if (rows.length === 0) return [];
  const texts = readStrings(db);
  return rows.map((r) => ({ seq: r[0], icount: r[1], kind: r[2], cpl: r[3], cs: r[4], eip: r[5], a: r[6], b: r[7], c: r[8], d: r[9], text: texts.get(r[10]) ?? '' }));
}
