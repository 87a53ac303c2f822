/** Reads what replay and time travel need about a run from an open trace. */
import { readRun, readInputs, readSnapshots, listRuns, TraceError, REPLAYABLE_SCHEMA_VERSION, type TraceDb, type Run } from './store';
import type { Input, RunOptions } from './session';
import type { RecordedRun } from './timeline';

/** The run to use: the one named, or the file's last run; refused if this build cannot regenerate its events. */
export function pickRun(db: TraceDb, id?: number): Run {
  let run: Run;
  if (id !== undefined) run = readRun(db, id);
  else {
    const runs = listRuns(db);
    if (runs.length === 0) throw new TraceError('this trace holds no run');
    run = readRun(db, runs[runs.length - 1].id);
  }
  if (run.schemaVersion < REPLAYABLE_SCHEMA_VERSION) {
    throw new TraceError(`run ${run.id} was recorded with trace schema version ${run.schemaVersion}, whose events this build stamps differently: record it again`);
  }
  return run;
}

export function runInputs(db: TraceDb, run: number): Input[] {
  return readInputs(db, run).map((i) => ({
    icount: i.icount,
    channel: i.channel === 'irq' ? 'irq' : i.channel === 'keyboard' ? 'keyboard' : 'uart',
    value: typeof i.value === 'number' ? i.value : i.value[0],
  }));
}

/** Everything Timeline needs, for a complete or an incomplete (killed) run. */
export function loadRecordedRun(db: TraceDb, run: Run): RecordedRun {
  const snapshots = readSnapshots(db, run.id).map((s) => ({ icount: s.icount, cpu: s.cpu, devices: s.devices, pages: s.pages }));
  if (snapshots.length === 0) throw new TraceError(`run ${run.id} has no snapshot to start from`);
  return {
    image: run.image,
    options: run.options as RunOptions,
    inputs: runInputs(db, run.id),
    snapshots,
    finalIcount: run.finalIcount ?? run.lastIcount ?? 0,
  };
}
