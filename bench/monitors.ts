/**
 * Monitor figures for `npm run bench`: the slowdown of each monitor mode (sw-013, sw-033
 * with split and with shared shadows, vtx in both generations) against native on minikernel and on bench-syscall, all in
 * one run, with monitor exits per 1,000 guest instructions (and per round trip on
 * bench-syscall) and the most frequent intervention kinds.
 *
 * Each guest and mode runs in a child process of its own (this file, run by `node --import tsx`),
 * as `ringside run --mode ...` would: in one process the monitors' code paths make V8 deoptimize
 * the native ones, which slowed later native runs (the recorder figures after this section) by
 * about 10%, and would have skewed the native baselines here.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Machine } from '../emulator/machine';
import { MATRIX_COLUMNS as COLUMNS, firstDifference, scenarioImage, type Column } from '../scenarios/scenarios';

const GUEST_NAMES = ['minikernel', 'bench-syscall'];
/** Runs per guest and mode (best time kept). minikernel runs for about 50 ms: ten runs steady
 * its figures. Under a software mode bench-syscall takes several seconds per run (two monitor
 * exits per round trip), so it runs once there: best of 3 would add about half a minute. */
function repeatsOf(guest: string, c: Column): number {
  if (guest === 'bench-syscall') return c.mode === 'sw-013' || c.mode === 'sw-033' ? 1 : 3;
  return 10;
}
/** What bench-syscall makes when its output does not say (see emulator/guests/bench-syscall.asm). */
const DEFAULT_ROUND_TRIPS = 1_000_000;

interface Measure {
  seconds: number; // best wall time of the guest's execution (machine construction excluded)
  runs: number;
  icount: number;
  reason: string;
  exitCode: number;
  output: string; // UART output
  exits: number; // monitor entries (0 natively)
  interventions: Record<string, number>;
}

function runOnce(image: Uint8Array, c: Column): Measure {
  const bytes: number[] = [];
  const m = new Machine(image, { mode: c.mode, shadow: c.shadow, vtxGen: c.vtxGen, onUartByte: (b) => bytes.push(b) });
  const t0 = performance.now();
  const r = m.run();
  const seconds = (performance.now() - t0) / 1000;
  const mon = m.monitor;
  return {
    seconds, runs: 1, icount: r.icount, reason: r.reason, exitCode: r.exitCode,
    output: Buffer.from(bytes).toString('latin1'),
    exits: mon === null ? 0 : mon.exits,
    interventions: mon === null ? {} : mon.interventions(),
  };
}

/** In the child process: `repeats` runs of one guest under one column, the fastest kept. */
function measure(guest: string, c: Column): Measure {
  const image = scenarioImage(guest);
  const repeats = repeatsOf(guest, c);
  let best: Measure | undefined;
  for (let k = 0; k < repeats; k++) {
    const m = runOnce(image, c);
    if (best === undefined || m.seconds < best.seconds) best = m;
  }
  return { ...best!, runs: repeats };
}

/** Runs `measure` in a child process; a string says why it failed. */
function measureApart(guest: string, c: Column): Measure | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, guest, c.label],
    { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 });
  if (r.error !== undefined) return r.error.message;
  if (r.status !== 0) return `child exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  try {
    return JSON.parse(r.stdout) as Measure;
  } catch {
    return `unreadable child output: ${r.stdout.slice(0, 200)}`;
  }
}

function topInterventions(counts: Record<string, number>, n = 3): string {
  const top = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
  return top.length === 0 ? 'none' : top.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function benchMonitors(line: (s: string) => void): void {
  const native = COLUMNS.find((c) => c.mode === 'native')!;
  for (const name of GUEST_NAMES) {
    const best = new Map<Column, Measure>();
    for (const c of COLUMNS) {
      const m = measureApart(name, c);
      if (typeof m === 'string') line(`WARNING ${name} ${c.label}: no measure (${m})`);
      else best.set(c, m);
    }
    const base = best.get(native);
    if (base === undefined) continue;
    const trips = name === 'bench-syscall'
      ? Number.parseInt(/round trips=0x([0-9a-f]+)/.exec(base.output)?.[1] ?? '', 16) || DEFAULT_ROUND_TRIPS
      : 0;
    const warnings: string[] = [];
    const ratios: string[] = [];
    for (const c of COLUMNS) {
      const m = best.get(c);
      if (m === undefined) continue;
      const runs = m.runs === 1 ? '(1 run)' : `(best ${m.runs})`;
      let s = `${name.padEnd(15)}${c.label.padEnd(15)}${m.seconds.toFixed(3).padStart(7)} s ${runs.padEnd(8)}  ${String(m.icount).padStart(8)} instr`;
      if (c !== native) {
        const slowdown = m.seconds / base.seconds;
        ratios.push(`${c.label} ${slowdown.toFixed(1)}x`);
        s += `  slowdown ${slowdown.toFixed(1).padStart(5)}x vs native  ${String(m.exits).padStart(7)} exits  ${(m.exits * 1000 / m.icount).toFixed(1).padStart(6)} per 1000 instr`;
        if (trips > 0) s += `  ${(m.exits / trips).toFixed(2)} per round trip`;
        const same = m.output === base.output;
        s += same ? '  output same as native' : '  output DIFFERS from native';
        s += `  top: ${topInterventions(m.interventions)}`;
        if (m.icount !== base.icount) warnings.push(`WARNING ${name} ${c.label}: ${m.icount} instructions retired, native ${base.icount}`);
        if (!same) {
          const d = firstDifference(base.output, m.output)!;
          warnings.push(`WARNING ${name} ${c.label}: output differs from native at line ${d.line}: ${JSON.stringify(d.other)}, native ${JSON.stringify(d.native)}`);
        }
      }
      if (m.reason !== 'exit' || m.exitCode !== base.exitCode) {
        warnings.push(`WARNING ${name} ${c.label}: ended with ${m.reason}, exit code ${m.exitCode} (native ${base.reason}, ${base.exitCode})`);
      }
      line(s);
      if (c.mode === 'vtx') {
        // VM exits per 1,000 guest instructions, by basic exit reason.
        const kinds = Object.entries(m.interventions).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(n * 1000 / m.icount).toFixed(3)}`);
        line(`${''.padEnd(30)}exits per 1000 instr by reason: ${kinds.join(', ') || 'none'}`);
      }
    }
    for (const w of warnings) line(w);
    line(`slowdown ${name}: ${ratios.join(', ')}`);
  }
}

// The child process: `node --import tsx bench/monitors.ts <guest> <column label>` prints a Measure as JSON.
if (process.argv[1] === import.meta.filename) {
  const [guest, label] = process.argv.slice(2);
  const c = COLUMNS.find((col) => col.label === label);
  if (c === undefined || !GUEST_NAMES.includes(guest)) throw new Error(`usage: monitors.ts <${GUEST_NAMES.join('|')}> <${COLUMNS.map((col) => col.label).join('|')}>`);
  process.stdout.write(JSON.stringify(measure(guest, c)));
}
