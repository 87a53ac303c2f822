/**
 * The store's user-facing errors. Both carry one line meant for stderr (the CLI's
 * reportError prints it after `ringside: ` and exits 2), never a stack trace.
 */

/** The file is not a usable ringside trace: missing, not SQLite, truncated, foreign, or too new. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
}

/** The SQL given to runQuery/iterateQuery cannot run: empty, several statements, a write, a syntax error. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}
