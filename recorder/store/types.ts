/** The shapes the store reads and writes (rows of the tables in schema.ts). */
import type Database from 'better-sqlite3';

/** An open trace: a better-sqlite3 connection opened by openTrace or openTraceReadOnly. */
export type TraceDb = Database.Database;

/** What createRun needs to know about a new recording. */
export interface NewRun {
  image: Uint8Array; // the guest image bytes
  imageName: string; // base name of the image file
  mode: string; // monitor mode
  options: unknown; // JSON-serialisable options that rebuild the machine
  ringsideVersion: string; // version of ringside recording it
  snapshotInterval: number; // retired instructions between snapshots; 0: none
  startState?: Uint8Array | null; // opaque state at the start, if the recorder keeps one
  createdAt?: string; // ISO-8601 time; default: now
  modules?: readonly RunModule[]; // Multiboot modules, in load order (stored in the modules table)
  disks?: readonly { name: string; bytes: Uint8Array }[]; // --disk images: slot 0 the primary master, 1 the slave (disk_images, run_disks)
}

/** A Multiboot module of a run: its file's base name and its bytes. */
export interface RunModule {
  name: string;
  data: Uint8Array;
}

/** A run as listed: everything but the image and start-state bytes. */
export interface RunInfo {
  id: number; // runs.id
  imageName: string; // base name of the image file
  imageSha256: string; // hex SHA-256 of the image
  imageSize: number; // bytes of the image
  mode: string; // monitor mode
  options: unknown; // parsed options JSON
  ringsideVersion: string; // version that recorded it
  schemaVersion: number; // schema version it was written with
  snapshotInterval: number; // instructions between snapshots
  createdAt: string; // when the recording began
  endReason: string | null; // exit, halt, shutdown, limit; null: incomplete
  exitCode: number | null; // null while incomplete
  finalIcount: number | null; // null while incomplete
  eventCount: number | null; // null while incomplete
  complete: boolean; // endReason !== null
  storedEvents: number; // events committed to the file (for an incomplete run: what survived)
  lastIcount: number | null; // icount of the last committed event; null: no events
}

/** A run with its bytes. */
export interface Run extends RunInfo {
  image: Uint8Array; // the guest image
  startState: Uint8Array | null; // opaque start state, if any
  modules: (RunModule & { sha256: string })[]; // its Multiboot modules in load order (none in a trace older than schema version 5)
}

/** How a run ended (finishRun). */
export interface RunEnd {
  endReason: string; // exit, halt, shutdown, limit
  exitCode: number; // the run's exit code
  finalIcount: number; // retired instructions at the end
  eventCount: number; // events recorded
}

/**
 * An input as read back from a trace, before it is checked (recorder/validate-run.ts turns it
 * into Inputs): what is written is always an Input (recorder/events.ts).
 */
export interface StoredInput {
  seq: number; // position among the run's inputs, from 0
  icount: number; // applied before the instruction with this count retires
  channel: string; // an InputChannel in a sound trace
  value: number | Uint8Array; // the byte, vector or scancode, or several bytes (one input each)
}

/** A snapshot as the recorder hands it to the store (the blobs are opaque to the store). */
export interface Snapshot {
  icount: number; // retired instructions when taken
  kind: 'full' | 'delta'; // all of memory, or the pages written since the previous snapshot
  eventSeq: number; // seq of the first event after this point
  inputSeq: number; // seq of the first input not applied yet
  cpu: Uint8Array; // CPU state
  devices: Uint8Array; // device state
  pages: Iterable<Uint8Array>; // packed (page number, 4096 bytes) lists, one per chunk (may be made as they are written)
}

/** A snapshot read back. */
export interface StoredSnapshot extends Snapshot {
  id: number; // snapshots.id
  run: number; // runs.id
  pages: Uint8Array[]; // the chunks, in order
  chunkNumbers: number[]; // snapshot_pages.chunk of each (0, 1, 2... in a sound trace)
}

/** One sector the guest wrote to a disk (disk_writes). */
export interface StoredDiskWrite {
  seq: number; // position among the run's writes, from 0
  icount: number; // retired instructions when it was applied
  slot: number; // 0: primary master, 1: primary slave
  lba: number; // the sector
  data: Uint8Array; // its 512 bytes
}

/** A run's disk as read back (every value unchecked: validate-run checks them). */
export interface StoredRunDisk {
  slot: unknown; // run_disks.slot
  name: unknown; // base name of the file
  sha256: unknown; // the image's recorded SHA-256
  size: unknown; // disk_images.size (null: no such image row)
  chunkNumbers: unknown[]; // disk_image_chunks.chunk of each chunk, in order
  allBlobs: boolean; // every chunk's data is a BLOB
  bytes: Uint8Array; // the chunks put together
}

/** The part of a stored snapshot that time travel restores (an in-memory recording holds only this). */
export type SnapshotContent = Pick<StoredSnapshot, 'icount' | 'cpu' | 'devices' | 'pages'>;
