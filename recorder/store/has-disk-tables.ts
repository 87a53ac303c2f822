/** Whether the trace has the disk tables (schema version 4 and later; read-only commands also read version 3 files, which have none). */
import type { TraceDb } from './types';

export function hasDiskTables(db: TraceDb): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('run_disks', 'disk_writes')").pluck().get() === 2;
}
