/** One run with its image, start state and modules, or a TraceError if the file has no such run. */
import { TraceError } from './errors';
import { RUN_INFO_COLUMNS, toRunInfo, type RunRow } from './list-runs';
import type { Run, TraceDb } from './types';

export function readRun(db: TraceDb, id: number): Run {
  const row = db.prepare(`SELECT ${RUN_INFO_COLUMNS}, r.image, r.start_state FROM runs r WHERE r.id = ?`).get(id) as
    | (RunRow & { image: Buffer; start_state: Buffer | null })
    | undefined;
  if (!row) throw new TraceError(`no run ${id} in this trace`);
  // A trace written before schema version 5 has no modules table (a read-only open does not migrate it).
  const hasModules = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'modules'").get() !== undefined;
  const modules = hasModules
    ? (db.prepare('SELECT name, data, sha256 FROM modules WHERE run = ? ORDER BY position').all(id) as { name: string; data: Buffer; sha256: string }[])
    : [];
  return { ...toRunInfo(row), image: row.image, startState: row.start_state, modules };
}
