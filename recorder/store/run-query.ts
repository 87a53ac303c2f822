/**
 * Runs one read-only SQL statement given by a user (ringside query, the TUI's SQL prompt).
 *
 * Only a single statement that returns rows and writes nothing is accepted (SELECT, WITH,
 * VALUES, EXPLAIN, reading PRAGMAs): anything else is a QueryError before it runs, on top of
 * the read-only connection that openTraceReadOnly makes. Integers come back as numbers, or as
 * bigints beyond 2^53; BLOBs as Uint8Array.
 */
import type Database from 'better-sqlite3';
import { QueryError } from './errors';
import type { TraceDb } from './types';

export interface QueryResult {
  columns: string[]; // column names, in order
  rows: unknown[][]; // one array of values per row
}

export interface QueryStream {
  columns: string[]; // column names, in order
  rows: IterableIterator<unknown[]>; // rows, read from SQLite as they are consumed
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Prepares `sql` after checking that it is one read-only statement returning rows. */
function prepare(db: TraceDb, sql: string): Database.Statement {
  let stmt: Database.Statement;
  try {
    stmt = db.prepare(sql);
  } catch (err) {
    const e = err as Error;
    if (e instanceof RangeError && /more than one statement/.test(e.message)) throw new QueryError('SQL: one statement at a time, please (found more than one)');
    if (e instanceof RangeError && /no statements/.test(e.message)) throw new QueryError('SQL: no statement given');
    if (e?.name === 'SqliteError') throw new QueryError(`SQL error: ${oneLine(e.message)}`);
    throw err;
  }
  // PRAGMA journal_mode with no value only reads the mode (SQLite counts it as a possible write).
  const readsJournalMode = /^\s*PRAGMA\s+(?:"?main"?\.)?journal_mode\s*;?\s*$/i.test(sql);
  if (!stmt.readonly && !readsJournalMode) throw new QueryError(`SQL: the trace is read-only, and this statement would change it: ${oneLine(sql).slice(0, 60)}`);
  if (!stmt.reader) throw new QueryError(`SQL: not a query (use SELECT, WITH, VALUES, EXPLAIN or a reading PRAGMA): ${oneLine(sql).slice(0, 60)}`);
  return stmt.raw(true).safeIntegers(true);
}

/** Integers as numbers when exact, bigints otherwise. */
function normalise(row: unknown[]): unknown[] {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v === 'bigint' && v >= -9007199254740991n && v <= 9007199254740991n) row[i] = Number(v);
  }
  return row;
}

/** Runs `sql` and streams its rows (for results of any size). */
export function iterateQuery(db: TraceDb, sql: string): QueryStream {
  const stmt = prepare(db, sql);
  const columns = stmt.columns().map((c) => c.name);
  const it = stmt.iterate() as IterableIterator<unknown[]>;
  const rows: IterableIterator<unknown[]> = {
    next() {
      const r = it.next();
      return r.done ? r : { done: false, value: normalise(r.value) };
    },
    return(value?: unknown) {
      return it.return ? it.return(value) : { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return this;
    },
  };
  return { columns, rows };
}

/** Runs `sql` and returns every row (or the first `maxRows`). */
export function runQuery(db: TraceDb, sql: string, opts: { maxRows?: number } = {}): QueryResult {
  const { columns, rows } = iterateQuery(db, sql);
  const out: unknown[][] = [];
  const max = opts.maxRows ?? Infinity;
  for (const r of rows) {
    if (out.length >= max) break; // for-of closes the statement
    out.push(r);
  }
  return { columns, rows: out };
}
