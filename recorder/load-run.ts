/** Reads what replay and time travel need about a run from an open trace, every value checked. */
import { readRun, readInputs, readSnapshots, TraceError, REPLAYABLE_SCHEMA_VERSION, type TraceDb, type Run } from './store';
import type { Input } from './session';
import { Timeline, type RecordedRun } from './timeline';
import { checkRun, checkInputs, damaged } from './validate-run';
import { runDisks } from './run-disks';

/** The run to use: the one named, or the file's last run; its stored values checked; refused if this build cannot regenerate its events. */
export function pickRun(db: TraceDb, id?: number): Run {
  if (id === undefined) {
    const last = db.prepare('SELECT max(id) FROM runs').pluck().safeIntegers(true).get() as bigint | null;
    if (last === null) throw new TraceError('this trace holds no run');
    if (last > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw damaged(db, `run id ${last} is above ${Number.MAX_SAFE_INTEGER} (2^53 - 1), which ringside cannot select (ringside numbers runs 1, 2, 3...)`);
    }
    id = Number(last);
  }
  const run = readRun(db, id);
  checkRun(db, run);
  if (run.schemaVersion < REPLAYABLE_SCHEMA_VERSION) {
    throw new TraceError(`run ${run.id} was recorded with trace schema version ${run.schemaVersion}, whose events this build stamps differently: record it again`);
  }
  return run;
}

export function runInputs(db: TraceDb, run: number): Input[] {
  return checkInputs(db, run, readInputs(db, run));
}

/** Everything Timeline needs, for a complete or an incomplete (killed) run. */
export function loadRecordedRun(db: TraceDb, run: Run): RecordedRun {
  const options = checkRun(db, run);
  const stored = readSnapshots(db, run.id);
  if (stored.length === 0) throw new TraceError(`run ${run.id} has no snapshot to start from`);
  const snapshots = stored.map((s) => {
    const bad = (what: string): TraceError => damaged(db, `run ${run.id}: snapshot ${s.id}: ${what}`);
    if (!(typeof s.icount === 'number' && Number.isSafeInteger(s.icount) && s.icount >= 0)) throw bad(`icount ${String(s.icount)} is not a count`);
    if (!(s.cpu instanceof Uint8Array) || !(s.devices instanceof Uint8Array)) throw bad('its cpu or devices state is not a BLOB');
    s.chunkNumbers.forEach((c, k) => {
      if (c !== k) throw bad(`page chunk ${String(c)} where ${k} was expected (chunks are numbered from 0 without gaps)`);
    });
    return { icount: s.icount, cpu: s.cpu, devices: s.devices, pages: s.pages };
  });
  // The image is loaded into RAM before the first snapshot: it always holds pages.
  if (snapshots[0].pages.length === 0) throw damaged(db, `run ${run.id}: the first snapshot holds no pages`);
  return {
    image: run.image,
    options,
    inputs: runInputs(db, run.id),
    snapshots,
    finalIcount: run.finalIcount ?? run.lastIcount ?? 0,
    disks: runDisks(db, run.id),
  };
}

/** A Timeline over a stored run; a snapshot that cannot be used is a damaged trace (one line). */
export function openTimeline(db: TraceDb, run: Run): Timeline {
  const recorded = loadRecordedRun(db, run);
  try {
    return new Timeline(recorded);
  } catch (e) {
    if ((e as Error).name === 'SnapshotError') throw damaged(db, `run ${run.id}: ${(e as Error).message}`);
    throw e;
  }
}
