/** `ringside run IMAGE`: runs a guest without recording; its UART goes to stdout. */
import { Machine, DEFAULT_RAM_SIZE, type RunResult } from '../../emulator/machine';
import { describeShutdown } from '../../emulator/describe-state';
import { parseMode, parseShadow, parseCount, parseAddress, parseRamSize, readInputFile } from '../options';
import { basename } from 'node:path';
import { GuestOutput } from '../stdout';
import { InterruptWatch, nextTurn } from '../interrupt';
import { interruptedAt, type RunEndResult } from '../../recorder/end-reasons';

export interface RunOptions {
  mode?: string;
  shadow?: string;
  maxInstructions?: string;
  cmdline?: string;
  flat?: string;
  ram?: string;
  input?: string;
  module?: string[];
}

/** Instructions per slice between flushes of the UART output; Ctrl-C is seen between two slices. */
const SLICE = 5_000_000;

export async function runCommand(imagePath: string, opts: RunOptions): Promise<number> {
  const mode = parseMode(opts.mode);
  const shadow = parseShadow(mode, opts.shadow);
  const max = parseCount(opts.maxInstructions, '--max-instructions');
  const image = readInputFile(imagePath, 'image');
  const guest = new GuestOutput({
    onGone: (why) => process.stderr.write(`ringside: ${why}: the guest's output is dropped from here on; the run goes on to its end\n`),
  });
  const machine = new Machine(image, {
    mode,
    shadow,
    ramSize: parseRamSize(opts.ram) ?? DEFAULT_RAM_SIZE,
    cmdline: opts.cmdline ?? '',
    flatAddress: opts.flat !== undefined ? parseAddress(opts.flat, '--flat') : undefined,
    modules: (opts.module ?? []).map((path) => ({ name: basename(path), data: readInputFile(path, 'module') })),
    onUartByte: guest.byte,
  });
  if (opts.input !== undefined) machine.uart.feed(readInputFile(opts.input, 'input'));
  // Progress goes to stderr only when it is a terminal and the guest's output is not.
  const progress = process.stderr.isTTY && !process.stdout.isTTY;
  const ctrlC = new InterruptWatch();
  let result: RunResult | RunEndResult;
  try {
    for (;;) {
      const left = max - machine.cpu.icount;
      result = machine.run(Math.min(SLICE, left));
      guest.flush();
      if (result.reason !== 'limit' || machine.cpu.icount >= max) break;
      if (progress) process.stderr.write(`\rringside: ${(machine.cpu.icount / 1e6).toFixed(0)} M instructions`);
      await nextTurn();
      if (ctrlC.requested) {
        result = interruptedAt(machine.cpu.icount);
        break;
      }
    }
  } finally {
    ctrlC.dispose();
  }
  if (progress) process.stderr.write('\r\x1b[K');
  if (result.reason === 'shutdown') process.stderr.write(`ringside: ${describeShutdown(machine)}\n`);
  if (result.reason === 'limit') process.stderr.write(`ringside: stopped after ${result.icount} instructions (--max-instructions)\n`);
  if (result.reason === 'interrupted') process.stderr.write(`ringside: interrupted (Ctrl-C) at icount ${result.icount}\n`);
  if (machine.monitor !== null && process.stderr.isTTY) {
    const kinds = Object.entries(machine.monitor.interventions()).map(([k, n]) => `${k} ${n}`).join(', ');
    const m = machine.monitor;
    process.stderr.write(`ringside: ${mode}: ${m.exits} monitor exits over ${result.icount} guest instructions, ${m.cr3Switches} cr3 switches (${kinds})\n`);
  }
  return result.exitCode;
}
