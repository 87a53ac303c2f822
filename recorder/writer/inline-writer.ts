/** The `inline` RunWriter: EventWriter on the recording's own thread (run-writer.ts). */
import { openTrace } from '../store/open-trace';
import { closeTrace } from '../store/close-trace';
import { createRun } from '../store/create-run';
import { finishRun } from '../store/finish-run';
import { EventWriter } from '../store/append-events';
import { appendDiskWrites } from '../store/append-disk-writes';
import type { NewRun, RunEnd, Snapshot, StoredDiskWrite, TraceDb } from '../store/types';
import { writeFailure, type RunWriter } from './run-writer';
import type { Input } from '../events';

export class InlineWriter implements RunWriter {
  readonly runId: number;
  private readonly path: string; // the trace
  private readonly db: TraceDb; // its connection
  private readonly writer: EventWriter; // batches on this thread

  /** Opens (or creates) the trace and adds the run. */
  constructor(path: string, run: NewRun, opts: { batchEvents?: number } = {}) {
    this.path = path;
    this.db = openTrace(path, { create: true });
    try {
      this.runId = createRun(this.db, run);
      this.writer = new EventWriter(this.db, this.runId, opts);
    } catch (e) {
      closeTrace(this.db);
      throw writeFailure(path, e);
    }
  }

  get committed(): number {
    return this.writer.committed;
  }

  event(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): void {
    try {
      this.writer.event(seq, icount, kind, cpl, cs, eip, a, b, c, d, text);
    } catch (e) {
      throw writeFailure(this.path, e);
    }
  }

  input(input: Input): void {
    this.writer.addInput(input);
  }

  diskWrites(writes: readonly StoredDiskWrite[]): void {
    try {
      appendDiskWrites(this.db, this.runId, writes);
    } catch (e) {
      throw writeFailure(this.path, e);
    }
  }

  snapshot(s: Snapshot): void {
    try {
      this.writer.addSnapshot(s);
    } catch (e) {
      throw writeFailure(this.path, e);
    }
  }

  flush(): void {
    try {
      this.writer.flush();
    } catch (e) {
      throw writeFailure(this.path, e);
    }
  }

  finish(end: RunEnd): void {
    try {
      this.writer.close();
      finishRun(this.db, this.runId, end);
    } catch (e) {
      throw writeFailure(this.path, e);
    } finally {
      closeTrace(this.db);
    }
  }

  close(): void {
    closeTrace(this.db);
  }
}
