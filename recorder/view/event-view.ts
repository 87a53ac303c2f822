/**
 * The event timeline as plain data for the debugger: the events around an instruction count
 * (optionally only some kinds), and the next or previous event from a point.
 */
import { readEvents, readEventsBackward, type TraceDb } from '../store';
import { EventKind, KIND_NAMES, fieldsLine, type TraceEvent } from '../events';

export interface EventLine {
  seq: number;
  icount: number;
  kind: string; // the kind's name
  cpl: number;
  cs: number;
  eip: number;
  fields: string; // the kind's fields as name=value
}

export const EVENT_KIND_NAMES: readonly string[] = Object.keys(EventKind);

/** Kind names to numbers; throws with the unknown name. */
export function kindNumbers(names: readonly string[]): number[] {
  return names.map((n) => {
    const k = (EventKind as Record<string, number>)[n];
    if (k === undefined) throw new RangeError(`unknown event kind '${n}' (kinds: ${EVENT_KIND_NAMES.join(' ')})`);
    return k;
  });
}

export function eventLine(e: TraceEvent): EventLine {
  return { seq: e.seq, icount: e.icount, kind: KIND_NAMES[e.kind] ?? `kind${e.kind}`, cpl: e.cpl, cs: e.cs, eip: e.eip >>> 0, fields: fieldsLine(e) };
}

/** The first event at or after `icount` (of `kinds`), or undefined. */
export function firstEventFrom(db: TraceDb, run: number, icount: number, kinds?: readonly number[]): EventLine | undefined {
  for (const e of readEvents(db, run, { fromIcount: icount, kinds, limit: 1 })) return eventLine(e);
  return undefined;
}

/** The first event after seq `seq` (of `kinds`). */
export function nextEventAfter(db: TraceDb, run: number, seq: number, kinds?: readonly number[]): EventLine | undefined {
  for (const e of readEvents(db, run, { fromSeq: seq + 1, kinds, limit: 1 })) return eventLine(e);
  return undefined;
}

/** The last event before seq `seq` (of `kinds`). */
export function previousEventBefore(db: TraceDb, run: number, seq: number, kinds?: readonly number[]): EventLine | undefined {
  const [e] = readEventsBackward(db, run, seq, 1, kinds);
  return e === undefined ? undefined : eventLine(e);
}

/** The last event before `icount` (of `kinds`). */
export function lastEventBefore(db: TraceDb, run: number, icount: number, kinds?: readonly number[]): EventLine | undefined {
  const next = firstEventFrom(db, run, icount);
  return previousEventBefore(db, run, next === undefined ? Number.MAX_SAFE_INTEGER : next.seq, kinds);
}

export interface EventWindow {
  lines: EventLine[]; // in seq order
  here: number; // index of the first line at or after the current point (lines.length: all are before)
}

/**
 * Up to `before` events before the point and `after` from it on. The point is the event `seq`
 * when given (the one the user moved to), otherwise the instruction count `icount`.
 */
export function eventWindow(db: TraceDb, run: number, at: { icount: number; seq?: number }, before: number, after: number, kinds?: readonly number[]): EventWindow {
  let pivot: number; // seq of the first event from the point on
  if (at.seq !== undefined) pivot = at.seq;
  else {
    const first = firstEventFrom(db, run, at.icount, kinds);
    pivot = first === undefined ? Number.MAX_SAFE_INTEGER : first.seq;
  }
  const older = readEventsBackward(db, run, pivot, before, kinds).reverse().map(eventLine);
  const newer: EventLine[] = [];
  if (after > 0 && pivot !== Number.MAX_SAFE_INTEGER) {
    for (const e of readEvents(db, run, { fromSeq: pivot, kinds, limit: after })) {
      newer.push(eventLine(e));
      if (newer.length >= after) break;
    }
  }
  return { lines: [...older, ...newer], here: older.length };
}
