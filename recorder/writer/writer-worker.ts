/**
 * The writer's thread: owns the trace's connection while a run is recorded and works through
 * the channel's slots in order (channel.ts), writing each batch with BatchAppender in one
 * transaction, as EventWriter does on the recording's thread, so both write the same rows.
 *
 * It blocks in Atomics.wait between slots (it has nothing else to do). On an error it rolls
 * back the open transaction, closes the trace (every batch committed before stays), sends the
 * error back and stops; the recording sees it at its next hand-over.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { openTrace } from '../store/open-trace';
import { closeTrace } from '../store/close-trace';
import { finishRun } from '../store/finish-run';
import { BatchAppender } from '../store/append-batch';
import { appendSnapshotPages, appendSnapshotRow } from '../store/append-snapshot';
import { appendDiskWrites } from '../store/append-disk-writes';
import { EventBatch, batchBytes } from '../store/event-batch';
import type { TraceDb } from '../store/types';
import { HEAD, META, SIGNAL, SLOTS, STATE, STATE_CLOSED, STATE_FAILED, TAIL, type SlotMessage, type WriterData, type WriterError } from './channel';
import type { Input } from '../events';

/** Sends the error back and marks the writer failed (start-worker.ts's bootstrap does the same for a failure to load). */
export function reportFailure(data: Pick<WriterData, 'control' | 'port'>, err: unknown): void {
  const e = err as { name?: unknown; message?: unknown; code?: unknown };
  const out: WriterError = {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
  data.port.postMessage(out);
  const control = new Int32Array(data.control);
  Atomics.store(control, STATE, STATE_FAILED);
  Atomics.add(control, SIGNAL, 1);
  Atomics.notify(control, SIGNAL);
}

/** The message of a slot: posted before the slot was published, so it is there (FIFO). */
function receive(data: WriterData): SlotMessage {
  const m = receiveMessageOnPort(data.port);
  if (m === undefined) throw new Error('writer: a slot announces a message that did not arrive');
  return m.message as SlotMessage;
}

export function runWriter(data: WriterData): void {
  const control = new Int32Array(data.control);
  const committed = new BigInt64Array(data.committed);
  const slots = Array.from({ length: SLOTS }, (_, k) => new EventBatch(data.capacity, data.batches, k * batchBytes(data.capacity)));
  let db: TraceDb | undefined;
  try {
    db = openTrace(data.path, { create: false });
    const trace = db;
    const appender = new BatchAppender(trace, data.run);
    const begin = trace.prepare('BEGIN IMMEDIATE');
    const commit = trace.prepare('COMMIT');
    let events = 0; // events committed
    let pending = 0; // events written in the open snapshot transaction
    let snapshot = -1; // id of the snapshot being written (-1: none)
    let chunk = 0; // next chunk number of its pages
    const noInputs: Input[] = [];
    for (let tail = 0; ; tail++) {
      while (Atomics.load(control, HEAD) === tail) Atomics.wait(control, HEAD, tail);
      const k = tail % SLOTS;
      const batch = slots[k];
      batch.count = control[META + 2 * k];
      const m: SlotMessage | undefined = control[META + 2 * k + 1] !== 0 ? receive(data) : undefined;
      if (m?.texts !== undefined) appender.addTexts(m.texts);
      const op = m?.op;
      if (batch.count > 0 || m?.inputs !== undefined || op === 'snapshot') {
        const inputs = m?.inputs ?? noInputs;
        if (op === 'snapshot') {
          begin.run();
          appender.write(batch, inputs);
          snapshot = appendSnapshotRow(trace, data.run, m!.snapshot!);
          chunk = 0;
          pending = batch.count;
        } else if (snapshot >= 0) {
          appender.write(batch, inputs); // inside the snapshot's transaction
          pending += batch.count;
        } else {
          trace.transaction(() => appender.write(batch, inputs)).immediate();
          events += batch.count;
        }
      }
      if (op === 'pages' && m!.pages!.length > 0) appendSnapshotPages(trace, snapshot, chunk++, m!.pages!);
      else if (op === 'snapshot-end') {
        commit.run();
        snapshot = -1;
        events += pending;
        pending = 0;
      } else if (op === 'disk-writes') appendDiskWrites(trace, data.run, m!.diskWrites!);
      else if (op === 'finish') finishRun(trace, data.run, m!.end!);
      Atomics.store(committed, 0, BigInt(events));
      Atomics.store(control, TAIL, tail + 1);
      if (op === 'close') break;
      Atomics.add(control, SIGNAL, 1);
      Atomics.notify(control, SIGNAL);
    }
    db = undefined;
    closeTrace(trace);
  } catch (err) {
    if (db !== undefined) {
      try {
        if (db.inTransaction) db.prepare('ROLLBACK').run();
      } catch {
        // closing rolls it back too
      }
      try {
        closeTrace(db);
      } catch {
        // the file keeps what was committed
      }
    }
    reportFailure(data, err);
    return;
  }
  Atomics.store(control, STATE, STATE_CLOSED);
  Atomics.add(control, SIGNAL, 1);
  Atomics.notify(control, SIGNAL);
}
