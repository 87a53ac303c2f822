/** `ringside run IMAGE`: runs a guest without recording; its UART goes to stdout. */
import { Machine, DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { describeShutdown } from '../../emulator/describe-state';
import { parseMode, parseShadow, parseVtxGen, parseCount, parseAddress, parseRamSize, readInputFile, parseGdbAddress } from '../options';
import { writeSync } from 'node:fs';
import { basename } from 'node:path';
import { LiveTarget } from '../../debugger/gdbstub/live-target';
import { EventRecorder } from '../../recorder/recorder';
import { serveForGdb } from '../gdb-session';

export interface RunOptions {
  mode?: string;
  shadow?: string;
  vtxGen?: string;
  maxInstructions?: string;
  cmdline?: string;
  flat?: string;
  ram?: string;
  input?: string;
  module?: string[];
  gdb?: string;
}

/** Instructions per slice between flushes of the UART output. */
const SLICE = 20_000_000;

export function runCommand(imagePath: string, opts: RunOptions): number | Promise<number> {
  const gdb = opts.gdb !== undefined ? parseGdbAddress(opts.gdb) : undefined;
  const mode = parseMode(opts.mode);
  const shadow = parseShadow(mode, opts.shadow);
  const vtxGen = parseVtxGen(mode, opts.vtxGen);
  const max = parseCount(opts.maxInstructions, '--max-instructions');
  const image = readInputFile(imagePath, 'image');
  const out = new Uint8Array(1 << 16);
  let outLen = 0;
  const flush = (): void => {
    if (outLen > 0) {
      writeSync(1, out, 0, outLen);
      outLen = 0;
    }
  };
  const machine = new Machine(image, {
    mode,
    shadow,
    vtxGen,
    ramSize: parseRamSize(opts.ram) ?? DEFAULT_RAM_SIZE,
    cmdline: opts.cmdline ?? '',
    flatAddress: opts.flat !== undefined ? parseAddress(opts.flat, '--flat') : undefined,
    modules: (opts.module ?? []).map((path) => ({ name: basename(path), data: readInputFile(path, 'module') })),
    onUartByte: (b) => {
      out[outLen++] = b;
      if (outLen === out.length) flush();
    },
  });
  if (opts.input !== undefined) machine.uart.feed(readInputFile(opts.input, 'input'));
  if (gdb !== undefined) return runUnderGdb(machine, max, gdb, imagePath, flush, () => finishRun(machine, mode, max, flush));
  return finishRun(machine, mode, max, flush);
}

/** `run --gdb`: stopped before the first instruction until gdb says otherwise; then runs on to the end. */
async function runUnderGdb(machine: Machine, max: number, address: { host: string; port: number }, imagePath: string, flush: () => void, runOn: () => number): Promise<number> {
  const target = new LiveTarget({
    machine,
    limit: max,
    run: (stopAt) => {
      const r = machine.run(stopAt - machine.cpu.icount);
      flush();
      return r;
    },
  });
  // Events are kept for `monitor events` only (nothing is recorded).
  new EventRecorder(machine, (e) => target.noteEvent(e)).attach();
  const end = await serveForGdb(target, address, imagePath);
  if (end === 'kill') {
    process.stderr.write(`ringside: the debugger killed the run at icount ${machine.cpu.icount}\n`);
    return 124;
  }
  return runOn(); // after a detach, or at once when the run ended under gdb (it reports how)
}

/** Runs the machine to its end (or the limit), reports how it ended, and returns the exit code. */
function finishRun(machine: Machine, mode: string, max: number, flush: () => void): number {
  // Progress goes to stderr only when it is a terminal and the guest's output is not.
  const progress = process.stderr.isTTY && !process.stdout.isTTY;
  let result;
  for (;;) {
    const left = max - machine.cpu.icount;
    result = machine.run(Math.min(SLICE, left));
    flush();
    if (result.reason !== 'limit' || machine.cpu.icount >= max) break;
    if (progress) process.stderr.write(`\rringside: ${(machine.cpu.icount / 1e6).toFixed(0)} M instructions`);
  }
  if (progress) process.stderr.write('\r\x1b[K');
  if (result.reason === 'shutdown') process.stderr.write(`ringside: ${describeShutdown(machine)}\n`);
  if (result.reason === 'limit') process.stderr.write(`ringside: stopped after ${result.icount} instructions (--max-instructions)\n`);
  if (machine.monitor !== null && process.stderr.isTTY) {
    const kinds = Object.entries(machine.monitor.interventions()).map(([k, n]) => `${k} ${n}`).join(', ');
    const m = machine.monitor;
    process.stderr.write(`ringside: ${mode}: ${m.exits} monitor exits over ${result.icount} guest instructions, ${m.cr3Switches} cr3 switches (${kinds})\n`);
  }
  return result.exitCode;
}
