/** `ringside tui FILE [--run ID] [--icount N]`: the terminal debugger on a trace. */
import { openTraceReadOnly, closeTrace, listRuns, TraceError } from '../../recorder/store';
import { Debugger } from '../../debugger-tui/debugger';
import { runTui } from '../../debugger-tui/main';
import type { PaneId } from '../../debugger-tui/panes';
import { parseRunId, parseCount } from '../options';
import { UsageError } from '../errors';

export function hasTerminal(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

export async function tuiCommand(file: string, opts: { run?: string; icount?: string; focus?: PaneId }): Promise<number> {
  const runId = parseRunId(opts.run);
  const icount = opts.icount === undefined ? undefined : parseCount(opts.icount, '--icount');
  const db = openTraceReadOnly(file);
  try {
    const runs = listRuns(db);
    if (runs.length === 0) throw new TraceError(`${file}: this trace holds no run`);
    if (runId !== undefined && !runs.some((r) => r.id === runId)) throw new UsageError(`${file} has no run ${runId} (runs: ${runs.map((r) => r.id).join(', ')})`);
    if (icount !== undefined && runId === undefined && runs.length > 1) throw new UsageError('--icount needs --run when the trace holds several runs');
    if (!hasTerminal()) throw new UsageError('tui needs a terminal (stdin and stdout); for scripts use `ringside at` or `ringside query`');
    const id = runId ?? (runs.length === 1 ? runs[0].id : undefined);
    let dbg: Debugger | undefined;
    if (id !== undefined) {
      dbg = new Debugger(db, file, id);
      if (icount !== undefined) {
        if (icount > dbg.end) throw new UsageError(`run ${id} ends at icount ${dbg.end}; --icount ${icount} is beyond it`);
        dbg.goto(icount, `opened at ${icount}`);
      }
    }
    await runTui({ db, file, runs, debugger: dbg, focus: opts.focus });
    return 0;
  } finally {
    closeTrace(db);
  }
}
