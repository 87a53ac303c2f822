/**
 * `ringside diff FILE --left RUN --right RUN [--json] [--cost FILE]` and
 * `ringside diff A.sqlite B.sqlite [--left-run N] [--right-run N]`: where two runs of the same
 * guest image first differ in what the guest can see, why (the category), and what the
 * monitor cost. Exit 0: never diverge; 1: diverge; 2: bad input.
 */
import { readFileSync } from 'node:fs';
import { openTraceReadOnly, closeTrace, readEvents, type TraceDb } from '../../recorder/store';
import { pickRun } from '../../recorder/load-run';
import { traceDiffRun } from '../../recorder/diff/trace-run';
import { buildReport, formatReport } from '../../recorder/diff/report';
import { parseCostModel, COST_MODELS, COST_KINDS, type CostModel } from '../../recorder/diff/cost';
import { parseRunId } from '../options';
import { UsageError } from '../errors';
import { writeStdout } from '../stdout';

export interface DiffCliOptions {
  left?: string;
  right?: string;
  leftRun?: string;
  rightRun?: string;
  json?: boolean;
  cost?: string;
}

function runId(s: string | undefined, option: string): number | undefined {
  try {
    return parseRunId(s);
  } catch {
    throw new UsageError(`${option} must be a run id (a positive integer), not '${s}'`);
  }
}

export function diffCommand(files: string[], opts: DiffCliOptions): number {
  if (files.length < 1 || files.length > 2) throw new UsageError('diff takes one trace file (with --left and --right) or two trace files');
  let leftFile: string, rightFile: string, leftId: number | undefined, rightId: number | undefined;
  if (files.length === 1) {
    if (opts.left === undefined || opts.right === undefined) throw new UsageError('diff FILE needs --left RUN and --right RUN (or give two trace files)');
    if (opts.leftRun !== undefined || opts.rightRun !== undefined) throw new UsageError('--left-run/--right-run go with two trace files; with one file use --left and --right');
    [leftFile, rightFile] = [files[0], files[0]];
    leftId = runId(opts.left, '--left');
    rightId = runId(opts.right, '--right');
  } else {
    if (opts.left !== undefined || opts.right !== undefined) throw new UsageError('with two trace files use --left-run and --right-run');
    [leftFile, rightFile] = files;
    leftId = runId(opts.leftRun, '--left-run') ?? 1;
    rightId = runId(opts.rightRun, '--right-run') ?? 1;
  }
  let costText: string | undefined;
  if (opts.cost !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.cost, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read the cost file ${opts.cost}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      parseCostModel(text, COST_MODELS.software); // checked before any run is opened
    } catch (e) {
      throw new UsageError(`${opts.cost}: ${(e as Error).message}`);
    }
    costText = text;
  }
  const dbs: TraceDb[] = [];
  try {
    const ldb = openTraceReadOnly(leftFile);
    dbs.push(ldb);
    const rdb = leftFile === rightFile ? ldb : openTraceReadOnly(rightFile);
    if (rdb !== ldb) dbs.push(rdb);
    const lrun = pickRun(ldb, leftId), rrun = pickRun(rdb, rightId);
    if (lrun.imageSha256 !== rrun.imageSha256) {
      throw new UsageError(`the runs are of different guest images (${lrun.imageName} ${lrun.imageSha256.slice(0, 12)} vs ${rrun.imageName} ${rrun.imageSha256.slice(0, 12)}): diff compares two runs of one image`);
    }
    const label = (run: typeof lrun) => `run ${run.id} (${run.mode}${(run.options as { shadow?: string }).shadow ? ' ' + (run.options as { shadow?: string }).shadow : ''})`;
    const left = traceDiffRun(ldb, lrun, label(lrun));
    const right = traceDiffRun(rdb, rrun, label(rrun));
    const tty = process.stderr.isTTY === true;
    // The file's figures replace those of each monitored run's family; figures it omits stay.
    const report = buildReport(left, right, {
      costModel: costText === undefined ? undefined : (base: CostModel) => parseCostModel(costText, base),
      allEvents: (side) => readEvents(side === 'left' ? ldb : rdb, side === 'left' ? lrun.id : rrun.id, { kinds: COST_KINDS }),
      progress: tty ? (what, done, total) => process.stderr.write(`\r\x1b[Kringside diff: ${what} ${done}/${total}`) : undefined,
    });
    if (tty) process.stderr.write('\r\x1b[K');
    writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return report.diverged ? 1 : 0;
  } finally {
    for (const db of dbs) closeTrace(db);
  }
}
