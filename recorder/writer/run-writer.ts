/**
 * Where a recording's run goes: a RunWriter takes the events (as fields, one call each, no
 * object), the inputs, the snapshots and the run's end, in order, and writes them to the trace.
 *
 * Two writers do the same: `thread` (the default) packs events into batches in shared memory
 * and hands them to a worker thread that owns the connection and does the inserts
 * (thread-writer.ts), so the emulator's thread spends almost nothing per event; `inline` packs
 * and inserts on the caller's thread (inline-writer.ts), with no thread to start (tests, tools,
 * debugging the writer). RINGSIDE_WRITER=inline or =thread chooses for every recording; a
 * RecordSpec may choose for its own. Both write the same file: the same rows in the same
 * transactions.
 */
import { TraceError } from '../store/errors';
import type { RunEnd, Snapshot, StoredDiskWrite } from '../store/types';
import type { Input } from '../events';

export type WriterKind = 'thread' | 'inline';
export const WRITER_KINDS: readonly WriterKind[] = ['thread', 'inline'];

export interface RunWriter {
  readonly runId: number;
  /** Events handed to the store so far that are committed to the file. */
  readonly committed: number;
  /** One event (seq increasing, icount not decreasing); the recorder's EventFieldSink. */
  event(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): void;
  /** One input, committed with the batch of the events around it. */
  input(input: Input): void;
  /** Sector writes of the disks' copy-on-write layer, committed before what follows them. */
  diskWrites(writes: readonly StoredDiskWrite[]): void;
  /** A snapshot, committed with every event and input before it; its pages are read now. */
  snapshot(s: Snapshot): void;
  /** Hands over everything buffered (the inline writer commits it; the thread commits it soon). */
  flush(): void;
  /** Writes everything and the run's end, and closes the trace; waits until the file is closed. */
  finish(end: RunEnd): void;
  /** Closes the trace without an end (the run reads as incomplete); what was not flushed is dropped. */
  close(): void;
}

/** The writer chosen by RINGSIDE_WRITER (default: thread); anything else is a usage error. */
export function writerFromEnvironment(env: NodeJS.ProcessEnv = process.env): WriterKind {
  const v = env.RINGSIDE_WRITER;
  if (v === undefined || v === '') return 'thread';
  if ((WRITER_KINDS as readonly string[]).includes(v)) return v as WriterKind;
  throw new TraceError(`RINGSIDE_WRITER must be ${WRITER_KINDS.join(' or ')}, not '${v}'`);
}

/**
 * The one line for a failure to write the trace (a full disk, a file size limit, an I/O error):
 * SQLite's errors become a TraceError naming the file; the trace keeps every committed batch.
 */
export function writeFailure(path: string, err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_')) {
    return new TraceError(`${path}: cannot write to the trace (${String(e.message)}): the recording stops; the trace keeps every batch committed before, as an incomplete run`);
  }
  return err;
}
