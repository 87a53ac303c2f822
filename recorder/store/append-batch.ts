/**
 * Appends batches of a run's events (event-batch.ts) to a trace: the rows of `events`, one
 * `event_blocks` row per BLOCK_EVENTS events (a block also ends with its batch), and the
 * inputs given with the batch. The caller holds the transaction: EventWriter commits each
 * batch on the recording's thread, the writer's thread (recorder/writer) on its own.
 *
 * Speed (CPU time of the writing thread, 1,000,000 events, on the shared 2-core machine; see the
 * README, the recording pipeline): the rows go in multi-row INSERTs of ROWS rows with the run as
 * a constant of the statement and the other values spread (better-sqlite3 binds spread arguments
 * about twice as fast as an array). write() runs at 1.25 M events/s; the same rows bound into a
 * bare statement 1.57 M/s; made by SQL with nothing bound 2.25 M/s. SQLite's insert into the
 * WITHOUT ROWID table is most of the cost, binding 11 values a row about a quarter, the digests
 * and blocks a tenth. Fewer bound values (packed, unpacked by SQL) came out slower; the batch
 * size (2,048 to 32,768 events a transaction) and the WAL checkpoints (about 8%) change little.
 */
import type Database from 'better-sqlite3';
import { BATCH_FIELDS, type EventBatch } from './event-batch';
import { EventDigest } from './event-digest';
import { BLOCK_EVENTS } from './schema';
import { internString } from './intern-string';
import { appendInputs } from './append-inputs';
import type { TraceDb } from './types';
import type { Input } from '../events';

/** Rows per multi-row INSERT statement. */
const ROWS = 128;
/** Values bound per events row: seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id. */
const COLS = 11;

export class BatchAppender {
  private readonly db: TraceDb; // the trace
  private readonly run: number; // runs.id written to
  private readonly insertRows: Database.Statement; // INSERT of ROWS rows
  private readonly insertRow: Database.Statement; // INSERT of one row
  private readonly insertBlock: Database.Statement; // INSERT into event_blocks
  private readonly textIds: number[] = [0]; // strings.id of each text number of the encoder
  private readonly args = new Array<number>(ROWS * COLS).fill(0); // arguments of insertRows
  private readonly digest = new EventDigest(); // digest of the block being summed
  private nextInputSeq: number; // seq of the next input
  readonly lastSeq: number; // seq of the run's last stored event when this appender was made (-1: none)
  readonly lastIcount: number; // its icount (0: none)

  constructor(db: TraceDb, run: number) {
    if (!Number.isSafeInteger(run)) throw new Error(`BatchAppender: run ${run}`);
    this.db = db;
    this.run = run;
    const insert = `INSERT INTO events (run, seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id) VALUES `;
    const row = `(${run}, ${Array(COLS).fill('?').join(', ')})`;
    this.insertRows = db.prepare(insert + Array(ROWS).fill(row).join(', '));
    this.insertRow = db.prepare(insert + row);
    this.insertBlock = db.prepare('INSERT INTO event_blocks (run, first_seq, last_seq, first_icount, last_icount, events, kinds, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    // An appender may continue a run (after a flush by another writer): carry on from what is stored.
    const last = db.prepare('SELECT max(last_seq) AS seq, max(last_icount) AS icount FROM event_blocks WHERE run = ?').get(run) as { seq: number | null; icount: number | null };
    this.lastSeq = last.seq ?? -1;
    this.lastIcount = last.icount ?? 0;
    this.nextInputSeq = (db.prepare('SELECT coalesce(max(seq) + 1, 0) FROM inputs WHERE run = ?').pluck().get(run) as number) ?? 0;
  }

  /**
   * Learns the encoder's new texts (BatchEncoder.takeTexts), adding those the file lacks. Call
   * it outside the batch's transaction: a text committed before the events that use it is
   * harmless (strings only grow), and the ids stay valid whatever happens to the batch.
   */
  addTexts(texts: readonly string[]): void {
    for (const text of texts) this.textIds.push(internString(this.db, text));
  }

  /** Writes the batch's events, their blocks and the inputs (inside the caller's transaction). */
  write(batch: EventBatch, inputs: readonly Input[]): void {
    const n = batch.count;
    const v = batch.values;
    const ids = this.textIds;
    const args = this.args;
    const digest = this.digest;
    let blockStart = 0; // index of the block's first event
    let kinds = 0; // kinds bit mask of the block
    let k = 0; // next value slot in args
    for (let i = 0; i < n; i++) {
      const o = i * BATCH_FIELDS;
      const seq = v[o];
      const icount = v[o + 1];
      const kind = v[o + 2];
      const cpl = v[o + 3];
      const cs = v[o + 4];
      const eip = v[o + 5];
      const a = v[o + 6];
      const b = v[o + 7];
      const c = v[o + 8];
      const d = v[o + 9];
      const textId = ids[v[o + 10]];
      if (i === blockStart) {
        digest.reset();
        kinds = 0;
      }
      kinds |= 1 << kind;
      digest.add(seq, icount, kind, cpl, cs, eip, a, b, c, d, textId);
      args[k] = seq;
      args[k + 1] = icount;
      args[k + 2] = kind;
      args[k + 3] = cpl;
      args[k + 4] = cs;
      args[k + 5] = eip;
      args[k + 6] = a;
      args[k + 7] = b;
      args[k + 8] = c;
      args[k + 9] = d;
      args[k + 10] = textId;
      k += COLS;
      if (k === ROWS * COLS) {
        this.insertRows.run(...args);
        k = 0;
      }
      if (i - blockStart + 1 === BLOCK_EVENTS || i === n - 1) {
        const first = blockStart * BATCH_FIELDS;
        this.insertBlock.run(this.run, v[first], seq, v[first + 1], icount, i - blockStart + 1, kinds, digest.value());
        blockStart = i + 1;
      }
    }
    for (let o = 0; o < k; o += COLS) this.insertRow.run(...args.slice(o, o + COLS));
    appendInputs(this.db, this.run, this.nextInputSeq, inputs);
    this.nextInputSeq += inputs.length;
  }
}
