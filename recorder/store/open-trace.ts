/**
 * Opening a trace file: openTrace for recording (read-write, WAL, synchronous=NORMAL, creating
 * the file or upgrading its schema when needed) and openTraceReadOnly for everything else
 * (query, replay, the TUI). Each refuses a file that is not a usable trace with one TraceError
 * line, and never modifies a file it refuses: the header is checked before SQLite opens the
 * file, the rest with a read-only connection, and only then is a writable connection made.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { inspectFile } from './inspect-file';
import { migrate } from './migrate';
import { closeTrace } from './close-trace';
import { APPLICATION_ID, DISK_TABLES, MIGRATIONS, READABLE_SCHEMA_VERSION, REQUIRED_TABLES, SCHEMA_VERSION } from './schema';
import { TraceError } from './errors';
import type { TraceDb } from './types';

/** Side files a read-only connection made beside its trace (closeTrace removes them). */
export const sidesCreatedBy = new WeakMap<TraceDb, string[]>();

/** Turns SQLite's failures on a damaged file into one TraceError line. */
function asTraceError(path: string, err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code !== 'string' || !e.code.startsWith('SQLITE_')) return err;
  if (e.code.startsWith('SQLITE_CORRUPT') || e.code === 'SQLITE_NOTADB') return new TraceError(`${path}: corrupt trace (${e.message})`);
  if (e.code.startsWith('SQLITE_CANTOPEN')) return new TraceError(`${path}: cannot open the trace (${e.message})`);
  if (e.code.startsWith('SQLITE_READONLY')) return new TraceError(`${path}: cannot write to the trace (${e.message})`);
  return err;
}

/** Checks, through SQLite, what the header could not show: the tables, and the real version. */
function validate(db: TraceDb, path: string, readOnly: boolean): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId >>> 0 !== APPLICATION_ID) throw new TraceError(`${path}: a SQLite database, but not a ringside trace`);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new TraceError(`${path}: trace written by a newer ringside (schema version ${version}; this build reads up to ${SCHEMA_VERSION})`);
  }
  if (version < MIGRATIONS[0].version) {
    // The schema is created with its version in one transaction: a trace without one is damaged.
    throw new TraceError(`${path}: damaged trace (schema version ${version}, which no ringside writes)`);
  }
  if (readOnly && version < READABLE_SCHEMA_VERSION) {
    throw new TraceError(`${path}: trace schema version ${version} is older than this build's ${SCHEMA_VERSION} (it is upgraded when opened for recording)`);
  }
  const tables = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
  // An older schema (upgraded after this check) may lack later tables; every version has runs.
  const required = version === SCHEMA_VERSION ? REQUIRED_TABLES
    : readOnly ? REQUIRED_TABLES.filter((t) => !(DISK_TABLES as readonly string[]).includes(t)) // a readable older version
    : (['runs'] as const);
  for (const t of required) {
    if (!tables.has(t)) throw new TraceError(`${path}: not a ringside trace (no ${t} table)`);
  }
  db.prepare('SELECT max(id) FROM runs').get(); // reads the runs b-tree: a damaged file usually fails here
}

function connect(path: string, readonly: boolean): TraceDb {
  try {
    return new Database(path, { readonly, fileMustExist: readonly });
  } catch (err) {
    throw asTraceError(path, err);
  }
}

/**
 * Opens a trace for reading only: no statement on this connection can change the file
 * (SQLITE_OPEN_READONLY and PRAGMA query_only).
 */
export function openTraceReadOnly(path: string): TraceDb {
  inspectFile(path, { missingOk: false, emptyOk: false });
  // A trace left in WAL mode without its -wal file (copied alone, say) makes SQLite create
  // -wal and -shm even for reading: closeTrace removes them again if they are still empty.
  const sides = [`${path}-wal`, `${path}-shm`];
  const created = sides.every((f) => !existsSync(f));
  const db = connect(path, true);
  if (created) sidesCreatedBy.set(db, sides);
  try {
    db.pragma('query_only = 1');
    validate(db, path, true);
    return db;
  } catch (err) {
    closeTrace(db);
    throw asTraceError(path, err);
  }
}

/**
 * Opens a trace for recording. With `create`, a missing file (or an empty one, or a SQLite file
 * with nothing in it) becomes a new trace; without it, the file must already be a trace.
 * Call closeTrace when done, so that the file is left as a single self-contained file.
 */
export function openTrace(path: string, opts: { create: boolean }): TraceDb {
  const facts = inspectFile(path, { missingOk: opts.create, emptyOk: opts.create });
  if (facts.state === 'trace') {
    const check = connect(path, true);
    try {
      validate(check, path, false);
    } catch (err) {
      throw asTraceError(path, err);
    } finally {
      check.close();
    }
  }
  const db = connect(path, false);
  try {
    // A new schema is written in rollback-journal mode, straight into the file, so that the
    // application id is in the main file's header from the start (inspectFile relies on it).
    // An upgrade, too, happens before the switch to WAL: a file it refuses is left as it was.
    if (facts.state !== 'trace' || (db.pragma('user_version', { simple: true }) as number) < SCHEMA_VERSION) migrate(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    db.close();
    throw asTraceError(path, err);
  }
}
