/**
 * Translates an icount range into a seq range through event_blocks (icount never decreases
 * along seq, so the blocks are ordered the same way by both): the events with
 * from <= icount <= to all lie within the returned seqs. One index seek per bound.
 */
import type { TraceDb } from './types';

export interface SeqRange {
  lo: number; // no event of the range has a smaller seq
  hi: number; // no event of the range has a larger seq (-1: the range holds no event)
}

export function seqRangeForIcount(db: TraceDb, run: number, fromIcount?: number, toIcount?: number): SeqRange {
  let lo = 0;
  let hi = Number.MAX_SAFE_INTEGER;
  if (fromIcount !== undefined) {
    // The last block starting before `from` may end at or after it; every earlier block ends before it.
    const seq = db
      .prepare('SELECT first_seq FROM event_blocks WHERE run = ? AND first_icount < ? ORDER BY first_icount DESC, first_seq DESC LIMIT 1')
      .pluck()
      .get(run, fromIcount) as number | undefined;
    if (seq !== undefined) lo = seq;
  }
  if (toIcount !== undefined) {
    // Every block after the last one starting at or before `to` starts after it.
    const seq = db
      .prepare('SELECT last_seq FROM event_blocks WHERE run = ? AND first_icount <= ? ORDER BY first_icount DESC, first_seq DESC LIMIT 1')
      .pluck()
      .get(run, toIcount) as number | undefined;
    hi = seq ?? -1;
  }
  return { lo, hi };
}
