/** A run's event blocks in seq order: where each starts and ends, how many events it holds, and its digest. */
import type { TraceDb } from './types';

export interface EventBlocks {
  firstSeq: Float64Array; // seq of each block's first event
  lastSeq: Float64Array; // seq of its last event
  firstIcount: Float64Array; // icount of its first event
  lastIcount: Float64Array; // icount of its last event
  events: Float64Array; // events it holds
  digest: Float64Array; // its EventDigest value
}

/** Values that are not numbers (a damaged or crafted trace) read as NaN, which no check accepts. */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

export function readEventBlocks(db: TraceDb, run: number): EventBlocks {
  const rows = db
    .prepare('SELECT first_seq, last_seq, first_icount, last_icount, events, digest FROM event_blocks WHERE run = ? ORDER BY first_seq')
    .raw()
    .all(run) as unknown[][];
  const n = rows.length;
  const out = {
    firstSeq: new Float64Array(n), lastSeq: new Float64Array(n), firstIcount: new Float64Array(n),
    lastIcount: new Float64Array(n), events: new Float64Array(n), digest: new Float64Array(n),
  };
  rows.forEach((r, k) => {
    out.firstSeq[k] = num(r[0]);
    out.lastSeq[k] = num(r[1]);
    out.firstIcount[k] = num(r[2]);
    out.lastIcount[k] = num(r[3]);
    out.events[k] = num(r[4]);
    out.digest[k] = num(r[5]);
  });
  return out;
}
