/**
 * The ordered channel from the recording's thread to the writer's thread: SLOTS slots in shared
 * memory, used in turn. A slot holds one batch of events (store/event-batch.ts) and, when its
 * message flag is set, goes with one message on a MessagePort, read by the writer with
 * receiveMessageOnPort when it reaches the slot: the new texts and inputs of the batch, a
 * snapshot's row or one chunk of its pages, the run's end, close. Every step of a recording thus
 * reaches the file in the order the recording made it.
 *
 * The recording publishes a slot by advancing HEAD; the writer frees it by advancing TAIL once
 * done with it. With every slot in use the recording waits (Atomics.wait) for TAIL: the emulator
 * never runs more than SLOTS batches ahead of the file (back-pressure). Each side wakes the
 * other through its counter; the writer also bumps SIGNAL on every change of TAIL or STATE.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RunEnd, StoredDiskWrite } from '../store/types';
import type { Input } from '../events';

/** Slots of the queue: the batches the emulator may run ahead of the writer. */
export const SLOTS = 8;

/** Int32 cells of the control block. */
export const HEAD = 0; // slots published by the recording
export const TAIL = 1; // slots the writer is done with
export const STATE = 2; // one of the STATE_ values
export const SIGNAL = 3; // bumped by the writer on every change of TAIL or STATE
export const TID = 4; // the writer thread's Linux thread id, set as it starts (0: not known)
/** Slot k's cells: META + 2k: events in its batch; META + 2k + 1: 1 when a message goes with it. */
export const META = 8;
export const CONTROL_INTS = META + 2 * SLOTS;

export const STATE_RUNNING = 0; // the writer works (or is starting)
export const STATE_FAILED = 2; // the writer stopped on an error; it closed the trace and sent the error
export const STATE_CLOSED = 3; // the writer closed the trace after the close message

/** A snapshot's row, as the recording sends it (its pages follow, a chunk per message). */
export interface SnapshotRow {
  icount: number;
  kind: 'full' | 'delta';
  eventSeq: number;
  inputSeq: number;
  cpu: Uint8Array;
  devices: Uint8Array;
}

/** The message that goes with a slot. */
export interface SlotMessage {
  texts?: string[]; // texts numbered since the previous message (BatchEncoder.takeTexts)
  inputs?: Input[]; // inputs applied since the previous batch, committed with this one
  /**
   * What follows the batch: `snapshot` writes its row in the batch's transaction and leaves the
   * transaction open for the `pages` that follow; `snapshot-end` commits it; `finish` writes the
   * run's end; `close` closes the trace. Without op the batch is committed.
   */
  op?: 'snapshot' | 'pages' | 'snapshot-end' | 'disk-writes' | 'finish' | 'close';
  snapshot?: SnapshotRow; // op snapshot
  pages?: Uint8Array; // op pages: one chunk of packed pages
  end?: RunEnd; // op finish
  diskWrites?: StoredDiskWrite[]; // op disk-writes: sectors of the disks' copy-on-write layer, in order
}

/** What the writer's thread is started with (workerData). */
export interface WriterData {
  path: string; // the trace, with the run already created
  run: number; // runs.id written to
  capacity: number; // events per batch
  control: SharedArrayBuffer; // CONTROL_INTS int32
  committed: SharedArrayBuffer; // one BigInt64 (Atomics): events committed so far
  batches: SharedArrayBuffer; // SLOTS batches of `capacity` events
  port: MessagePort; // the slots' messages; the writer's error comes back on it
}

/** The error the writer sends back before stopping. */
export interface WriterError {
  name: string;
  message: string;
  code?: string;
}
