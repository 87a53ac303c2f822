/**
 * EventWriter: appends a run's events (and its inputs and snapshots) in batches.
 *
 * add() copies the event into the argument list of a multi-row INSERT; every `batchEvents`
 * events, or on flush(), the batch is inserted in one transaction with cached statements, with
 * its event_blocks summaries and the inputs added since the last batch. A process killed
 * mid-recording keeps every committed batch; its run reads as incomplete (end_reason NULL).
 *
 * Speed (tests/recorder/store/measure-store.ts, 1,000,000 recorded events): multi-row INSERTs of
 * ROWS rows, with the arguments spread (`run(...args)`: better-sqlite3 binds spread arguments
 * about twice as fast as an array), reach 1.2-1.4 M events/s; one row per statement about 0.5.
 */
import type Database from 'better-sqlite3';
import type { TraceEvent } from '../events';
import { EventDigest } from './event-digest';
import { BLOCK_EVENTS } from './schema';
import { internString } from './intern-string';
import { readStrings } from './read-strings';
import { appendInputs } from './append-inputs';
import { appendSnapshot } from './append-snapshot';
import type { Snapshot, TraceDb } from './types';
import type { Input } from '../events';

/** Rows per multi-row INSERT statement. */
const ROWS = 64;
/** Values per events row: run, seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id. */
const COLS = 12;
/** Default events per transaction. */
export const DEFAULT_BATCH_EVENTS = 4096;

const INSERT_EVENTS = 'INSERT INTO events (run, seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id) VALUES ';
const ROW = `(${Array(COLS).fill('?').join(', ')})`;

export class EventWriter {
  private readonly db: TraceDb; // the trace
  private readonly run: number; // runs.id written to
  private readonly batchEvents: number; // events per transaction
  private readonly insertRows: Database.Statement; // INSERT of ROWS rows
  private readonly insertRow: Database.Statement; // INSERT of one row
  private readonly insertBlock: Database.Statement; // INSERT into event_blocks
  private readonly textIds: Map<string, number>; // strings.id of every text seen

  private readonly chunks: number[][] = []; // argument lists of ROWS rows each; chunks[full] is being filled
  private full = 0; // chunks filled completely
  private pos = 0; // next value slot in chunks[full]
  private buffered = 0; // events added and not yet committed
  private committed = 0; // events committed by this writer

  private readonly blocks: number[] = []; // closed blocks awaiting the flush, 7 values each (event_blocks columns)
  private blockEvents = 0; // events in the open block
  private blockFirstSeq = 0; // seq of the open block's first event
  private blockFirstIcount = 0; // its icount
  private blockKinds = 0; // kinds bit mask of the open block
  private readonly digest = new EventDigest(); // digest of the open block

  private inputs: Input[] = []; // inputs added since the last flush
  private nextInputSeq: number; // seq of the next input
  private lastSeq: number; // seq of the last event added (-1: none)
  private lastIcount: number; // icount of the last event added
  private closed = false; // close() was called

  constructor(db: TraceDb, run: number, opts: { batchEvents?: number } = {}) {
    this.db = db;
    this.run = run;
    this.batchEvents = Math.max(1, opts.batchEvents ?? DEFAULT_BATCH_EVENTS);
    this.insertRows = db.prepare(INSERT_EVENTS + Array(ROWS).fill(ROW).join(', '));
    this.insertRow = db.prepare(INSERT_EVENTS + ROW);
    this.insertBlock = db.prepare('INSERT INTO event_blocks (run, first_seq, last_seq, first_icount, last_icount, events, kinds, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.textIds = new Map([...readStrings(db)].map(([id, text]) => [text, id]));
    // A writer may continue a run (after a flush by another writer): carry on from what is stored.
    const last = db.prepare('SELECT max(last_seq) AS seq, max(last_icount) AS icount FROM event_blocks WHERE run = ?').get(run) as { seq: number | null; icount: number | null };
    this.lastSeq = last.seq ?? -1;
    this.lastIcount = last.icount ?? 0;
    this.nextInputSeq = (db.prepare('SELECT coalesce(max(seq) + 1, 0) FROM inputs WHERE run = ?').pluck().get(run) as number) ?? 0;
  }

  /** Events added so far (committed or not). */
  get count(): number {
    return this.committed + this.buffered;
  }

  /** Buffers one event; seq must increase and icount must not decrease. */
  add(e: TraceEvent): void {
    if (this.closed) throw new Error('EventWriter: add after close');
    if (e.seq <= this.lastSeq || e.icount < this.lastIcount) {
      throw new Error(`EventWriter: event #${e.seq} @${e.icount} out of order (after #${this.lastSeq} @${this.lastIcount})`);
    }
    const kind = e.kind;
    if (!(kind >= 0 && kind <= 30 && Number.isInteger(kind))) throw new Error(`EventWriter: event #${e.seq} has kind ${kind}`);
    let textId = this.textIds.get(e.text);
    if (textId === undefined) {
      textId = internString(this.db, e.text);
      this.textIds.set(e.text, textId);
    }
    let c = this.chunks[this.full];
    if (c === undefined) {
      c = new Array<number>(ROWS * COLS).fill(0);
      this.chunks.push(c);
    }
    const o = this.pos;
    c[o] = this.run;
    c[o + 1] = e.seq;
    c[o + 2] = e.icount;
    c[o + 3] = kind;
    c[o + 4] = e.cpl;
    c[o + 5] = e.cs;
    c[o + 6] = e.eip;
    c[o + 7] = e.a;
    c[o + 8] = e.b;
    c[o + 9] = e.c;
    c[o + 10] = e.d;
    c[o + 11] = textId;
    if (o + COLS === ROWS * COLS) {
      this.full++;
      this.pos = 0;
    } else this.pos = o + COLS;

    if (this.blockEvents === 0) {
      this.blockFirstSeq = e.seq;
      this.blockFirstIcount = e.icount;
      this.blockKinds = 0;
      this.digest.reset();
    }
    this.blockKinds |= 1 << kind;
    this.digest.add(e.seq, e.icount, kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, textId);
    this.lastSeq = e.seq;
    this.lastIcount = e.icount;
    if (++this.blockEvents === BLOCK_EVENTS) this.closeBlock();
    if (++this.buffered >= this.batchEvents) this.flush();
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
    if (this.blockEvents > 0) this.closeBlock();
    if (this.buffered === 0 && this.inputs.length === 0 && this.blocks.length === 0 && also === undefined) return;
    this.db
      .transaction(() => {
        for (let i = 0; i < this.full; i++) this.insertRows.run(...this.chunks[i]);
        if (this.pos > 0) {
          const c = this.chunks[this.full];
          for (let o = 0; o < this.pos; o += COLS) this.insertRow.run(...c.slice(o, o + COLS));
        }
        const b = this.blocks;
        for (let o = 0; o < b.length; o += 8) this.insertBlock.run(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
        appendInputs(this.db, this.run, this.nextInputSeq, this.inputs);
        also?.();
      })
      .immediate();
    this.committed += this.buffered;
    this.buffered = 0;
    this.full = 0;
    this.pos = 0;
    this.blocks.length = 0;
    this.nextInputSeq += this.inputs.length;
    this.inputs = [];
  }

  /** Flushes; the writer cannot be used afterwards. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }

  private closeBlock(): void {
    this.blocks.push(this.run, this.blockFirstSeq, this.lastSeq, this.blockFirstIcount, this.lastIcount, this.blockEvents, this.blockKinds, this.digest.value());
    this.blockEvents = 0;
  }
}
