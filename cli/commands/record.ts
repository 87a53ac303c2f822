/** `ringside record IMAGE`: the same run as `ringside run`, recorded into a trace. */
import { basename, dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Recording, type RecordResult } from '../../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../../recorder/session';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { parseMode, parseShadow, parseCount, parseAddress, parseRamSize, readInputFile, checkTraceOutPath, parseSeed } from '../options';
import { UsageError } from '../errors';
import { GuestOutput } from '../stdout';
import { InterruptWatch, nextTurn } from '../interrupt';

export interface RecordCliOptions {
  mode?: string;
  shadow?: string;
  out?: string;
  input?: string;
  jitter?: string;
  maxInstructions?: string;
  cmdline?: string;
  flat?: string;
  ram?: string;
  snapshotInterval?: string;
  quiet?: boolean;
}

/** Instructions per slice: Ctrl-C is seen between two slices. */
const SLICE = 2_000_000;

export async function recordCommand(imagePath: string, opts: RecordCliOptions): Promise<number> {
  const mode = parseMode(opts.mode);
  const image = readInputFile(imagePath, 'image');
  const uartInput = opts.input !== undefined ? readInputFile(opts.input, 'input') : undefined;
  const jitterSeed = opts.jitter !== undefined ? parseSeed(opts.jitter, '--jitter') : undefined;
  const max = parseCount(opts.maxInstructions, '--max-instructions');
  const interval = opts.snapshotInterval !== undefined ? parseCount(opts.snapshotInterval, '--snapshot-interval') : DEFAULT_SNAPSHOT_INTERVAL;
  if (interval < 1000) throw new UsageError('--snapshot-interval must be at least 1000 instructions');
  const options: RunOptions = {
    mode,
    shadow: parseShadow(mode, opts.shadow),
    cmdline: opts.cmdline ?? '',
    ramSize: parseRamSize(opts.ram) ?? DEFAULT_RAM_SIZE,
    flatAddress: opts.flat !== undefined ? parseAddress(opts.flat, '--flat') : undefined,
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
  const progress = process.stderr.isTTY === true && !opts.quiet;
  let progressShown = false; // a progress line is on the terminal: clear it before guest output
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  const guest = new GuestOutput({
    before: clearProgress,
    onGone: (why) => {
      clearProgress();
      process.stderr.write(`ringside: ${why}: the guest's output is dropped from here on; the recording goes on to the end of the run\n`);
    },
  });
  const rec = new Recording({
    image,
    imageName: basename(imagePath),
    options,
    out,
    uartInput,
    onUartByte: guest.byte,
    onProgress: (icount, events) => {
      guest.flush();
      if (progress) {
        process.stderr.write(`\rrecording: ${(icount / 1e6).toFixed(0)} M instructions, ${events} events`);
        progressShown = true;
      }
    },
  });
  const ctrlC = new InterruptWatch();
  let r: RecordResult;
  try {
    while (!rec.step(SLICE)) {
      await nextTurn();
      if (ctrlC.requested) break;
    }
    r = rec.finish();
  } catch (err) {
    rec.abandon();
    throw err;
  } finally {
    ctrlC.dispose();
  }
  guest.flush();
  clearProgress();
  if (r.shutdown !== '') process.stderr.write(`ringside: ${r.shutdown}\n`);
  const end = r.result.reason === 'interrupted' ? `interrupted (Ctrl-C) at icount ${r.result.icount}` : `end ${r.result.reason}`;
  process.stderr.write(`ringside: recorded run ${r.runId} into ${out}: ${r.result.icount} instructions, ${r.events} events, ${r.snapshots} snapshots, ${end}\n`);
  return r.result.exitCode;
}
