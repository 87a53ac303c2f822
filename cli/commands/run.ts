/** `ringside run IMAGE`: runs a guest without recording; its UART goes to stdout. */
import { Machine, type RunResult } from '../../emulator/machine';
import { describeShutdown } from '../../emulator/describe-state';
import { parseMode, parseShadow, parseVtxGen, parseCount, readInputFile, parseGdbAddress } from '../options';
import { writeSync, writeFileSync } from 'node:fs';
import { DiskImage } from '../../emulator/devices/disk-image';
import { UsageError } from '../errors';
import { formatScreen } from '../../emulator/devices/vga-text';
import { endNotes } from '../end-notes';
import { parseSetup, type SetupCliOptions } from '../machine-options';
import { applyInput } from '../../recorder/session';
import { LiveTarget } from '../../debugger/gdbstub/live-target';
import { EventRecorder } from '../../recorder/event-recorder';
import { serveForGdb } from '../gdb-session';
import { GuestOutput } from '../stdout';
import { InterruptWatch, nextTurn } from '../interrupt';
import { interruptedAt, type RunEndResult } from '../../recorder/end-reasons';

export interface RunOptions extends SetupCliOptions {
  mode?: string;
  shadow?: string;
  vtxGen?: string;
  maxInstructions?: string;
  gdb?: string;
  screen?: boolean;
  diskWriteBack?: boolean;
}

/** Instructions per slice between flushes of the UART output; Ctrl-C is seen between two slices. */
const SLICE = 5_000_000;

export function runCommand(imagePath: string, opts: RunOptions): Promise<number> {
  const gdb = opts.gdb !== undefined ? parseGdbAddress(opts.gdb) : undefined;
  const mode = parseMode(opts.mode);
  const shadow = parseShadow(mode, opts.shadow);
  const vtxGen = parseVtxGen(mode, opts.vtxGen);
  const max = parseCount(opts.maxInstructions, '--max-instructions');
  const image = readInputFile(imagePath, 'image');
  if (opts.diskWriteBack === true && (opts.disk ?? []).length === 0) throw new UsageError('--disk-write-back needs a --disk');
  const setup = parseSetup(opts);
  const disks = setup.disks.map((d) => new DiskImage(d.bytes, d.name));
  const guest = new GuestOutput({
    onGone: (why) => process.stderr.write(`ringside: ${why}: the guest's output is dropped from here on; the run goes on to its end\n`),
  });
  const flush = (): void => guest.flush();
  const machine = new Machine(image, {
    mode,
    shadow,
    vtxGen,
    ...setup.options,
    onUartByte: guest.byte,
    disks,
  });
  // The disk files are never written during the run; with --disk-write-back, once at its end.
  const writeBack = opts.diskWriteBack !== true ? () => {} : () => disks.forEach((d, k) => writeDiskBack(opts.disk![k], d));
  for (const input of setup.inputs) applyInput(machine, input);
  const finish = async (): Promise<number> => {
    const code = await finishRun(machine, mode, max, flush, opts.screen === true);
    writeBack();
    return code;
  };
  if (gdb !== undefined) return runUnderGdb(machine, max, gdb, imagePath, flush, finish);
  return finish();
}

/** --disk-write-back: the file becomes the disk as the guest left it (only when the guest wrote to it). */
function writeDiskBack(path: string, disk: DiskImage): void {
  if (disk.writes === 0) return;
  try {
    writeFileSync(path, disk.contents());
  } catch (e) {
    process.stderr.write(`ringside: cannot write the disk back to '${path}': ${(e as Error).message}\n`);
  }
}

/** `run --gdb`: stopped before the first instruction until gdb says otherwise; then runs on to the end. */
async function runUnderGdb(machine: Machine, max: number, address: { host: string; port: number }, imagePath: string, flush: () => void, runOn: () => Promise<number>): Promise<number> {
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

/** Runs the machine to its end (or the limit, or Ctrl-C), reports how it ended, and returns the exit code. */
async function finishRun(machine: Machine, mode: string, max: number, flush: () => void, screen: boolean): Promise<number> {
  // Progress goes to stderr only when it is a terminal and the guest's output is not.
  const progress = process.stderr.isTTY && !process.stdout.isTTY;
  const ctrlC = new InterruptWatch();
  let result: RunResult | RunEndResult;
  try {
    for (;;) {
      const left = max - machine.cpu.icount;
      result = machine.run(Math.min(SLICE, left));
      flush();
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
  if (screen) writeSync(1, formatScreen(machine.screen()));
  if (process.stderr.isTTY) for (const line of endNotes(machine, result)) process.stderr.write(line + '\n');
  if (result.reason === 'reset') process.stderr.write(`ringside: the guest reset the machine at icount ${result.icount}: the run ends (as QEMU with -no-reboot)\n`);
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
