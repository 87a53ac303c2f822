/**
 * The `thread` RunWriter (run-writer.ts): the recording's side of the channel (channel.ts).
 *
 * Events are packed straight into the current slot's batch in shared memory (BatchEncoder:
 * eleven numbers, no object, no copy later); a full batch, a flush, a snapshot or the run's
 * end publishes the slot, with a message when there are new texts, inputs or an operation.
 * When all SLOTS slots are in use, publishing waits for the writer (Atomics.wait). finish()
 * and close() wait until the writer has closed the trace, so the file is complete and one
 * file again when they return. A failure of the writer is thrown here, at the next hand-over
 * (one TraceError line for SQLite's errors: writeFailure).
 *
 * The run is created here, on the recording's thread, as with the inline writer: a file that
 * is not a usable trace is refused before anything runs. The connection is then closed and the
 * writer's thread opens its own, while the emulator starts.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { openTrace } from '../store/open-trace';
import { closeTrace } from '../store/close-trace';
import { createRun } from '../store/create-run';
import { TraceError } from '../store/errors';
import { DEFAULT_BATCH_EVENTS } from '../store/append-events';
import { BatchEncoder, EventBatch, batchBytes } from '../store/event-batch';
import type { NewRun, RunEnd, Snapshot, StoredDiskWrite } from '../store/types';
import { CONTROL_INTS, HEAD, META, SIGNAL, SLOTS, STATE, STATE_CLOSED, STATE_FAILED, TAIL, TID, type SlotMessage, type WriterError } from './channel';
import { startWriterThread } from './start-worker';
import { writeFailure, type RunWriter } from './run-writer';
import type { Input } from '../events';

/** How often a waiting recording looks whether the writer's thread is still there. */
const LIVENESS_MS = 1000;

export class ThreadWriter implements RunWriter {
  readonly runId: number;
  private readonly path: string; // the trace
  private readonly control: Int32Array; // the channel's control block
  private readonly done: BigInt64Array; // events committed (written by the writer)
  private readonly port: MessagePort; // the slots' messages; the writer's error
  private readonly worker: Worker; // the writer's thread
  private readonly slots: EventBatch[]; // the batches in shared memory
  private readonly encoder: BatchEncoder; // packs events into the current slot's batch
  private head = 0; // slots published
  private inputs: Input[] = []; // inputs since the last published slot
  private ended = false; // finish() or close() has run (or the writer failed)

  /** Opens (or creates) the trace, adds the run, and starts the writer's thread on it. */
  constructor(path: string, run: NewRun, opts: { batchEvents?: number } = {}) {
    this.path = path;
    const db = openTrace(path, { create: true });
    try {
      this.runId = createRun(db, run);
    } catch (e) {
      throw writeFailure(path, e);
    } finally {
      closeTrace(db);
    }
    const capacity = Math.max(1, opts.batchEvents ?? DEFAULT_BATCH_EVENTS);
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const committed = new SharedArrayBuffer(8);
    const batches = new SharedArrayBuffer(SLOTS * batchBytes(capacity));
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.unref();
    this.control = new Int32Array(control);
    this.done = new BigInt64Array(committed);
    this.slots = Array.from({ length: SLOTS }, (_, k) => new EventBatch(capacity, batches, k * batchBytes(capacity)));
    this.encoder = new BatchEncoder(this.slots[0]);
    this.worker = startWriterThread({ path, run: this.runId, capacity, control, committed, batches, port: channel.port2 });
  }

  get committed(): number {
    return Number(Atomics.load(this.done, 0));
  }

  event(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): void {
    if (this.encoder.add(seq, icount, kind, cpl, cs, eip, a, b, c, d, text)) this.publish(undefined);
  }

  input(input: Input): void {
    this.inputs.push({ icount: input.icount, channel: input.channel, value: input.value });
  }

  diskWrites(writes: readonly StoredDiskWrite[]): void {
    this.publish({ op: 'disk-writes', diskWrites: [...writes] });
  }

  snapshot(s: Snapshot): void {
    const { icount, kind, eventSeq, inputSeq, cpu, devices } = s;
    this.publish({ op: 'snapshot', snapshot: { icount, kind, eventSeq, inputSeq, cpu, devices } });
    for (const pages of s.pages) this.publish({ op: 'pages', pages });
    this.publish({ op: 'snapshot-end' });
  }

  flush(): void {
    if (this.encoder.batch.count > 0 || this.inputs.length > 0) this.publish(undefined);
  }

  finish(end: RunEnd): void {
    this.publish({ op: 'finish', end });
    this.close();
  }

  close(): void {
    if (this.ended) return;
    this.encoder.batch.count = 0; // what was not flushed is dropped, as the inline writer does
    this.inputs = [];
    this.publish({ op: 'close' });
    this.ended = true;
    this.waitFor(() => Atomics.load(this.control, STATE) === STATE_CLOSED);
  }

  /** Publishes the current slot (with `m` and the new texts and inputs), then waits for the next one to be free. */
  private publish(m: SlotMessage | undefined): void {
    if (this.ended) throw new Error('trace writer: used after close');
    this.check();
    const texts = this.encoder.takeTexts();
    if (texts.length > 0 || this.inputs.length > 0) {
      m ??= {};
      if (texts.length > 0) m.texts = texts;
      if (this.inputs.length > 0) m.inputs = this.inputs;
      this.inputs = [];
    }
    const k = this.head % SLOTS;
    const control = this.control;
    control[META + 2 * k] = this.encoder.batch.count;
    control[META + 2 * k + 1] = m === undefined ? 0 : 1;
    if (m !== undefined) {
      // A chunk of pages that owns its whole buffer moves to the writer without a copy.
      const p = m.pages;
      const move = p !== undefined && p.byteOffset === 0 && p.byteLength === p.buffer.byteLength && p.buffer instanceof ArrayBuffer;
      this.port.postMessage(m, move ? [p.buffer as ArrayBuffer] : []);
    }
    this.head++;
    Atomics.store(control, HEAD, this.head);
    Atomics.notify(control, HEAD);
    // Back-pressure: the next slot is free once the writer is done with its previous use.
    this.waitFor(() => this.head - Atomics.load(control, TAIL) < SLOTS);
    const next = this.slots[this.head % SLOTS];
    next.count = 0;
    this.encoder.batch = next;
  }

  /**
   * Waits until `ready()`, or throws the writer's failure. A thread that ends without a word (the
   * engine stopped it: out of memory, terminated) would leave the wait without end: every
   * LIVENESS_MS the recording looks whether the thread is still there (Linux: /proc/self/task).
   */
  private waitFor(ready: () => boolean): void {
    const control = this.control;
    for (;;) {
      const signal = Atomics.load(control, SIGNAL);
      this.check();
      if (ready()) return;
      if (Atomics.wait(control, SIGNAL, signal, LIVENESS_MS) === 'timed-out' && !this.writerAlive()) {
        this.check(); // it may have said why after all
        if (ready()) return;
        this.ended = true;
        throw new TraceError(`${this.path}: the trace writer's thread ended without saying why; the trace keeps the batches it committed`);
      }
    }
  }

  /** Whether the writer's thread still exists (true when that cannot be known). */
  private writerAlive(): boolean {
    const tid = Atomics.load(this.control, TID);
    return tid === 0 || existsSync(`/proc/self/task/${tid}`);
  }

  /** Throws the writer's failure, once it has stopped (it has closed the trace by then). */
  private check(): void {
    if (Atomics.load(this.control, STATE) !== STATE_FAILED) return;
    this.ended = true;
    const m = receiveMessageOnPort(this.port)?.message as WriterError | undefined;
    void this.worker.terminate();
    if (m === undefined) throw new TraceError(`${this.path}: the trace writer stopped without saying why`);
    const err = m.name === 'TraceError' ? new TraceError(m.message) : Object.assign(new Error(m.message), { name: m.name, code: m.code });
    throw writeFailure(this.path, err);
  }
}
