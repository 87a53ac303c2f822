/** Reading events backwards from a seq, all kinds or some, and reading a limited number forwards. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTraceReadOnly, closeTrace, readEvents, readEventsBackward, type TraceDb } from '../../../recorder/store';
import { EventKind } from '../../../recorder/events';
import { recordDebugTrace, RUNS } from '../../helpers/debug-trace';

let db: TraceDb;
beforeAll(() => {
  db = openTraceReadOnly(recordDebugTrace());
});
afterAll(() => closeTrace(db));

describe('readEventsBackward', () => {
  it('returns the last events before a seq, newest first, equal to the forward read reversed', () => {
    const run = RUNS.hiddenSw033;
    const all = [...readEvents(db, run)];
    const before = all[Math.floor(all.length / 2)].seq;
    const back = readEventsBackward(db, run, before, 50);
    expect(back).toEqual(all.filter((e) => e.seq < before).slice(-50).reverse());
  });

  it('with kinds, skips the blocks without them and still finds every match', () => {
    const run = RUNS.hiddenSw033;
    const kinds = [EventKind.stale_descriptor, EventKind.halt];
    const all = [...readEvents(db, run)].filter((e) => kinds.includes(e.kind as 6 | 17));
    expect(all.length).toBeGreaterThan(1);
    expect(readEventsBackward(db, run, Number.MAX_SAFE_INTEGER, 1000, kinds)).toEqual([...all].reverse());
    expect(readEventsBackward(db, run, all[1].seq, 5, kinds)).toEqual([all[0]]);
    expect(readEventsBackward(db, run, all[0].seq, 5, kinds)).toEqual([]);
    expect(readEventsBackward(db, run, 100, 5, [])).toEqual([]);
  });

  it('readEvents with a limit reads that many', () => {
    const got = [...readEvents(db, RUNS.hiddenNative, { fromSeq: 10, limit: 3 })];
    expect(got.map((e) => e.seq)).toEqual([10, 11, 12]);
    expect([...readEvents(db, RUNS.hiddenNative, { kinds: [EventKind.segment_load], limit: 2 })].length).toBe(2);
  });
});
