/**
 * Every value replay and time travel take from a trace is checked before use: a trace is a
 * file anyone can edit, and a crafted or damaged one must give one line naming what is wrong
 * (a TraceError: exit 2), never an internal error deep inside the machine. The stored events
 * themselves are checked against their blocks by check-events.ts.
 */
import { createHash } from 'node:crypto';
import { TraceError, SCHEMA_VERSION, type Run, type StoredInput, type TraceDb } from './store';
import { modeProblem } from '../emulator/monitors/modes';
import { tscRateProblem } from '../emulator/cpu/ops/model';
import { revisionProblem } from '../emulator/machine';
import { isEndReason } from './end-reasons';
import { INPUT_CHANNELS, type Input, type InputChannel, type RunOptions } from './session';

/** RAM a run may have: 2 MiB to 2 GiB, a multiple of 4 KiB (the CLI's --ram takes the same). */
export const RAM_SIZE_MIN = 2 * 1024 ** 2;
export const RAM_SIZE_MAX = 2 * 1024 ** 3;

export function ramSizeProblem(n: number): string | null {
  return Number.isInteger(n) && n % 4096 === 0 && n >= RAM_SIZE_MIN && n <= RAM_SIZE_MAX ? null : 'must be a multiple of 4 KiB between 2M and 2G';
}

/** The error for a damaged or crafted trace: `<file>: damaged trace: <what>`. */
export function damaged(db: TraceDb, what: string): TraceError {
  return new TraceError(`${db.name}: damaged trace: ${what}`);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isInt32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff;

/** What is wrong with a run's stored options (null: nothing). */
export function runOptionsProblem(o: unknown): string | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'options are not a JSON object';
  const r = o as Record<string, unknown>;
  if (typeof r.mode !== 'string') return 'options.mode is not a string';
  if (r.shadow !== undefined && typeof r.shadow !== 'string') return 'options.shadow is not a string';
  const mode = modeProblem(r.mode, r.shadow as string | undefined);
  if (mode !== null) return `options: ${mode}`;
  if (typeof r.cmdline !== 'string') return 'options.cmdline is not a string';
  if (typeof r.ramSize !== 'number' || ramSizeProblem(r.ramSize) !== null) return `options.ramSize ${JSON.stringify(r.ramSize)} ${ramSizeProblem(Number(r.ramSize))}`;
  if (r.flatAddress !== undefined && !(isCount(r.flatAddress) && r.flatAddress <= 0xffffffff)) return `options.flatAddress ${JSON.stringify(r.flatAddress)} is not an address`;
  if (r.maxInstructions !== undefined && !isCount(r.maxInstructions)) return `options.maxInstructions ${JSON.stringify(r.maxInstructions)} is not a count`;
  if (r.jitterSeed !== undefined && !(isCount(r.jitterSeed) && r.jitterSeed <= 0xffffffff)) return `options.jitterSeed ${JSON.stringify(r.jitterSeed)} is not a 32-bit seed`;
  if (r.tscPerInstruction !== undefined && (typeof r.tscPerInstruction !== 'number' || tscRateProblem(r.tscPerInstruction) !== null)) {
    return `options.tscPerInstruction ${JSON.stringify(r.tscPerInstruction)} ${tscRateProblem(Number(r.tscPerInstruction))}`;
  }
  if (r.machineRevision !== undefined && revisionProblem(r.machineRevision) !== null) return `options.machineRevision ${revisionProblem(r.machineRevision)}`;
  if (!isCount(r.snapshotInterval)) return `options.snapshotInterval ${JSON.stringify(r.snapshotInterval)} is not a count`;
  return null;
}

/** Checks the run's row: image, options, versions and end. Returns its options. */
export function checkRun(db: TraceDb, run: Run): RunOptions {
  const bad = (what: string): TraceError => damaged(db, `run ${run.id}: ${what}`);
  if (!(run.image instanceof Uint8Array) || run.image.length === 0) throw bad('the image is not a non-empty BLOB');
  if (createHash('sha256').update(run.image).digest('hex') !== run.imageSha256) throw bad('the image does not match its SHA-256 (image_sha256)');
  if (typeof run.imageName !== 'string') throw bad('image_name is not text');
  const problem = runOptionsProblem(run.options);
  if (problem !== null) throw bad(problem);
  const options = run.options as RunOptions;
  if (run.mode !== options.mode) throw bad(`mode '${String(run.mode)}' differs from options.mode '${options.mode}'`);
  if (run.snapshotInterval !== options.snapshotInterval) throw bad(`snapshot_interval ${String(run.snapshotInterval)} differs from options.snapshotInterval ${options.snapshotInterval}`);
  if (typeof run.ringsideVersion !== 'string' || !/^\d+\.\d+\.\d+/.test(run.ringsideVersion)) throw bad(`ringside_version ${JSON.stringify(run.ringsideVersion)} is not a version`);
  if (!(Number.isInteger(run.schemaVersion) && run.schemaVersion >= 1 && run.schemaVersion <= SCHEMA_VERSION)) {
    throw bad(`schema_version ${String(run.schemaVersion)} is not one this build reads (1 to ${SCHEMA_VERSION})`);
  }
  if (run.endReason !== null) {
    if (!isEndReason(run.endReason)) throw bad(`end_reason ${JSON.stringify(run.endReason)} is not an end reason`);
    if (!isInt32(run.exitCode)) throw bad(`exit_code ${String(run.exitCode)} is not an exit code`);
    if (!isCount(run.finalIcount)) throw bad(`final_icount ${String(run.finalIcount)} is not a count`);
    if (!isCount(run.eventCount)) throw bad(`event_count ${String(run.eventCount)} is not a count`);
    if (options.maxInstructions !== undefined && run.finalIcount > options.maxInstructions) throw bad(`final_icount ${run.finalIcount} is beyond options.maxInstructions`);
  } else if (run.exitCode !== null || run.finalIcount !== null || run.eventCount !== null) {
    throw bad('an incomplete run (end_reason NULL) with an exit code, a final icount or an event count');
  }
  if (run.lastIcount !== null && !isCount(run.lastIcount)) throw bad(`event_blocks: last_icount ${String(run.lastIcount)} is not a count`);
  if (run.finalIcount !== null && run.lastIcount !== null && run.lastIcount > run.finalIcount) throw bad(`an event at icount ${run.lastIcount}, after the run's end at ${run.finalIcount}`);
  run.modules.forEach((m, k) => {
    if (typeof m.name !== 'string') throw bad(`module ${k}: its name is not text`);
    if (!(m.data instanceof Uint8Array)) throw bad(`module ${k} (${m.name}): its data is not a BLOB`);
    if (createHash('sha256').update(m.data).digest('hex') !== m.sha256) throw bad(`module ${k} (${m.name}): its data does not match its SHA-256`);
  });
  // The modules live in their own table, not in the options JSON: whatever the JSON says of them is not used.
  // A run stored without a machine revision was recorded before revisions: on the first machine.
  const { modules: _ignored, ...given } = options;
  const stored: RunOptions = { ...given, machineRevision: given.machineRevision ?? 1 };
  return run.modules.length === 0 ? stored : { ...stored, modules: run.modules.map((m) => ({ name: m.name, data: m.data })) };
}

/** Checks a run's stored inputs and returns them as replay feeds them (a BLOB value: its bytes, one input each). */
export function checkInputs(db: TraceDb, run: number, stored: StoredInput[]): Input[] {
  const out: Input[] = [];
  let last = 0;
  stored.forEach((i, k) => {
    const bad = (what: string): TraceError => damaged(db, `run ${run}: input #${k}: ${what}`);
    if (i.seq !== k) throw bad(`seq ${String(i.seq)} where ${k} was expected (inputs are numbered from 0 without gaps)`);
    if (!isCount(i.icount)) throw bad(`icount ${String(i.icount)} is not a count`);
    if (i.icount < last) throw bad(`icount ${i.icount} goes back (the previous input is at ${last})`);
    last = i.icount;
    if (!(INPUT_CHANNELS as readonly string[]).includes(i.channel)) throw bad(`channel ${JSON.stringify(i.channel)} is none of ${INPUT_CHANNELS.join(', ')}`);
    const channel = i.channel as InputChannel;
    const values = i.value instanceof Uint8Array ? [...i.value] : [i.value];
    if (values.length === 0) throw bad('an empty value');
    for (const v of values) {
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw bad(`value ${String(v)} is not a byte`);
      if (i.channel === 'irq' && v < 16) throw bad(`irq vector ${v} is below 16 (an interrupt cannot be raised at it)`);
      out.push({ icount: i.icount, channel, value: v });
    }
  });
  return out;
}
