/**
 * Types for the part of better-sqlite3 that ringside uses, shaped like @types/better-sqlite3
 * (which is not installed). If @types/better-sqlite3 is added as a devDependency, delete this file.
 */
declare module 'better-sqlite3' {
  namespace BetterSqlite3 {
    interface RunResult {
      changes: number; // rows changed
      lastInsertRowid: number | bigint; // rowid of the last INSERT
    }

    interface ColumnDefinition {
      name: string; // result column name
      column: string | null; // table column it comes from
      table: string | null; // table it comes from
      database: string | null; // database it comes from
      type: string | null; // declared type
    }

    interface Statement<BindParameters extends unknown[] = unknown[], Result = unknown> {
      readonly database: Database; // the connection
      readonly source: string; // the SQL
      readonly reader: boolean; // the statement returns rows
      readonly readonly: boolean; // the statement writes nothing
      readonly busy: boolean; // an iterator is open on it
      run(...params: BindParameters): RunResult;
      get(...params: BindParameters): Result | undefined;
      all(...params: BindParameters): Result[];
      iterate(...params: BindParameters): IterableIterator<Result>;
      pluck(toggle?: boolean): this;
      expand(toggle?: boolean): this;
      raw(toggle?: boolean): this;
      safeIntegers(toggle?: boolean): this;
      columns(): ColumnDefinition[];
      bind(...params: BindParameters): this;
    }

    interface Transaction<F extends (...args: never[]) => unknown> {
      (...params: Parameters<F>): ReturnType<F>;
      default(...params: Parameters<F>): ReturnType<F>;
      deferred(...params: Parameters<F>): ReturnType<F>;
      immediate(...params: Parameters<F>): ReturnType<F>;
      exclusive(...params: Parameters<F>): ReturnType<F>;
    }

    interface PragmaOptions {
      simple?: boolean; // return the first column of the first row
    }

    interface Options {
      readonly?: boolean; // SQLITE_OPEN_READONLY
      fileMustExist?: boolean; // do not create the file
      timeout?: number; // busy timeout in milliseconds (default 5000)
      verbose?: (message?: unknown, ...additional: unknown[]) => void;
      nativeBinding?: string;
    }

    interface Database {
      readonly memory: boolean; // an in-memory database
      readonly readonly: boolean; // opened read-only
      readonly name: string; // the file name
      readonly open: boolean; // not closed yet
      readonly inTransaction: boolean; // a transaction is open
      prepare<BindParameters extends unknown[] = unknown[], Result = unknown>(source: string): Statement<BindParameters, Result>;
      transaction<F extends (...args: never[]) => unknown>(fn: F): Transaction<F>;
      exec(source: string): this;
      pragma(source: string, options?: PragmaOptions): unknown;
      /** Registers an aggregate SQL function on this connection (never stored in the file). */
      aggregate(name: string, options: AggregateOptions): this;
      close(): this;
    }

    interface AggregateOptions {
      start?: unknown | (() => unknown); // the initial accumulator (a function: called for each group)
      step: (accumulator: never, ...values: never[]) => unknown; // the next accumulator, for one row
      result?: (accumulator: never) => unknown; // the function's value for the group
      deterministic?: boolean;
      varargs?: boolean;
    }

    interface DatabaseConstructor {
      new (filename?: string | Buffer, options?: Options): Database;
      (filename?: string, options?: Options): Database;
      prototype: Database;
    }

    interface SqliteError extends Error {
      code: string; // SQLITE_... result code
    }
  }

  const Database: BetterSqlite3.DatabaseConstructor & { SqliteError: new (message: string, code: string) => BetterSqlite3.SqliteError };
  // `Database.Database`, `Database.Statement` as types, as with @types/better-sqlite3.
  namespace Database {
    type Database = BetterSqlite3.Database;
    type Statement<BindParameters extends unknown[] = unknown[], Result = unknown> = BetterSqlite3.Statement<BindParameters, Result>;
    type Options = BetterSqlite3.Options;
    type RunResult = BetterSqlite3.RunResult;
    type ColumnDefinition = BetterSqlite3.ColumnDefinition;
    type Transaction<F extends (...args: never[]) => unknown> = BetterSqlite3.Transaction<F>;
    type SqliteError = BetterSqlite3.SqliteError;
  }
  export = Database;
}
