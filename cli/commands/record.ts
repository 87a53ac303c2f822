/** `ringside record IMAGE`: the same run as `ringside run`, recorded into a trace. */
import { basename, dirname, join } from 'node:path';
import { mkdirSync, writeSync } from 'node:fs';
import { recordRun, Recording, type RecordSpec, type RecordResult } from '../../recorder/record';
import { LiveTarget } from '../../debugger/gdbstub/live-target';
import { serveForGdb } from '../gdb-session';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../../recorder/session';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { parseMode, parseShadow, parseVtxGen, parseCount, parseAddress, parseRamSize, readInputFile, parseGdbAddress } from '../options';
import { UsageError } from '../errors';

export interface RecordCliOptions {
  mode?: string;
  shadow?: string;
  vtxGen?: string;
  out?: string;
  input?: string;
  jitter?: string;
  maxInstructions?: string;
  cmdline?: string;
  flat?: string;
  ram?: string;
  snapshotInterval?: string;
  quiet?: boolean;
  gdb?: string;
}

export function recordCommand(imagePath: string, opts: RecordCliOptions): number | Promise<number> {
  const gdb = opts.gdb !== undefined ? parseGdbAddress(opts.gdb) : undefined;
  const mode = parseMode(opts.mode);
  const image = readInputFile(imagePath, 'image');
  const uartInput = opts.input !== undefined ? readInputFile(opts.input, 'input') : undefined;
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
    vtxGen: parseVtxGen(mode, opts.vtxGen),
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
  const spec: RecordSpec = {
    image,
    imageName: basename(imagePath),
    options,
    out,
    uartInput,
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
  };
  const done = (r: RecordResult): number => {
    flush();
    clearProgress();
    if (r.shutdown !== '') process.stderr.write(`ringside: ${r.shutdown}\n`);
    process.stderr.write(
      `ringside: recorded run ${r.runId} into ${out}: ${r.result.icount} instructions, ${r.events} events, ${r.snapshots} snapshots, end ${r.result.reason}\n`,
    );
    return r.result.exitCode;
  };
  if (gdb !== undefined) return recordUnderGdb(spec, gdb, imagePath, flush).then(done);
  return done(recordRun(spec));
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
