/** Parsing and validation of the options shared by several commands. */
import { tscRateProblem } from '../emulator/cpu/ops/model';
import { textToScancodes } from '../emulator/devices/keyboard-layout';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UsageError } from './errors';
import { ramSizeProblem } from '../recorder/validate-run';

import { modeProblem, type Mode, type ShadowPolicy, type VtxGeneration } from '../emulator/monitors/modes';

export type { Mode };

export function parseMode(s: string | undefined): Mode {
  const m = s ?? 'native';
  const problem = modeProblem(m, undefined);
  if (problem !== null) throw new UsageError(problem);
  return m as Mode;
}

/** --shadow for `mode`: sw-033 defaults to split, the correct policy; other modes take none. */
export function parseShadow(mode: Mode, s: string | undefined): ShadowPolicy | undefined {
  const problem = modeProblem(mode, s);
  if (problem !== null) throw new UsageError(problem);
  return (s ?? (mode === 'sw-033' ? 'split' : undefined)) as ShadowPolicy | undefined;
}

/** --vtx-gen for mode vtx: 2 (default: EPT, TPR shadow, APIC-access virtualization) or 1 (first generation). */
export function parseVtxGen(mode: Mode, s: string | undefined): VtxGeneration | undefined {
  if (s === undefined) return undefined;
  if (mode !== 'vtx') throw new UsageError(`--vtx-gen applies to mode vtx only, not '${mode}'`);
  if (s !== '1' && s !== '2') throw new UsageError(`--vtx-gen must be 1 or 2, not '${s}'`);
  return Number(s) as VtxGeneration;
}

/** A count (instructions, icount): a non-negative integer up to 2^53 - 1, which every count fits. */
export function parseCount(s: string | undefined, what: string): number {
  if (s === undefined) return Infinity;
  const t = s.replace(/_/g, '');
  if (!/^\d+$/.test(t)) throw new UsageError(`${what} must be a non-negative integer, not '${s}'`);
  const n = Number(t);
  if (n > Number.MAX_SAFE_INTEGER) throw new UsageError(`${what} must be at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1), not '${s}'`);
  return n;
}

/** A 32-bit seed (--jitter): 0 to 2^32 - 1; anything larger is refused, never wrapped. */
export function parseSeed(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} must be a non-negative integer seed, not '${s}'`);
  const n = Number(s);
  if (n > 0xffffffff) throw new UsageError(`${what} must be a seed from 0 to 4294967295, not '${s}'`);
  return n;
}

export function parseAddress(s: string, what: string): number {
  const t = s.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 0xffffffff) throw new UsageError(`${what} must be an address (decimal or 0x hex), not '${s}'`);
  return n;
}

/** --tsc-per-instruction: an integer from 1 to TSC_PER_INSTRUCTION_MAX; undefined when not given. */
export function parseTscRate(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN;
  const problem = tscRateProblem(n);
  if (problem !== null) throw new UsageError(`--tsc-per-instruction ${problem}, not '${s}'`);
  return n;
}

export function parseRamSize(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(s.trim());
  if (!m) throw new UsageError(`--ram must be a size such as 128M, not '${s}'`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  const n = Number(m[1]) * mult;
  const problem = ramSizeProblem(n);
  if (problem !== null) throw new UsageError(`--ram ${problem}`);
  return n;
}

/** Reads a file given on the command line, with a one-line error when it cannot be read. */
export function readInputFile(path: string, what: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${what} '${path}' does not exist`);
  }
  if (!st.isFile()) throw new UsageError(`${what} '${path}' is not a file`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new UsageError(`cannot read ${what} '${path}': ${(e as Error).message}`);
  }
}

/** Largest disk image --disk takes: what one file read can hold (2 GiB - 1). */
export const DISK_SIZE_MAX = 2 ** 31 - 1;

/** --disk FILE, repeatable: at most two (the primary master and slave), each a non-empty regular file of at most 2 GiB - 1. */
export function readDiskFiles(paths: string[] | undefined): { name: string; bytes: Uint8Array }[] {
  const list = paths ?? [];
  if (list.length > 2) throw new UsageError(`at most two --disk (the primary master and slave), not ${list.length}`);
  return list.map((path) => {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new UsageError(`disk '${path}' does not exist`);
    }
    if (!st.isFile()) throw new UsageError(`disk '${path}' is not a file`);
    if (st.size === 0) throw new UsageError(`disk '${path}' is empty`);
    if (st.size > DISK_SIZE_MAX) throw new UsageError(`disk '${path}' is larger than 2 GiB - 1 (${st.size} bytes), which ringside cannot hold`);
    return { name: basename(path), bytes: readInputFile(path, 'disk') };
  });
}

/** A run id: 1 to 2^53 - 1 (the ids ringside gives are 1, 2, 3...; larger ones cannot be named exactly). */
export function parseRunId(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`--run must be a run id (a positive integer), not '${s}'`);
  if (Number(s) > Number.MAX_SAFE_INTEGER) throw new UsageError(`--run ${s}: run ids above ${Number.MAX_SAFE_INTEGER} (2^53 - 1) are not supported`);
  return Number(s);
}

/**
 * Checks `--out` before anything runs, so that a refused path leaves nothing behind: it must
 * name a regular file, existing or not (never a directory, a FIFO, a device or a socket, which
 * SQLite would block on, write through, or leave a -journal file beside), in a folder that is a
 * folder. Missing folders are created later, by the recording.
 */
export function checkTraceOutPath(path: string): void {
  if (path.trim() === '') throw new UsageError('--out must name a trace file, not an empty string');
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`--out '${path}': a part of its folder is a file, not a folder`);
    if (code !== 'ENOENT') throw new UsageError(`--out '${path}': cannot use it (${code ?? (err as Error).message})`);
    // It does not exist yet: each existing ancestor must be a folder.
    for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
      let d;
      try {
        d = statSync(dir);
      } catch {
        if (dir === dirname(dir)) return;
        continue;
      }
      if (!d.isDirectory()) throw new UsageError(`--out '${path}': '${dir}' is not a folder`);
      return;
    }
  }
  if (st.isDirectory()) throw new UsageError(`--out '${path}' is a directory, not a trace file`);
  if (!st.isFile()) throw new UsageError(`--out '${path}' is not a regular file (a FIFO, a device or a socket): a trace must be a file`);
}

/** --gdb [HOST:]PORT (HOST defaults to 127.0.0.1; PORT 0 picks a free port). */
export function parseGdbAddress(s: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(s.trim());
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw new UsageError(`--gdb must be [HOST:]PORT, such as 1234 or 127.0.0.1:1234, not '${s}'`);
  let host = m[1] ?? '127.0.0.1';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '127.0.0.1';
  return { host, port };
}

/** The scancodes that type the text file `path` on the keyboard (`--keyboard`). */
export function readKeyboardFile(path: string): Uint8Array {
  const text = Buffer.from(readInputFile(path, 'keyboard input')).toString('utf8');
  try {
    return textToScancodes(text);
  } catch (e) {
    throw new UsageError(`keyboard input '${path}': ${(e as Error).message}`);
  }
}
