/** A small trace for the debugger's tests: hidden-state and ring-aliasing, natively and under monitors. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL } from '../../recorder/session';
import { scenarioImage } from '../../scenarios/scenarios';

/** Enough for these guests; a small machine keeps each of the many Timelines the tests open light. */
const RAM = 32 * 1024 * 1024;

/** Run ids in the trace recordDebugTrace makes. */
export const RUNS = { hiddenNative: 1, hiddenSw033: 2, aliasingNative: 3, aliasingSw013: 4 } as const;

export function recordDebugTrace(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'ringside-tui-')), 'debug.sqlite');
  const runs: [string, 'native' | 'sw-013' | 'sw-033'][] = [['hidden-state', 'native'], ['hidden-state', 'sw-033'], ['ring-aliasing', 'native'], ['ring-aliasing', 'sw-013']];
  for (const [guest, mode] of runs) {
    recordRun({
      image: scenarioImage(guest),
      imageName: `${guest}.elf`,
      options: { mode, shadow: mode === 'sw-033' ? 'split' : undefined, cmdline: '', ramSize: RAM, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL },
      out,
    });
  }
  return out;
}

/** The run id of the one run recordVgaTrace makes. */
export const VGA_RUN = 1;

/** vga-debugcon recorded natively: it clears the VGA text screen, writes three lines, moves the cursor. */
export function recordVgaTrace(): string {
  const out = join(mkdtempSync(join(tmpdir(), 'ringside-vga-')), 'vga.sqlite');
  recordRun({
    image: scenarioImage('vga-debugcon'),
    imageName: 'vga-debugcon.elf',
    options: { mode: 'native', cmdline: '', ramSize: RAM, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL },
    out,
  });
  return out;
}

/** The first icount at which `pred` holds, given that once it holds it holds to the end (binary search over seeks). */
export function firstIcountWhere(seek: (icount: number) => void, end: number, pred: () => boolean): number {
  let lo = 0, hi = end;
  seek(hi);
  if (!pred()) throw new Error('the predicate never holds in this run');
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    seek(mid);
    if (pred()) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
