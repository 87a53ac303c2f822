/**
 * Replay: rebuilds the machine from the trace alone (the image is inside it), re-executes the
 * run with its recorded inputs at their recorded instruction counts, and with verification
 * compares every regenerated event with the recorded one, stopping at the first difference.
 */
import { readEvents, type TraceDb } from './store';
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

function sameEvent(a: TraceEvent, b: TraceEvent): boolean {
  return a.seq === b.seq && a.icount === b.icount && a.kind === b.kind && a.cpl === b.cpl && a.cs === b.cs && a.eip >>> 0 === b.eip >>> 0 &&
    a.a === b.a && a.b === b.b && a.c === b.c && a.d === b.d && a.text === b.text;
}

export function replayRun(db: TraceDb, opts: { runId?: number; verify: boolean; onUartByte?: (b: number) => void }): ReplayResult {
  const run = pickRun(db, opts.runId);
  const options = run.options as RunOptions;
  const machine = buildMachine(run.image, options, opts.onUartByte);
  const recorded = opts.verify ? readEvents(db, run.id) : null;
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
    if (r.done || !sameEvent(r.value, e)) {
      mismatch = { seq: e.seq, recorded: r.done ? '(none)' : formatEvent(r.value), replayed: formatEvent(e) };
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
    if (!extra.done) mismatch = { seq: extra.value.seq, recorded: formatEvent(extra.value), replayed: '(none)' };
  }
  return { runId: run.id, result, events: count, complete: run.complete, mismatch };
}
