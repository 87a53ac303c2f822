/**
 * The option groups `run` and `record` share, declared once: how the machine is built (image,
 * mode, RAM) and what it is fed; `matrix` takes the machine and its input for the images given
 * (setupOptions, inputOptions: every column has its own mode). Help texts list the values from the same constants the
 * parsers check (MODES, SHADOW_POLICIES).
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { MODES, SHADOW_POLICIES } from '../emulator/monitors/modes';
import { translationDefault } from '../emulator/cpu/exec';
import { DEFAULT_RAM_SIZE } from '../emulator/machine';
import { inputsAtStart, type Input, type RunOptions } from '../recorder/session';
import { readInputFile, readDiskFiles, readKeyboardFile, parseRamSize, parseAddress, parseTscRate } from './options';

/** --mode, --shadow, --vtx-gen, --max-instructions, then setupOptions. */
export function machineOptions(cmd: Command): Command {
  return setupOptions(
    cmd
      .option('--mode <mode>', MODES.join(' | '), 'native')
      .option('--shadow <kind>', `sw-033 shadow page tables: ${SHADOW_POLICIES.join(' | ')}`)
      .option('--vtx-gen <n>', 'vtx generation: 2 (EPT, TPR shadow; default) | 1 (first VT-x processors)')
      .option('--max-instructions <n>', 'stop after N retired instructions (run: exit code 124)'),
  );
}

/** The machine a guest needs, whatever the monitor: --cmdline, --flat, --module, --ram, --tsc-per-instruction, --disk. */
export function setupOptions(cmd: Command): Command {
  return cmd
    .option('--cmdline <string>', 'Multiboot command line')
    .option('--flat <address>', 'load IMAGE as a flat binary at this address and start there')
    .option('--module <file...>', 'Multiboot module (repeatable), like qemu -initrd (record: stored in the trace)')
    .option('--ram <size>', 'RAM size (default 128M)')
    .option('--tsc-per-instruction <n>', 'TSC ticks per retired instruction (default 1)')
    .option('--disk <file>', 'raw disk image on the primary ATA channel: the first is the master, a second the slave (like -drive file=FILE,format=raw,index=0/1); the file is never written', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
}

/** --input, --keyboard (`record` stores both in the trace). */
export function inputOptions(cmd: Command): Command {
  return cmd
    .option('--input <file>', 'bytes fed to the UART receiver (record: stored in the trace)')
    .option('--keyboard <file>', 'text typed on the PS/2 keyboard, scancode set 1, US layout (record: stored in the trace)');
}

/** --no-jit: the interpreter alone, no block translation (for debugging the translator). */
export function translatorOption(cmd: Command): Command {
  return cmd.option('--no-jit', 'interpret only: no block translation (also RINGSIDE_NO_JIT=1)');
}

/** Applies --no-jit, or RINGSIDE_NO_JIT set to anything but 0, to every machine the command builds. */
export function applyTranslatorChoice(opts: { jit?: boolean }, env: NodeJS.ProcessEnv = process.env): void {
  const off = env.RINGSIDE_NO_JIT !== undefined && env.RINGSIDE_NO_JIT !== '' && env.RINGSIDE_NO_JIT !== '0';
  translationDefault.enabled = opts.jit !== false && !off;
}

/** The options of setupOptions and inputOptions, as commander gives them. */
export interface SetupCliOptions {
  cmdline?: string;
  flat?: string;
  module?: string[];
  ram?: string;
  tscPerInstruction?: string;
  disk?: string[];
  input?: string;
  keyboard?: string;
}

/** What setupOptions and inputOptions say, checked and read: the machine's options, its disks, and its inputs at instruction 0. */
export function parseSetup(opts: SetupCliOptions): {
  options: Pick<RunOptions, 'cmdline' | 'ramSize' | 'flatAddress' | 'modules' | 'tscPerInstruction'>;
  disks: { name: string; bytes: Uint8Array }[];
  inputs: Input[];
} {
  const uart = opts.input !== undefined ? readInputFile(opts.input, 'input') : [];
  const keys = opts.keyboard !== undefined ? readKeyboardFile(opts.keyboard) : [];
  return {
    options: {
      cmdline: opts.cmdline ?? '',
      ramSize: parseRamSize(opts.ram) ?? DEFAULT_RAM_SIZE,
      flatAddress: opts.flat !== undefined ? parseAddress(opts.flat, '--flat') : undefined,
      modules: opts.module !== undefined ? readModules(opts.module) : undefined,
      tscPerInstruction: parseTscRate(opts.tscPerInstruction),
    },
    disks: readDiskFiles(opts.disk),
    inputs: [...inputsAtStart('uart', uart), ...inputsAtStart('keyboard', keys)],
  };
}

/** Every field of SetupCliOptions (the type makes this list complete). */
const SETUP_FIELDS: Record<keyof SetupCliOptions, true> = { cmdline: true, flat: true, module: true, ram: true, tscPerInstruction: true, disk: true, input: true, keyboard: true };

/** Whether any of setupOptions and inputOptions was given. */
export function hasSetup(opts: SetupCliOptions): boolean {
  return (Object.keys(SETUP_FIELDS) as (keyof SetupCliOptions)[]).some((k) => opts[k] !== undefined);
}

/** The files of --module, read in command-line order (the order the loader places them in). */
export function readModules(paths: readonly string[] | undefined): { name: string; data: Uint8Array }[] {
  return (paths ?? []).map((path) => ({ name: basename(path), data: readInputFile(path, 'module') }));
}
