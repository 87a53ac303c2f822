/**
 * Is the stored event stream of a run whole? Replay verification compares the regenerated
 * events with the blocks' digests; this compares the stored rows with the same blocks, so that
 * an edited, deleted or added row, or an emptied events table, is reported as a damaged trace
 * rather than passing as "identical" (or being blamed on the replay).
 *
 * Every row is read once, inside SQLite: an aggregate function digests each block's rows as
 * the index delivers them (3 to 4 times faster than reading the rows out, measured on 8 M
 * events). Only when that finds a difference are the rows read out in order, to name it.
 */
import { readEventBlocks, readEventRows, readStrings, EventDigest, type EventBlocks, type Run, type TraceDb } from './store';
import { KIND_NAMES } from './events';

const isCount = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

/** What is wrong with the run's stored events (one line), or null when rows and blocks agree. */
export function storedEventsDamage(db: TraceDb, run: Run): string | null {
  const b = readEventBlocks(db, run.id);
  const n = b.firstSeq.length;
  // The blocks: consecutive, from seq 0, each counting its own span, icounts in order.
  for (let k = 0; k < n; k++) {
    const first = b.firstSeq[k], last = b.lastSeq[k];
    const where = `event block #${k} (events #${first}..#${last})`;
    if (!isCount(first) || !isCount(last) || last < first) return `${where}: bad bounds`;
    if (first !== (k === 0 ? 0 : b.lastSeq[k - 1] + 1)) return `${where} does not follow the previous block (events missing between them)`;
    if (b.events[k] !== last - first + 1) return `${where} counts ${b.events[k]} events`;
    if (!isCount(b.firstIcount[k]) || !(b.lastIcount[k] >= b.firstIcount[k]) || (k > 0 && b.firstIcount[k] < b.lastIcount[k - 1])) return `${where}: icounts out of order`;
    if (!Number.isSafeInteger(b.digest[k])) return `${where}: no digest`;
  }
  const total = n === 0 ? 0 : b.lastSeq[n - 1] + 1;
  if (run.complete && run.eventCount !== total) return `run ${run.id} recorded ${run.eventCount} events, its blocks hold ${total}`;

  if (rowsAgree(db, run.id, b, total)) return null;
  return rowDamage(db, run, b, total) ?? 'the stored events differ from their blocks';
}

/** Name of the aggregate function that digests a block's rows (registered on the connection). */
const BLOCK_DIGEST = 'ringside_block_digest';

/** True when every block's rows are there, in order, well-formed, and match its digest; and no row lies outside the blocks. */
function rowsAgree(db: TraceDb, run: number, b: EventBlocks, total: number): boolean {
  const texts = readStrings(db);
  const digest = new EventDigest();
  let ok = true; // no row broke a rule
  let next = 0; // seq the next row must have
  let icount = 0; // icount of the previous row
  db.aggregate(BLOCK_DIGEST, {
    start: () => {
      digest.reset();
      return 0;
    },
    step: (n: number, seq: number, ic: number, kind: number, cpl: number, cs: number, eip: number, a: number, bb: number, c: number, d: number, text: number) => {
      if (seq !== next || !(ic >= icount) || !Number.isInteger(ic) || !KIND_NAMES[kind] || !(cpl >= 0 && cpl <= 3) || !texts.has(text) ||
        !Number.isInteger(cs) || !Number.isInteger(eip) || !Number.isInteger(a) || !Number.isInteger(bb) || !Number.isInteger(c) || !Number.isInteger(d)) ok = false;
      next = seq + 1;
      icount = ic;
      digest.add(seq, ic, kind, cpl, cs, eip, a, bb, c, d, text);
      return n + 1;
    },
    result: () => digest.value(),
  });
  const blocks = db
    .prepare(`SELECT (SELECT ${BLOCK_DIGEST}(seq, icount, kind, cpl, cs, eip, a, b, c, d, text_id) FROM events e WHERE e.run = k.run AND e.seq BETWEEN k.first_seq AND k.last_seq)
      FROM event_blocks k WHERE k.run = ? ORDER BY k.first_seq`)
    .pluck()
    .iterate(run) as IterableIterator<number>;
  let k = 0;
  for (const value of blocks) {
    if (!ok || value !== b.digest[k] || next !== b.lastSeq[k] + 1) {
      blocks.return?.();
      return false;
    }
    k++;
  }
  return ok && k === b.firstSeq.length && next === total && db.prepare('SELECT count(*) FROM events WHERE run = ?').pluck().get(run) === total;
}

/** Reads the rows out in order and names the first one that differs from the blocks (null: none does). */
function rowDamage(db: TraceDb, run: Run, b: EventBlocks, total: number): string | null {
  const n = b.firstSeq.length;
  const texts = readStrings(db);
  const digest = new EventDigest();
  let k = 0; // block of the next row
  let seq = 0; // seq the next row must have
  let icount = 0; // icount of the previous row
  for (const r of readEventRows(db, run.id)) {
    for (let i = 0; i < r.length; i++) if (typeof r[i] !== 'number' || !Number.isInteger(r[i])) return `event #${r[0]}: a value that is not an integer`;
    if (r[0] !== seq) return r[0] > seq ? `event #${seq} is missing from the events table` : `event #${r[0]} is stored twice`;
    if (k >= n) return `event #${seq} lies beyond the last event block (${total} events)`;
    if (!KIND_NAMES[r[2]]) return `event #${seq}: kind ${r[2]} is not an event kind`;
    if (r[3] < 0 || r[3] > 3) return `event #${seq}: CPL ${r[3]}`;
    if (!texts.has(r[10])) return `event #${seq}: text ${r[10]} is not in the strings table`;
    if (r[1] < icount) return `event #${seq}: icount ${r[1]} goes back (the previous event is at ${icount})`;
    if (seq === b.firstSeq[k]) digest.reset();
    digest.add(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10]);
    if (seq === b.lastSeq[k]) {
      if (digest.value() !== b.digest[k]) return `events #${b.firstSeq[k]}..#${b.lastSeq[k]} differ from their block's digest (an event was changed)`;
      k++;
    }
    icount = r[1];
    seq++;
  }
  if (seq < total) return seq === 0 ? `the events table holds none of run ${run.id}'s ${total} events` : `events #${seq}..#${total - 1} are missing from the events table`;
  return null;
}
