/**
 * Replay: rebuilds the machine from the trace alone (the image is inside it), re-executes the
 * run with its recorded inputs at their recorded instruction counts, and with verification
 * compares every regenerated event with the recorded one, stopping at the first difference.
 */
import { readEventRows, readStrings, type EventRow, type TraceDb } from './store';
import { Session, buildMachine, type RunOptions } from './session';
import { formatEvent, type TraceEvent } from './events';
import { pickRun, runInputs } from './load-run';
import type { RunResult } from '../emulator/machine';

export interface Mismatch {
  seq: number; // sequence number of the first differing event
  recorded: string; // the recorded event (formatted), or '(none)'
  replayed: string; // the regenerated one, or '(none)'
}

export interface ReplayResult {
  runId: number;
  result: RunResult;
  events: number; // events regenerated
  complete: boolean; // the recorded run had finished
  mismatch: Mismatch | null;
}

/** A stored row as an event (for reports). */
function rowEvent(r: EventRow, texts: Map<number, string>): TraceEvent {
  return { seq: r[0], icount: r[1], kind: r[2], cpl: r[3], cs: r[4], eip: r[5], a: r[6], b: r[7], c: r[8], d: r[9], text: texts.get(r[10]) ?? '' };
}

function sameEvent(r: EventRow, e: TraceEvent, texts: Map<number, string>): boolean {
  return r[0] === e.seq && r[1] === e.icount && r[2] === e.kind && r[3] === e.cpl && r[4] === e.cs && r[5] >>> 0 === e.eip >>> 0 &&
    r[6] === e.a && r[7] === e.b && r[8] === e.c && r[9] === e.d && (texts.get(r[10]) ?? '') === e.text;
}

export function replayRun(db: TraceDb, opts: { runId?: number; verify: boolean; onUartByte?: (b: number) => void }): ReplayResult {
  const run = pickRun(db, opts.runId);
  const options = run.options as RunOptions;
  const machine = buildMachine(run.image, options, opts.onUartByte);
  const recorded = opts.verify ? readEventRows(db, run.id) : null;
  const texts = readStrings(db);
  let mismatch: Mismatch | null = null;
  let count = 0;
  const sink = (e: TraceEvent) => {
    count++;
    if (recorded === null || mismatch !== null) return;
    const r = recorded.next();
    if (r.done && !run.complete) {
      // A killed recording ends mid-stream: everything it committed matched.
      machine.cpu.stopReason = 'end of recording';
      return;
    }
    if (r.done || !sameEvent(r.value, e, texts)) {
      mismatch = { seq: e.seq, recorded: r.done ? '(none)' : formatEvent(rowEvent(r.value, texts)), replayed: formatEvent(e) };
      machine.cpu.stopReason = 'mismatch';
    }
  };
  const session = new Session(machine, { ...options, snapshotInterval: 0 }, sink, runInputs(db, run.id));
  // An incomplete run replays as far as its committed events go.
  const stopAt = run.finalIcount ?? (run.lastIcount !== null ? run.lastIcount + 1 : options.maxInstructions ?? Infinity);
  const result = session.run(stopAt);
  if (mismatch === null && run.complete) session.end(result);
  if (recorded !== null && mismatch === null) {
    const extra = recorded.next();
    if (!extra.done) mismatch = { seq: extra.value[0], recorded: formatEvent(rowEvent(extra.value, texts)), replayed: '(none)' };
  }
  recorded?.return?.(); // ends the statement, which would otherwise keep the connection busy
  return { runId: run.id, result, events: count, complete: run.complete, mismatch };
}
