/**
 * EventWriter: appends a run's events (and its inputs and snapshots) in batches, on the
 * caller's thread (the recording's writer thread, recorder/writer, does the same work on its own).
 *
 * add() packs the event into a batch (event-batch.ts); every `batchEvents` events, or on
 * flush(), the batch is written in one transaction (append-batch.ts: the events, their
 * event_blocks summaries and the inputs added since the last batch). A process killed
 * mid-recording keeps every committed batch; its run reads as incomplete (end_reason NULL).
 */
import type { TraceEvent } from '../events';
import { BatchEncoder, EventBatch } from './event-batch';
import { BatchAppender } from './append-batch';
import { appendSnapshot } from './append-snapshot';
import type { Snapshot, TraceDb } from './types';
import type { Input } from '../events';

/**
 * Default events per transaction. A commit in WAL mode with synchronous=NORMAL costs little
 * (no fsync): batches of 2,048 to 32,768 events insert at the same rate; the batch size bounds
 * what a kill can lose and the memory of the writer's queue (SLOTS batches of 88 bytes an event).
 */
export const DEFAULT_BATCH_EVENTS = 8192;

export class EventWriter {
  private readonly db: TraceDb; // the trace
  private readonly run: number; // runs.id written to
  private readonly appender: BatchAppender; // writes batches
  private readonly encoder: BatchEncoder; // packs events into the batch
  private inputs: Input[] = []; // inputs added since the last flush
  private done = 0; // events committed by this writer
  private closed = false; // close() was called

  constructor(db: TraceDb, run: number, opts: { batchEvents?: number } = {}) {
    this.db = db;
    this.run = run;
    this.appender = new BatchAppender(db, run);
    this.encoder = new BatchEncoder(new EventBatch(Math.max(1, opts.batchEvents ?? DEFAULT_BATCH_EVENTS)), this.appender.lastSeq, this.appender.lastIcount);
  }

  /** Events added so far (committed or not). */
  get count(): number {
    return this.done + this.encoder.batch.count;
  }

  /** Events committed so far. */
  get committed(): number {
    return this.done;
  }

  /** Buffers one event; seq must increase and icount must not decrease. */
  add(e: TraceEvent): void {
    this.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text);
  }

  /** add() without the event object. */
  event(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): void {
    if (this.closed) throw new Error('EventWriter: add after close');
    if (this.encoder.add(seq, icount, kind, cpl, cs, eip, a, b, c, d, text)) this.flush();
  }

  /** Buffers one input; it is committed with the events of the same batch. */
  addInput(input: Input): void {
    if (this.closed) throw new Error('EventWriter: addInput after close');
    this.inputs.push({ icount: input.icount, channel: input.channel, value: input.value });
  }

  /** Commits every buffered event and input, then the snapshot, in one transaction. */
  addSnapshot(s: Snapshot): void {
    if (this.closed) throw new Error('EventWriter: addSnapshot after close');
    this.flush(() => appendSnapshot(this.db, this.run, s));
  }

  /** Commits everything buffered (and runs `also` in the same transaction). */
  flush(also?: () => void): void {
    const batch = this.encoder.batch;
    this.appender.addTexts(this.encoder.takeTexts());
    if (batch.count === 0 && this.inputs.length === 0 && also === undefined) return;
    this.db
      .transaction(() => {
        this.appender.write(batch, this.inputs);
        also?.();
      })
      .immediate();
    this.done += batch.count;
    batch.count = 0;
    this.inputs = [];
  }

  /** Flushes; the writer cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
