/** A run's inputs in seq order (optionally those at or after an icount), as replay feeds them. */
import type { StoredInput, TraceDb } from './types';

export function readInputs(db: TraceDb, run: number, opts: { fromIcount?: number } = {}): StoredInput[] {
  const rows = db
    .prepare('SELECT seq, icount, channel, value FROM inputs WHERE run = ? AND icount >= ? ORDER BY seq')
    .all(run, opts.fromIcount ?? -Number.MAX_SAFE_INTEGER) as { seq: number; icount: number; channel: string; value: number | Buffer }[];
  return rows.map((r) => ({ seq: r.seq, icount: r.icount, channel: r.channel, value: r.value }));
}
