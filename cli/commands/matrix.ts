/**
 * `ringside matrix [--json] [IMAGE...]`: runs every scenario guest (or the images given)
 * natively and under every monitor column, diffs each monitored run against the native one
 * with the diff engine (same, or diverges with the category of the first divergence), counts
 * the interventions and estimates their cost, and prints the measured matrix next to the
 * expected one (stated in the README; no check for images given by the user). Columns come
 * from the modes this build can run (emulator/monitors/modes.ts), one per shadow policy where
 * a mode has that choice. Runs are deterministic: no wall-clock time appears in the results.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { writeStdout } from '../stdout';
import { UsageError } from '../errors';
import { SCENARIOS, scenarioImage, expectationFor, interventionCount, type Column, type Expectation, type Scenario } from '../../emulator/monitors/scenarios';
import { AVAILABLE_MODES, SHADOW_POLICIES, modeProblem } from '../../emulator/monitors/modes';
import { recordRunInMemory, type MemoryRun } from '../../recorder/diff/memory-run';
import { buildReport } from '../../recorder/diff/report';
import { shortCategory } from '../../recorder/diff/categories';
import { EventKind } from '../../recorder/events';

export interface MatrixOptions {
  json?: boolean;
}

export interface MatrixCell {
  label: string;
  mode: string;
  shadow: string | null;
  outcome: 'same' | 'diverges';
  /** The diff engine's first divergence: where, and the category. */
  firstDivergence?: { icount: number; disassembly: string; category: string };
  exits: number;
  trapsPer1000: number;
  interventions: Record<string, number>;
  cost: { extraCycles: number; slowdown: number; model: string } | null;
  expected: Expectation | null; // null: no expectation (user images, or a mode the table does not cover)
  meets: boolean;
}

export interface MatrixRow {
  name: string;
  category: string;
  native: { exitCode: number; reason: string; icount: number };
  columns: MatrixCell[];
}

export interface MatrixReport {
  scenarios: MatrixRow[];
  matches: boolean;
  checked: boolean; // false for user images
}

/** The monitored columns: every mode this build runs but native, one per shadow policy where the mode has a choice. */
export function matrixColumns(): Column[] {
  const cols: Column[] = [];
  for (const mode of AVAILABLE_MODES) {
    if (mode === 'native') continue;
    const policies = SHADOW_POLICIES.filter((p) => modeProblem(mode, p) === null);
    if (policies.length === 0) cols.push({ label: mode, mode });
    else for (const shadow of policies) cols.push({ label: `${mode} ${shadow}`, mode, shadow });
  }
  return cols;
}
const NATIVE: Column = { label: 'native', mode: 'native' };

/** What classification and the cost read of a run's events (the matrix keeps no others). */
const KEPT = new Set<number>([EventKind.interrupt, EventKind.monitor_exit, EventKind.monitor_emulation, EventKind.stale_descriptor]);
const keep = (kind: number): boolean => KEPT.has(kind);

interface Guest { name: string; category: string; image: Uint8Array; scenario?: Scenario }

/** Runs the whole matrix; `progress` is told before each run starts. */
export function measureMatrix(progress?: (what: string, done: number, total: number) => void, images?: string[]): MatrixReport {
  const columns = matrixColumns();
  const guests: Guest[] = images === undefined
    ? SCENARIOS.map((s) => ({ name: s.name, category: s.category, image: scenarioImage(s.name), scenario: s }))
    : images.map((file) => {
      let image: Uint8Array;
      try {
        image = new Uint8Array(readFileSync(file));
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      return { name: basename(file), category: '', image };
    });
  const total = guests.length * (1 + columns.length);
  let done = 0;
  const scenarios: MatrixRow[] = [];
  for (const g of guests) {
    progress?.(`${g.name} ${NATIVE.label}`, ++done, total);
    const native = recordRunInMemory(g.image, { mode: 'native' }, 'native', [], Infinity, keep);
    const cells: MatrixCell[] = [];
    for (const c of columns) {
      progress?.(`${g.name} ${c.label}`, ++done, total);
      const run = recordRunInMemory(g.image, { mode: c.mode, shadow: c.shadow }, c.label, [], Infinity, keep);
      const expected = g.scenario !== undefined ? expectationFor(g.scenario, c) ?? null : null;
      cells.push(cell(c, native, run, expected));
    }
    scenarios.push({ name: g.name, category: g.category, native: { exitCode: native.exitCode, reason: native.endReason, icount: native.recorded.finalIcount }, columns: cells });
  }
  return { scenarios, matches: scenarios.every((r) => r.columns.every((c) => c.meets)), checked: images === undefined };
}

function cell(c: Column, native: MemoryRun, run: MemoryRun, expected: Expectation | null): MatrixCell {
  const report = buildReport(native, run, { maxLater: 0, allEvents: (side) => (side === 'left' ? native : run).allEvents });
  const outcome = report.diverged ? 'diverges' : 'same';
  const icount = run.recorded.finalIcount;
  const interventions = sortedInterventions(run.interventions);
  let meets = true;
  if (expected !== null) {
    const okOutcome = expected.outcome === 'ends' ? run.endReason === 'exit' && run.exitCode === 1 && outcome === 'same' : outcome === expected.outcome;
    const counts = { interventions } as Parameters<typeof interventionCount>[0];
    meets = okOutcome && (expected.atLeast === undefined || interventionCount(counts, expected.atLeast.kind) >= expected.atLeast.count);
  }
  const f = report.first;
  const cost = report.right.cost;
  return {
    label: c.label,
    mode: c.mode,
    shadow: c.shadow ?? null,
    outcome,
    ...(f !== null ? { firstDivergence: { icount: f.icount, disassembly: f.disassembly, category: f.category } } : {}),
    exits: run.exits,
    trapsPer1000: icount > 0 ? Math.round((run.exits * 1000 * 10) / icount) / 10 : 0,
    interventions,
    cost: cost === null ? null : { extraCycles: cost.extraCycles, slowdown: cost.slowdown, model: cost.model },
    expected,
    meets,
  };
}

/** Interventions by count, descending (ties by name), so the record's key order is the print order. */
function sortedInterventions(iv: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(iv).sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0)));
}

// ===========================================================================================
// Text form
// ===========================================================================================

const MAX_WIDTH = 156;

function nativeCell(n: MatrixRow['native']): string {
  return `${n.reason} ${n.exitCode} (${n.icount} instr)`;
}

function softwareCell(c: MatrixCell): string {
  const text = c.outcome === 'same' ? `same (${c.exits} exits)` : `diverges: ${shortCategory(c.firstDivergence?.category ?? '')}`;
  return c.meets ? text : `${text} !`;
}

/** `prefix` followed by `items` joined with ', ', wrapped at MAX_WIDTH with an indented continuation. */
function wrapped(prefix: string, items: string[]): string[] {
  const lines: string[] = [];
  const indent = ' '.repeat(6);
  let line = prefix;
  items.forEach((item, k) => {
    const piece = ' ' + item + (k < items.length - 1 ? ',' : '');
    if (k > 0 && line.length + piece.length > MAX_WIDTH) {
      lines.push(line);
      line = indent + piece.trimStart();
    } else {
      line += piece;
    }
  });
  lines.push(line);
  return lines;
}

export function formatMatrix(report: MatrixReport): string {
  const columns = report.scenarios[0]?.columns ?? [];
  const header = ['scenario', NATIVE.label, ...columns.map((c) => c.label), ...(report.checked ? ['expected'] : [])];
  const rows = report.scenarios.map((r) => [
    r.name,
    nativeCell(r.native),
    ...r.columns.map(softwareCell),
    ...(report.checked ? [r.columns.every((c) => c.meets) ? 'ok' : 'MISMATCH'] : []),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const fmt = (row: string[]): string => row.map((v, k) => (k === row.length - 1 ? v : v.padEnd(widths[k]))).join('  ').trimEnd();
  const out: string[] = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];

  const divergences: string[] = [];
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      const f = c.firstDivergence;
      if (c.outcome === 'diverges' && f !== undefined) divergences.push(`  ${r.name} ${c.label}: instruction ${f.icount} (${f.disassembly}): ${f.category}`);
    }
  }
  if (divergences.length > 0) out.push('', 'first divergence (ringside diff of the native and the monitored run):', ...divergences);

  out.push('', 'monitor interventions by kind (monitor exits, exits per 1000 guest instructions, estimated extra cycles and slowdown):');
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      const kinds = Object.entries(c.interventions).map(([k, n]) => `${k} ${n}`);
      const cost = c.cost === null ? '' : `, ${c.cost.extraCycles} cycles, x${c.cost.slowdown.toFixed(2)}`;
      out.push(...wrapped(`  ${r.name} ${c.label} (${c.exits} exits, ${c.trapsPer1000.toFixed(1)}/1000 instr${cost}):`, kinds.length > 0 ? kinds : ['none']));
    }
  }

  const wrong = report.scenarios.flatMap((r) => r.columns.filter((c) => !c.meets).map((c) => ({ r, c })));
  if (wrong.length > 0) {
    out.push('', 'cells that differ from the expected matrix:');
    for (const { r, c } of wrong) {
      const e = c.expected as Expectation;
      const want = e.outcome + (e.atLeast !== undefined ? `, >= ${e.atLeast.count} ${e.atLeast.kind} (${e.atLeast.per})` : '');
      const got = c.outcome + (e.atLeast !== undefined ? `, ${e.atLeast.kind.split('+').reduce((n, k) => n + (c.interventions[k] ?? 0), 0)} ${e.atLeast.kind}` : '');
      out.push(`  ${r.name} ${c.label}: expected ${want}; measured ${got}`);
    }
  }
  if (report.checked) out.push('', report.matches ? 'matrix matches the expected matrix' : `matrix does NOT match the expected matrix (${wrong.length} cell${wrong.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

// ===========================================================================================
// The command
// ===========================================================================================

export function matrixCommand(opts: MatrixOptions, images: string[] = []): number {
  const tty = process.stderr.isTTY === true;
  const report = measureMatrix(tty ? (what, done, total) => process.stderr.write(`\r\x1b[Kringside matrix: ${what} (${done}/${total})`) : undefined, images.length > 0 ? images : undefined);
  if (tty) process.stderr.write('\r\x1b[K');
  writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatMatrix(report));
  return report.checked && !report.matches ? 1 : 0;
}
