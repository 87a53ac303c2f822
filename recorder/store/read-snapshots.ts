/** A run's snapshots with from <= icount <= to, in icount order (e.g. the deltas after a full one). */
import type { StoredSnapshot, TraceDb } from './types';

export const SNAPSHOT_COLUMNS = 'id, run, icount, kind, event_seq, input_seq, cpu, devices';

export interface SnapshotRow {
  id: number;
  run: number;
  icount: number;
  kind: 'full' | 'delta';
  event_seq: number;
  input_seq: number;
  cpu: Buffer;
  devices: Buffer;
}

/** A snapshot row with its page chunks, in chunk order. */
export function toSnapshot(db: TraceDb, r: SnapshotRow): StoredSnapshot {
  const chunks = db.prepare('SELECT chunk, pages FROM snapshot_pages WHERE snapshot = ? ORDER BY chunk').raw().all(r.id) as [number, Buffer][];
  return {
    id: r.id, run: r.run, icount: r.icount, kind: r.kind, eventSeq: r.event_seq, inputSeq: r.input_seq, cpu: r.cpu, devices: r.devices,
    pages: chunks.map((c) => c[1]),
    chunkNumbers: chunks.map((c) => c[0]),
  };
}

export function readSnapshots(db: TraceDb, run: number, range: { fromIcount?: number; toIcount?: number } = {}): StoredSnapshot[] {
  // Without a range, every row of the run (a damaged icount must not hide a snapshot from the checks).
  const rows = (
    range.fromIcount === undefined && range.toIcount === undefined
      ? db.prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE run = ? ORDER BY icount`).all(run)
      : db
          .prepare(`SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE run = ? AND icount BETWEEN ? AND ? ORDER BY icount`)
          .all(run, range.fromIcount ?? -Number.MAX_SAFE_INTEGER, range.toIcount ?? Number.MAX_SAFE_INTEGER)
  ) as SnapshotRow[];
  return rows.map((r) => toSnapshot(db, r));
}
