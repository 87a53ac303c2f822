/** `ringside record IMAGE`: the same run as `ringside run`, recorded into a trace. */
import { endNotes } from '../end-notes';
import { parseSetup, type SetupCliOptions } from '../machine-options';
import { basename, dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Recording, type RecordSpec, type RecordResult } from '../../recorder/record';
import { LiveTarget } from '../../debugger/gdbstub/live-target';
import { serveForGdb } from '../gdb-session';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../../recorder/session';
import { interruptedAt } from '../../recorder/end-reasons';
import { parseMode, parseShadow, parseVtxGen, parseCount, readInputFile, parseGdbAddress, checkTraceOutPath, parseSeed } from '../options';
import { UsageError } from '../errors';
import { ProgressLine } from '../stdout';
import { InterruptWatch, nextTurn } from '../interrupt';

export interface RecordCliOptions extends SetupCliOptions {
  mode?: string;
  shadow?: string;
  vtxGen?: string;
  out?: string;
  jitter?: string;
  maxInstructions?: string;
  snapshotInterval?: string;
  quiet?: boolean;
  gdb?: string;
}

/** Instructions per slice: Ctrl-C is seen between two slices. */
const SLICE = 2_000_000;

export async function recordCommand(imagePath: string, opts: RecordCliOptions): Promise<number> {
  const gdb = opts.gdb !== undefined ? parseGdbAddress(opts.gdb) : undefined;
  const mode = parseMode(opts.mode);
  const image = readInputFile(imagePath, 'image');
  const setup = parseSetup(opts);
  const jitterSeed = opts.jitter !== undefined ? parseSeed(opts.jitter, '--jitter') : undefined;
  const max = parseCount(opts.maxInstructions, '--max-instructions');
  const interval = opts.snapshotInterval !== undefined ? parseCount(opts.snapshotInterval, '--snapshot-interval') : DEFAULT_SNAPSHOT_INTERVAL;
  if (interval < 1000) throw new UsageError('--snapshot-interval must be at least 1000 instructions');
  const options: RunOptions = {
    mode,
    shadow: parseShadow(mode, opts.shadow),
    vtxGen: parseVtxGen(mode, opts.vtxGen),
    ...setup.options,
    maxInstructions: Number.isFinite(max) ? max : undefined,
    jitterSeed,
    snapshotInterval: interval,
  };
  const stem = basename(imagePath).replace(/\.[^.]*$/, '');
  const out = opts.out ?? join('traces', `${stem}-${mode}.sqlite`);
  checkTraceOutPath(out);
  try {
    mkdirSync(dirname(out) || '.', { recursive: true });
  } catch (err) {
    throw new UsageError(`cannot create the folder of '${out}': ${(err as Error).message}`);
  }
  const line = new ProgressLine('the recording goes on to the end of the run', process.stderr.isTTY === true && !opts.quiet);
  const guest = line.guest;
  const flush = (): void => guest.flush();
  const showProgress = (icount: number, events: number): void => {
    flush();
    line.show(`recording: ${(icount / 1e6).toFixed(0)} M instructions, ${events} events`);
  };
  const spec: RecordSpec = { image, imageName: basename(imagePath), options, out, inputs: setup.inputs, onUartByte: guest.byte, onProgress: showProgress, disks: setup.disks };
  const done = (r: RecordResult): number => {
    flush();
    line.clear();
    if (r.shutdown !== '') process.stderr.write(`ringside: ${r.shutdown}\n`);
    const end = r.result.reason === 'interrupted' ? `interrupted (Ctrl-C) at icount ${r.result.icount}` : `end ${r.result.reason}`;
    process.stderr.write(`ringside: recorded run ${r.runId} into ${out}: ${r.result.icount} instructions, ${r.events} events, ${r.snapshots} snapshots, ${end}\n`);
    if (process.stderr.isTTY) for (const line of endNotes(r.machine, r.result)) process.stderr.write(line + '\n');
    return r.result.exitCode;
  };
  if (gdb !== undefined) return done(await recordUnderGdb(spec, gdb, imagePath, flush));
  return done(await recordToEnd(spec, max, showProgress));
}

/**
 * Records a slice at a time, looking for Ctrl-C between slices: then the run ends there, at an
 * instruction boundary, as `interrupted`, with everything recorded so far committed.
 */
async function recordToEnd(spec: RecordSpec, max: number, showProgress: (icount: number, events: number) => void): Promise<RecordResult> {
  const rec = new Recording(spec);
  const cpu = rec.machine.cpu;
  const ctrlC = new InterruptWatch();
  try {
    for (;;) {
      const result = rec.run(cpu.icount + SLICE);
      if (result.reason !== 'limit' || cpu.icount >= max) return rec.finish(result);
      showProgress(cpu.icount, rec.session.recorder.count);
      await nextTurn();
      if (ctrlC.requested) return rec.finish(interruptedAt(cpu.icount));
    }
  } catch (e) {
    rec.close();
    throw e;
  } finally {
    ctrlC.dispose();
  }
}

/**
 * `record --gdb`: the recording advances only as gdb steps and continues; after gdb detaches it
 * records on to the end. A kill ends the run where it is (end reason limit, replayable to there).
 */
async function recordUnderGdb(spec: RecordSpec, address: { host: string; port: number }, imagePath: string, flush: () => void): Promise<RecordResult> {
  let target: LiveTarget | undefined;
  const rec = new Recording({ ...spec, onEvent: (e) => target?.noteEvent(e) });
  try {
    target = new LiveTarget({
      machine: rec.machine,
      limit: spec.options.maxInstructions ?? Infinity,
      run: (stopAt) => {
        const r = rec.run(stopAt);
        flush();
        return r;
      },
    });
    const end = await serveForGdb(target, address, imagePath);
    if (end === 'kill') {
      process.stderr.write(`ringside: the debugger killed the run at icount ${rec.machine.cpu.icount}\n`);
      return rec.finish({ reason: 'limit', exitCode: 124, icount: rec.machine.cpu.icount });
    }
    return rec.finish(target.result ?? rec.run());
  } catch (e) {
    rec.close();
    throw e;
  }
}
