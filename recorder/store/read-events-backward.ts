/**
 * Reads a run's events backwards from a seq: the last `limit` events before `beforeSeq`
 * (optionally of some kinds, skipping through event_blocks' kind masks every block without
 * one), newest first. The debugger's timeline uses it to show what came
 * before the current point and to find the previous event of a kind.
 */
import type { TraceEvent } from '../events';
import { readStrings } from './read-strings';
import type { TraceDb } from './types';

type Row = [number, number, number, number, number, number, number, number, number, number, number];

export function readEventsBackward(db: TraceDb, run: number, beforeSeq: number, limit: number, kinds?: readonly number[]): TraceEvent[] {
  const n = Math.max(0, Math.floor(limit));
  const cols = 'SELECT seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id FROM events';
  let rows: Row[];
  if (kinds === undefined) {
    rows = db.prepare(`${cols} WHERE run = ? AND seq < ? ORDER BY seq DESC LIMIT ?`).raw().all(run, beforeSeq, n) as Row[];
  } else {
    const ks = [...new Set(kinds)].filter((k) => Number.isInteger(k) && k >= 0 && k <= 30);
    if (ks.length === 0) return [];
    // Only the blocks whose kind mask has one of the kinds are read, newest first.
    const mask = ks.reduce((m, k) => m | (1 << k), 0);
    const blocks = db.prepare('SELECT first_seq, last_seq FROM event_blocks WHERE run = ? AND first_seq < ? AND (kinds & ?) != 0 ORDER BY first_seq DESC').raw();
    const inBlock = db.prepare(`${cols} WHERE run = ? AND seq BETWEEN ? AND ? AND seq < ? AND kind IN (${ks.join(', ')}) ORDER BY seq DESC LIMIT ?`).raw();
    rows = [];
    for (const [first, last] of blocks.iterate(run, beforeSeq, mask) as Iterable<[number, number]>) {
      if (rows.length >= n) break;
      rows.push(...(inBlock.all(run, first, last, beforeSeq, n - rows.length) as Row[]));
    }
  }
  if (rows.length === 0) return [];
  const texts = readStrings(db);
  return rows.map((r) => ({ seq: r[0], icount: r[1], kind: r[2], cpl: r[3], cs: r[4], eip: r[5], a: r[6], b: r[7], c: r[8], d: r[9], text: texts.get(r[10]) ?? '' }));
}
