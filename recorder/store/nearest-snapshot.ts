/**
 * The latest snapshot of a run at or before an icount (one seek in the snapshots_at index),
 * optionally only a full one: seek restores the nearest full snapshot, then applies the deltas
 * after it (read-snapshots.ts).
 */
import { toSnapshot, SNAPSHOT_COLUMNS, type SnapshotRow } from './read-snapshots';
import type { StoredSnapshot, TraceDb } from './types';

export function nearestSnapshot(db: TraceDb, run: number, icount: number, opts: { kind?: 'full' | 'delta' } = {}): StoredSnapshot | undefined {
  const kind = opts.kind === undefined ? '' : ' AND kind = @kind';
  const row = db
    .prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE run = @run AND icount <= @icount${kind} ORDER BY icount DESC LIMIT 1`)
    .get({ run, icount, ...(opts.kind === undefined ? {} : { kind: opts.kind }) }) as SnapshotRow | undefined;
  return row && toSnapshot(db, row);
}
