/** `ringside at FILE [--run ID] --icount N`: the machine state at an instruction count. */
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { pickRun, openTimeline } from '../../recorder/load-run';
import { describeState } from '../../emulator/describe-state';
import { parseRunId, parseCount } from '../options';
import { UsageError } from '../errors';
import { writeStdout } from '../stdout';

export function atCommand(file: string, opts: { run?: string; icount?: string }): number {
  if (opts.icount === undefined) throw new UsageError('at needs --icount N');
  const n = parseCount(opts.icount, '--icount');
  const db = openTraceReadOnly(file);
  try {
    const run = pickRun(db, parseRunId(opts.run));
    const tl = openTimeline(db, run);
    if (n > tl.end) throw new UsageError(`run ${run.id} ends at icount ${tl.end}; --icount ${n} is beyond it`);
    tl.seek(n);
    writeStdout(`run ${run.id} (${run.imageName}, ${run.mode}) at icount ${tl.icount} of ${tl.end}\n` + describeState(tl.machine).join('\n') + '\n');
    return 0;
  } finally {
    closeTrace(db);
  }
}
