/** `ringside replay FILE [--run ID] [--verify]`: re-executes a recorded run from the trace alone. */
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { replayRun } from '../../recorder/replay';
import { parseRunId, parseGdbAddress } from '../options';
import { pickRun, openTimeline } from '../../recorder/load-run';
import { TraceTarget } from '../../debugger/gdbstub/trace-target';
import { serveForGdb } from '../gdb-session';
import { UsageError } from '../errors';
import { ProgressLine } from '../stdout';

export function replayCommand(file: string, opts: { run?: string; verify?: boolean; gdb?: string }): number | Promise<number> {
  const runId = parseRunId(opts.run);
  if (opts.gdb !== undefined) {
    if (opts.verify) throw new UsageError('--verify and --gdb do not go together');
    return replayUnderGdb(file, runId, parseGdbAddress(opts.gdb));
  }
  const db = openTraceReadOnly(file);
  const line = new ProgressLine('the replay goes on');
  const guest = line.guest;
  try {
    const r = replayRun(db, {
      runId,
      verify: opts.verify === true,
      onUartByte: (b) => {
        guest.byte(b);
        if (b === 0x0a) guest.flush(); // a line at a time, as the guest prints it
      },
      onChecking: () => line.show('checking the stored events against their blocks'),
      onProgress: (icount, of) => {
        guest.flush();
        line.show(`replaying: ${(icount / 1e6).toFixed(0)} of ${(of / 1e6).toFixed(0)} M instructions`);
      },
    });
    guest.flush();
    line.clear();
    if (r.damage !== null) {
      process.stderr.write(`ringside: the trace is damaged: ${r.damage}\n`);
      return 1;
    }
    if (r.mismatch !== null) {
      process.stderr.write(`ringside: replay of run ${r.runId} diverged at event #${r.mismatch.seq}\n  recorded: ${r.mismatch.recorded}\n  replayed: ${r.mismatch.replayed}\n`);
      return 1;
    }
    if (r.shutdown !== '') process.stderr.write(`ringside: ${r.shutdown}\n`);
    const what = opts.verify ? `verified: ${r.events} events identical` : `${r.events} events`;
    const end = r.complete ? `, end ${r.result.reason} (exit code ${r.result.exitCode})` : ' (the recording is incomplete: replayed as far as it goes)';
    process.stderr.write(`ringside: replayed run ${r.runId} to icount ${r.result.icount}, ${what}${end}\n`);
    return 0;
  } finally {
    closeTrace(db);
  }
}

/** `replay --gdb`: the recorded run in time, for gdb, until gdb detaches or kills. */
async function replayUnderGdb(file: string, runId: number | undefined, address: { host: string; port: number }): Promise<number> {
  const db = openTraceReadOnly(file);
  try {
    const run = pickRun(db, runId);
    const target = new TraceTarget(openTimeline(db, run), db, run.id);
    process.stderr.write(`ringside: run ${run.id} (${run.imageName}, ${run.mode}): ${target.end} instructions, from icount 0\n`);
    await serveForGdb(target, address, run.imageName);
    return 0;
  } finally {
    closeTrace(db);
  }
}
