/** A run's stored sector writes (its disks' copy-on-write layer), in seq order, unchecked. */
import { hasDiskTables } from './has-disk-tables';
import type { StoredDiskWrite, TraceDb } from './types';

export function readDiskWrites(db: TraceDb, run: number): StoredDiskWrite[] {
  if (!hasDiskTables(db)) return []; // a version 3 trace: no run has disks
  return db.prepare('SELECT seq, icount, slot, lba, data FROM disk_writes WHERE run = ? ORDER BY seq').all(run) as StoredDiskWrite[];
}
