/**
 * `ringside demo` (and `npm start`): records every scenario guest in every mode this build
 * has (natively, sw-013, sw-033 split and shared, vtx and its first generation; the first DEMO_MAX_INSTRUCTIONS instructions
 * of each) into traces/demo.sqlite, then opens the
 * debugger on the first PUSH CS of ring-aliasing under sw-013, the first challenge of the
 * seed. Without a terminal it prints a summary instead: the runs, their modes and events,
 * where each challenge showed, and the trace's path. An existing demo trace recorded by this
 * version from the same guest images is reused.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { recordRun } from '../../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL } from '../../recorder/session';
import { openTraceReadOnly, closeTrace, listRuns, readRun, type RunInfo } from '../../recorder/store';
import { loadRecordedRun } from '../../recorder/load-run';
import { Timeline } from '../../recorder/timeline';
import { RINGSIDE_VERSION } from '../../recorder/version';
import { challengePoint, type ChallengePoint } from '../../recorder/view/challenge-points';
import { SCENARIOS, MATRIX_COLUMNS, scenarioImage, type Column } from '../../scenarios/scenarios';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { Debugger } from '../../debugger-tui/debugger';
import { runTui } from '../../debugger-tui/main';
import { hasTerminal } from './tui';

export const DEMO_TRACE = 'traces/demo.sqlite';
/**
 * Instructions recorded per run: every challenge shows well within them (the latest, the POPF of
 * interrupts, at about 205,000), six of the nine guests finish, and the trace stays near 300 MB
 * instead of 850 MB (syscalls, tpr and minikernel run on for millions of instructions).
 */
export const DEMO_MAX_INSTRUCTIONS = 250_000;
const OPEN_AT = { guest: 'ring-aliasing.elf', column: 'sw-013' };

/** The matrix column a recorded run belongs to (its label: mode, sw-033's shadow policy, VT-x's first generation). */
function columnOf(r: RunInfo): string {
  const o = r.options as { shadow?: string; vtxGen?: number } | null;
  return r.mode + (o?.shadow ? ' ' + o.shadow : '') + (o?.vtxGen === 1 ? ' gen1' : '');
}

interface Planned {
  guest: string;
  image: Uint8Array;
  column: Column;
}

function plan(): Planned[] {
  const out: Planned[] = [];
  for (const s of SCENARIOS) {
    const image = scenarioImage(s.name);
    for (const column of MATRIX_COLUMNS) out.push({ guest: `${s.name}.elf`, image, column });
  }
  return out;
}

/** The file already holds exactly these runs, complete, recorded by this version. */
function reusable(file: string, runs: Planned[]): boolean {
  if (!existsSync(file)) return false;
  try {
    const db = openTraceReadOnly(file);
    try {
      const have = listRuns(db);
      if (have.length !== runs.length) return false;
      // Snapshots this build cannot restore (an older state format) mean recording again.
      new Timeline(loadRecordedRun(db, readRun(db, have[0].id)));
      return runs.every((p, k) => {
        const r = have[k];
        return r.complete && (r.options as { maxInstructions?: number })?.maxInstructions === DEMO_MAX_INSTRUCTIONS && r.ringsideVersion === RINGSIDE_VERSION && r.imageName === p.guest && columnOf(r) === p.column.label && r.imageSha256 === createHash('sha256').update(p.image).digest('hex');
      });
    } finally {
      closeTrace(db);
    }
  } catch {
    return false;
  }
}

function record(file: string, runs: Planned[], progress: boolean): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  mkdirSync('traces', { recursive: true });
  runs.forEach((p, k) => {
    if (progress) process.stderr.write(`\r\x1b[Krecording ${k + 1}/${runs.length}: ${p.guest} ${p.column.label}`);
    recordRun({
      image: p.image,
      imageName: p.guest,
      options: { mode: p.column.mode, shadow: p.column.shadow, vtxGen: p.column.vtxGen, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL, maxInstructions: DEMO_MAX_INSTRUCTIONS },
      out: file,
      onProgress: progress ? (icount) => process.stderr.write(`\r\x1b[Krecording ${k + 1}/${runs.length}: ${p.guest} ${p.column.label} ${(icount / 1e6).toFixed(0)} M instructions`) : undefined,
    });
  });
  if (progress) process.stderr.write('\r\x1b[K');
}

export async function demoCommand(): Promise<number> {
  const file = DEMO_TRACE;
  const runs = plan();
  const progress = process.stderr.isTTY === true;
  if (!reusable(file, runs)) record(file, runs, progress);
  else if (progress) process.stderr.write(`reusing ${file} (recorded by this version from the same guests)\n`);
  const db = openTraceReadOnly(file);
  try {
    const infos = listRuns(db);
    if (progress) process.stderr.write('finding where each challenge shows…');
    const points = new Map<number, ChallengePoint | undefined>(infos.map((r) => [r.id, challengePoint(db, r.id, r.imageName)]));
    if (progress) process.stderr.write('\r\x1b[K');
    const start = infos.find((r) => r.imageName === OPEN_AT.guest && columnOf(r) === OPEN_AT.column)!;
    const at = points.get(start.id);
    if (!hasTerminal()) {
      printSummary(file, infos, points, start, at);
      return 0;
    }
    const dbg = new Debugger(db, file, start.id);
    if (at !== undefined) dbg.goto(at.icount, `demo: ${at.label}`, at.seq);
    await runTui({ db, file, runs: infos, debugger: dbg, focus: 'code' });
    return 0;
  } finally {
    closeTrace(db);
  }
}

function printSummary(file: string, runs: RunInfo[], points: Map<number, ChallengePoint | undefined>, start: RunInfo, at: ChallengePoint | undefined): void {
  const guests = new Set(runs.map((r) => r.imageName));
  const modes = [...new Set(runs.map(columnOf))];
  const events = runs.reduce((n, r) => n + (r.eventCount ?? 0), 0);
  const out: string[] = [];
  out.push(`ringside demo: ${runs.length} runs of ${guests.size} guests in ${modes.length} modes (${modes.join(', ')}), ${events} events`);
  out.push(`trace: ${file}`);
  out.push('');
  out.push(`${'run'.padStart(3)}  ${'guest'.padEnd(22)} ${'mode'.padEnd(14)} ${'instructions'.padStart(12)} ${'events'.padStart(8)}  ${'end'.padEnd(7)} where the challenge shows`);
  for (const r of runs) {
    const p = points.get(r.id);
    const where = p === undefined ? '- (does not show in this run)' : `@${p.icount}${p.seq !== undefined ? ` event #${p.seq}` : ''}: ${p.label}`;
    out.push(`${String(r.id).padStart(3)}  ${r.imageName.padEnd(22)} ${columnOf(r).padEnd(14)} ${String(r.finalIcount).padStart(12)} ${String(r.eventCount).padStart(8)}  ${`${r.endReason} ${r.exitCode}`.padEnd(7)} ${where}`);
  }
  out.push('');
  out.push(`on a terminal, ringside demo opens the debugger here: ringside tui ${file} --run ${start.id}${at ? ` --icount ${at.icount}` : ''}`);
  process.stdout.write(out.join('\n') + '\n');
}
