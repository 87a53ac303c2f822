/**
 * `ringside query FILE "SQL" [--format table|json|csv]`: SQL over a trace, opened read-only.
 *
 * Rows stream from SQLite to stdout in chunks, so a result of millions of rows never becomes
 * one string. The table format measures its column widths on the first WIDTH_SAMPLE rows;
 * a longer value further down widens only its own line.
 */
import { openTraceReadOnly } from '../../recorder/store/open-trace';
import { closeTrace } from '../../recorder/store/close-trace';
import { iterateQuery } from '../../recorder/store/run-query';
import { QueryError } from '../../recorder/store/errors';
import { writeStdout } from '../stdout';
import { createHash } from 'node:crypto';
import { UsageError } from '../errors';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

/** How BLOBs print: their size and SHA-256 (default: an image or a snapshot is megabytes of hex), or every byte in hex. */
export const BLOB_FORMATS = ['summary', 'hex'] as const;

/** Rows the table format reads before fixing its column widths. */
const WIDTH_SAMPLE = 1000;
/** Characters of output gathered before each write to stdout. */
const CHUNK = 1 << 16;

/** Where the result goes, a chunk at a time; returns false when the reader has gone (stop writing). */
export type Sink = (chunk: string) => boolean;

/**
 * Writes to stdout synchronously, like `ringside run`: a closed pipe (`| head`) is seen at
 * once (EPIPE) and ends the query quietly, instead of being reported later as an event.
 */
export const stdoutSink: Sink = (chunk) => writeStdout(chunk);

/** Gathers output and hands it to the sink in chunks of about CHUNK characters. */
class Output {
  private buf = ''; // not yet written
  private closed = false; // the sink refused more
  private readonly sink: Sink; // where chunks go

  constructor(sink: Sink) {
    this.sink = sink;
  }

  /** The reader has gone: stop producing rows. */
  get gone(): boolean {
    return this.closed;
  }

  write(s: string): void {
    this.buf += s;
    if (this.buf.length >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.buf.length > 0 && !this.closed && !this.sink(this.buf)) this.closed = true;
    this.buf = '';
  }
}

let blobsInHex = false; // --blobs hex

function hex(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

/** A BLOB as printed: `<N bytes sha256:H>` (H shortened to 12 digits in a table), or its hex with --blobs hex. */
function blobText(v: Uint8Array, short: boolean): string {
  if (blobsInHex) return hex(v);
  const sha = createHash('sha256').update(v).digest('hex');
  return `<${v.length} bytes sha256:${short ? sha.slice(0, 12) : sha}>`;
}

/** One cell of the table format. */
function tableCell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return blobText(v, true);
  if (typeof v === 'string') return v.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return String(v);
}

function isNumber(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Plain-ASCII boxed table, numbers right-aligned, like sqlite3 -box. */
function writeTable(out: Output, columns: string[], rows: IterableIterator<unknown[]>): void {
  const sample: unknown[][] = [];
  const widths = columns.map((c) => c.length);
  let next = rows.next();
  while (!next.done && sample.length < WIDTH_SAMPLE) {
    const row = next.value;
    sample.push(row);
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], tableCell(row[i]).length);
    next = rows.next();
  }
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  const line = (row: unknown[]): string =>
    '| ' + row.map((v, i) => (isNumber(v) ? tableCell(v).padStart(widths[i]) : tableCell(v).padEnd(widths[i]))).join(' | ') + ' |\n';
  out.write(rule + '| ' + columns.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |\n' + rule);
  for (const row of sample) out.write(line(row));
  while (!next.done) {
    if (out.gone) return;
    out.write(line(next.value));
    next = rows.next();
  }
  out.write(rule);
}

function jsonValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (v instanceof Uint8Array) return JSON.stringify(blobText(v, false));
  return JSON.stringify(v);
}

/** A JSON array of objects, one per line; BLOBs as strings (see blobText); repeated column names get _2, _3... */
function writeJson(out: Output, columns: string[], rows: IterableIterator<unknown[]>): void {
  const seen = new Map<string, number>();
  const keys = columns.map((c) => {
    const n = (seen.get(c) ?? 0) + 1;
    seen.set(c, n);
    return JSON.stringify(n === 1 ? c : `${c}_${n}`) + ':';
  });
  out.write('[');
  let first = true;
  for (const row of rows) {
    if (out.gone) return;
    out.write((first ? '\n{' : ',\n{') + row.map((v, i) => keys[i] + jsonValue(v)).join(',') + '}');
    first = false;
  }
  out.write(first ? ']\n' : '\n]\n');
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Uint8Array ? blobText(v, false) : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** RFC 4180: a header line, CRLF line ends, fields quoted when they hold a comma, quote or line break. */
function writeCsv(out: Output, columns: string[], rows: IterableIterator<unknown[]>): void {
  out.write(columns.map(csvField).join(',') + '\r\n');
  for (const row of rows) {
    if (out.gone) return;
    out.write(row.map(csvField).join(',') + '\r\n');
  }
}

/**
 * Runs the query command; returns the process exit code (errors are thrown, for reportError).
 * `sink` receives the output (default: stdout); tests and the TUI pass their own.
 */
export function queryCommand(file: string, sql: string, opts: { format?: string; blobs?: string }, sink: Sink = stdoutSink): number {
  const format = opts.format ?? 'table';
  if (!(QUERY_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown --format '${format}' (use ${QUERY_FORMATS.join(', ')})`);
  }
  const blobs = opts.blobs ?? 'summary';
  if (!(BLOB_FORMATS as readonly string[]).includes(blobs)) throw new UsageError(`unknown --blobs '${blobs}' (use ${BLOB_FORMATS.join(', ')})`);
  blobsInHex = blobs === 'hex';
  const db = openTraceReadOnly(file);
  try {
    let stream;
    try {
      stream = iterateQuery(db, sql);
    } catch (err) {
      if (err instanceof QueryError) throw new UsageError(err.message);
      throw err;
    }
    const out = new Output(sink);
    try {
      if (format === 'table') writeTable(out, stream.columns, stream.rows);
      else if (format === 'json') writeJson(out, stream.columns, stream.rows);
      else writeCsv(out, stream.columns, stream.rows);
    } finally {
      stream.rows.return?.();
      out.flush();
    }
  } finally {
    closeTrace(db);
  }
  return 0;
}
