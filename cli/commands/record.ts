/** `ringside record IMAGE`: the same run as `ringside run`, recorded into a trace. */
import { endNotes } from '../end-notes';
import { basename, dirname, join } from 'node:path';
import { mkdirSync, writeSync } from 'node:fs';
import { recordRun } from '../../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../../recorder/session';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { parseMode, parseShadow, parseCount, parseAddress, parseRamSize, readInputFile, readKeyboardFile } from '../options';
import { UsageError } from '../errors';

export interface RecordCliOptions {
  mode?: string;
  shadow?: string;
  out?: string;
  input?: string;
  keyboard?: string;
  jitter?: string;
  maxInstructions?: string;
  cmdline?: string;
  flat?: string;
  ram?: string;
  snapshotInterval?: string;
  quiet?: boolean;
}

export function recordCommand(imagePath: string, opts: RecordCliOptions): number {
  const mode = parseMode(opts.mode);
  const image = readInputFile(imagePath, 'image');
  const uartInput = opts.input !== undefined ? readInputFile(opts.input, 'input') : undefined;
  const keyboardInput = opts.keyboard !== undefined ? readKeyboardFile(opts.keyboard) : undefined;
  let jitterSeed: number | undefined;
  if (opts.jitter !== undefined) {
    if (!/^\d+$/.test(opts.jitter)) throw new UsageError(`--jitter must be a non-negative integer seed, not '${opts.jitter}'`);
    jitterSeed = Number(opts.jitter) >>> 0;
  }
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
  mkdirSync(dirname(out) || '.', { recursive: true });
  const buf = new Uint8Array(1 << 16);
  let n = 0;
  const progress = process.stderr.isTTY === true && !opts.quiet;
  let progressShown = false; // a progress line is on the terminal: clear it before guest output
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  const flush = () => {
    if (n > 0) {
      clearProgress();
      writeSync(1, buf, 0, n);
    }
    n = 0;
  };
  const r = recordRun({
    image,
    imageName: basename(imagePath),
    options,
    out,
    uartInput,
    keyboardInput,
    onUartByte: (b) => {
      buf[n++] = b;
      if (n === buf.length) flush();
    },
    onProgress: (icount, events) => {
      flush();
      if (progress) {
        process.stderr.write(`\rrecording: ${(icount / 1e6).toFixed(0)} M instructions, ${events} events`);
        progressShown = true;
      }
    },
  });
  flush();
  clearProgress();
  process.stderr.write(
    `ringside: recorded run ${r.runId} into ${out}: ${r.result.icount} instructions, ${r.events} events, ${r.snapshots} snapshots, end ${r.result.reason}\n`,
  );
  if (process.stderr.isTTY) for (const line of endNotes(r.machine, r.result)) process.stderr.write(line + '\n');
  return r.result.exitCode;
}
