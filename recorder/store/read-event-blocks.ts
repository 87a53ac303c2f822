/** A run's event blocks in seq order: where each starts and ends, and its digest. */
import type { TraceDb } from './types';

export interface EventBlocks {
  firstSeq: Float64Array; // seq of each block's first event
  lastSeq: Float64Array; // seq of its last event
  digest: Float64Array; // its EventDigest value
}

export function readEventBlocks(db: TraceDb, run: number): EventBlocks {
  const rows = db.prepare('SELECT first_seq, last_seq, digest FROM event_blocks WHERE run = ? ORDER BY first_seq').raw().all(run) as [number, number, number][];
  const out = { firstSeq: new Float64Array(rows.length), lastSeq: new Float64Array(rows.length), digest: new Float64Array(rows.length) };
  rows.forEach((r, k) => {
    out.firstSeq[k] = r[0];
    out.lastSeq[k] = r[1];
    out.digest[k] = r[2];
  });
  return out;
}
