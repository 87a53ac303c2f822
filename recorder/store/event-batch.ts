/**
 * Events packed for the trace writer: a batch holds up to `capacity` events in one
 * Float64Array (every field exactly as given, the text as its number in the encoder's text
 * table), so that the recorder hands events over without an object per event,
 * and a batch can live in memory shared with the writer's thread (recorder/writer).
 *
 * BatchEncoder fills a batch, checks the order of the events and numbers their texts (0 is the
 * empty text; every other text gets the next number when first seen, and takeTexts() hands the
 * new ones to the store, which maps numbers to strings.id).
 */

/** Values per event: seq, icount, kind, cpl, cs, eip, a, b, c, d, text number. */
export const BATCH_FIELDS = 11;

/** Bytes of a batch of `capacity` events. */
export function batchBytes(capacity: number): number {
  return capacity * BATCH_FIELDS * 8;
}

export class EventBatch {
  readonly capacity: number; // events it can hold
  readonly values: Float64Array; // BATCH_FIELDS values of each event
  count = 0; // events held

  /** A batch in `buffer` (a SharedArrayBuffer for the writer's thread) at `offset` bytes (a multiple of 8). */
  constructor(capacity: number, buffer: ArrayBufferLike = new ArrayBuffer(batchBytes(capacity)), offset = 0) {
    this.capacity = capacity;
    this.values = new Float64Array(buffer, offset, capacity * BATCH_FIELDS);
  }
}

export class BatchEncoder {
  batch: EventBatch; // the batch being filled (the writer's thread moves it from slot to slot)
  private readonly texts = new Map<string, number>([['', 0]]); // number of every text seen
  private fresh: string[] = []; // texts numbered since the last takeTexts(), in number order
  private lastSeq: number; // seq of the last event added (-1: none)
  private lastIcount: number; // icount of the last event added

  constructor(batch: EventBatch, lastSeq = -1, lastIcount = 0) {
    this.batch = batch;
    this.lastSeq = lastSeq;
    this.lastIcount = lastIcount;
  }

  /** Adds one event (seq increasing, icount not decreasing); true when the batch is now full. */
  add(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): boolean {
    if (seq <= this.lastSeq || icount < this.lastIcount) {
      throw new Error(`EventWriter: event #${seq} @${icount} out of order (after #${this.lastSeq} @${this.lastIcount})`);
    }
    if (!(kind >= 0 && kind <= 30 && Number.isInteger(kind))) throw new Error(`EventWriter: event #${seq} has kind ${kind}`);
    let t = this.texts.get(text);
    if (t === undefined) {
      t = this.texts.size;
      this.texts.set(text, t);
      this.fresh.push(text);
    }
    const batch = this.batch;
    const n = batch.count;
    const o = n * BATCH_FIELDS;
    const v = batch.values;
    v[o] = seq;
    v[o + 1] = icount;
    v[o + 2] = kind;
    v[o + 3] = cpl;
    v[o + 4] = cs;
    v[o + 5] = eip;
    v[o + 6] = a;
    v[o + 7] = b;
    v[o + 8] = c;
    v[o + 9] = d;
    v[o + 10] = t;
    this.lastSeq = seq;
    this.lastIcount = icount;
    return (batch.count = n + 1) === batch.capacity;
  }

  /** The texts numbered since the last call (numbers 1, 2... in order over all calls). */
  takeTexts(): string[] {
    const out = this.fresh;
    if (out.length > 0) this.fresh = [];
    return out;
  }
}
