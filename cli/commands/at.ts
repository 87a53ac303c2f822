/** `ringside at FILE [--run ID] --icount N`: the machine state at an instruction count. */
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { pickRun, loadRecordedRun } from '../../recorder/load-run';
import { Timeline } from '../../recorder/timeline';
import { describeState } from '../../emulator/describe-state';
import { formatScreen } from '../../emulator/devices/vga-text';
import { parseRunId, parseCount } from '../options';
import { UsageError } from '../errors';

export function atCommand(file: string, opts: { run?: string; icount?: string; screen?: boolean }): number {
  if (opts.icount === undefined) throw new UsageError('at needs --icount N');
  const n = parseCount(opts.icount, '--icount');
  const db = openTraceReadOnly(file);
  try {
    const run = pickRun(db, parseRunId(opts.run));
    const tl = new Timeline(loadRecordedRun(db, run));
    if (n > tl.end) throw new UsageError(`run ${run.id} ends at icount ${tl.end}; --icount ${n} is beyond it`);
    tl.seek(n);
    process.stdout.write(`run ${run.id} (${run.imageName}, ${run.mode}) at icount ${tl.icount} of ${tl.end}\n`);
    if (opts.screen === true) process.stdout.write(formatScreen(tl.machine.screen()));
    else process.stdout.write(describeState(tl.machine).join('\n') + '\n');
    return 0;
  } finally {
    closeTrace(db);
  }
}
