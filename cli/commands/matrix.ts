/**
 * `ringside matrix [--json] [IMAGE...]`: runs every scenario guest (or the images given)
 * natively and under every monitor column (the software VMMs, VT-x in both generations),
 * diffs each monitored run against the native one with the diff engine (same, or the category
 * and instruction of the first divergence), counts the monitor's interventions and prices them
 * with the cost model, and checks each scenario cell against its expectation (stated in the
 * README; no check for images a user gives). Runs are deterministic: no wall-clock time
 * appears in the results.
 */
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { writeStdout } from '../stdout';
import { parseSetup, hasSetup, type SetupCliOptions } from '../machine-options';
import { UsageError } from '../errors';
import {
  SCENARIOS, MATRIX_COLUMNS, scenarioImage, expectationFor, meetsMeasured, interventionCount,
  type Column, type Expectation, type Scenario,
} from '../../scenarios/scenarios';
import { recordRunInMemory, type MemoryRun } from '../../recorder/diff/memory-run';
import { buildReport } from '../../recorder/diff/report';
import { shortCategory, CLASSIFIER_KINDS, STALE_KIND } from '../../recorder/diff/categories';
import { COST_KINDS, type CostSummary } from '../../recorder/diff/cost';
import type { Difference } from '../../recorder/diff/guest-state';

export interface MatrixOptions extends SetupCliOptions {
  json?: boolean;
  maxInstructions?: string;
}

/** The machine the images given run on (setup options): options, disks and inputs, the same in every column. */
export type MatrixSetup = ReturnType<typeof parseSetup>;

/** The diff engine's first divergence of a cell: where, what differs, and the category. */
export interface CellDivergence {
  icount: number;
  cs: number;
  eip: number;
  symbol: string;
  disassembly: string;
  category: string;
  differences: Difference[]; // the first few
}

/** The cost model's estimate for a cell's run. */
export interface CellCost {
  model: string;
  exitsByReason: Record<string, number>;
  emulations: Record<string, number>;
  categories: CostSummary['categories']; // by the seed's category
  extraCycles: number;
  slowdown: number;
}

export interface MatrixCell {
  label: string;
  mode: string;
  shadow: string | null;
  vtxGen: number | null;
  outcome: 'same' | 'diverges';
  firstDivergence?: CellDivergence;
  end: { reason: string; exitCode: number; icount: number };
  exits: number; // monitor exits (traps or VM exits)
  trapsPer1000: number;
  interventions: Record<string, number>; // the monitor's own counts by kind
  cost: CellCost | null;
  expected: Expectation | null; // null: no expectation (a user's image)
  meets: boolean;
}

export interface MatrixRow {
  name: string;
  category: string; // the scenario's challenge ('' for a user's image)
  native: { exitCode: number; reason: string; icount: number };
  columns: MatrixCell[];
}

export interface MatrixReport {
  scenarios: MatrixRow[];
  checked: boolean; // false for a user's images: no expectations
  matches: boolean;
}

/** The monitored columns, in print order. */
export const MONITORED_COLUMNS: Column[] = MATRIX_COLUMNS.filter((c) => c.mode !== 'native');
const NATIVE: Column = MATRIX_COLUMNS.find((c) => c.mode === 'native') as Column;

/** The events the matrix keeps of a run: what classification and the cost model read. */
const KEPT = new Set<number>([...CLASSIFIER_KINDS, STALE_KIND, ...COST_KINDS]);
const keep = (kind: number): boolean => KEPT.has(kind);

/**
 * Instructions between the snapshots of the matrix's in-memory runs: the diff compares runs at
 * these points and steps only the interval where they first differ (or the last one), so a
 * short interval keeps most of a run out of the instruction-by-instruction lockstep.
 */
const MATRIX_SNAPSHOT_INTERVAL = 100_000;

/** Instructions a run may retire before the matrix stops it (every scenario guest ends far below). */
export const DEFAULT_MATRIX_LIMIT = 100_000_000;

interface Guest { name: string; category: string; image: Uint8Array; scenario?: Scenario }

export type MatrixProgress = (what: string, done: number, total: number) => void;

/** The scenario guests, or the images in `files` (unreadable: UsageError). */
function guests(files?: string[]): Guest[] {
  if (files === undefined) return SCENARIOS.map((s) => ({ name: s.name, category: s.category, image: scenarioImage(s.name), scenario: s }));
  return files.map((file) => {
    try {
      return { name: basename(file), category: '', image: new Uint8Array(readFileSync(file)) };
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
}

/** Runs the whole matrix; `progress` is told before each recording and during each diff. */
export function measureMatrix(progress?: MatrixProgress, files?: string[], limit = DEFAULT_MATRIX_LIMIT, setup: MatrixSetup = parseSetup({})): MatrixReport {
  const list = guests(files);
  const total = list.length * MONITORED_COLUMNS.length;
  let done = 0;
  const rows: MatrixRow[] = [];
  for (const g of list) {
    progress?.(`${g.name} native`, done, total);
    const native = recordRunInMemory(g.image, { ...setup.options, mode: 'native', snapshotInterval: MATRIX_SNAPSHOT_INTERVAL }, NATIVE.label, setup.inputs, limit, keep, setup.disks);
    const cells: MatrixCell[] = [];
    for (const c of MONITORED_COLUMNS) {
      const what = `${g.name} ${c.label}`;
      progress?.(what, done, total);
      const run = recordRunInMemory(g.image, { ...setup.options, mode: c.mode, shadow: c.shadow, vtxGen: c.vtxGen, snapshotInterval: MATRIX_SNAPSHOT_INTERVAL }, c.label, setup.inputs, limit, keep, setup.disks);
      const expected = g.scenario !== undefined ? expectationFor(g.scenario, c) ?? null : null;
      cells.push(measureCell(c, native, run, expected, g.scenario, progress === undefined ? undefined : (step) => progress(`${what}: ${step}`, done, total)));
      done++;
    }
    rows.push({ name: g.name, category: g.category, native: { exitCode: native.exitCode, reason: native.endReason, icount: native.recorded.finalIcount }, columns: cells });
  }
  const matches = rows.every((r) => r.columns.every((c) => c.meets));
  return { scenarios: rows, checked: files === undefined, matches };
}

/**
 * Whether a measured cell meets its scenario's expectation: the outcome the diff engine found
 * ('diverges' must name the scenario's own challenge as the category of the first divergence),
 * how the run ended, and the monitor's intervention counts.
 */
export function cellMeets(e: Expectation, s: Scenario, cell: Pick<MatrixCell, 'outcome' | 'firstDivergence' | 'end' | 'exits' | 'interventions'>): boolean {
  const run = { reason: cell.end.reason, exitCode: cell.end.exitCode, exits: cell.exits, interventions: cell.interventions };
  if (!meetsMeasured(e, cell.outcome, run)) return false;
  return e.outcome !== 'diverges' || cell.firstDivergence?.category === s.category;
}

function measureCell(c: Column, native: MemoryRun, run: MemoryRun, expected: Expectation | null, scenario: Scenario | undefined, progress?: (step: string) => void): MatrixCell {
  const report = buildReport(native, run, {
    maxLater: 0,
    allEvents: (side) => (side === 'left' ? native : run).allEvents,
    progress: progress === undefined ? undefined : (what, d, t) => progress(`diff, ${what} ${t > 0 ? Math.floor((d * 100) / t) : 0}%`),
  });
  const icount = run.recorded.finalIcount;
  const f = report.first;
  const cost = report.right.cost;
  const cell: MatrixCell = {
    label: c.label,
    mode: c.mode,
    shadow: c.shadow ?? null,
    vtxGen: c.vtxGen ?? null,
    outcome: report.diverged ? 'diverges' : 'same',
    ...(f !== null ? { firstDivergence: { icount: f.icount, cs: f.cs, eip: f.eip, symbol: f.symbol, disassembly: f.disassembly, category: f.category, differences: f.differences.slice(0, 3) } } : {}),
    end: { reason: run.endReason, exitCode: run.exitCode, icount },
    exits: run.exits,
    trapsPer1000: icount > 0 ? Math.round((run.exits * 1000 * 10) / icount) / 10 : 0,
    interventions: sortedCounts(run.interventions),
    cost: cost === null ? null : { model: cost.model, exitsByReason: cost.exits, emulations: cost.emulations, categories: cost.categories, extraCycles: cost.extraCycles, slowdown: cost.slowdown },
    expected,
    meets: true,
  };
  if (expected !== null && scenario !== undefined) cell.meets = cellMeets(expected, scenario, cell);
  return cell;
}

/** Counts by count, descending (ties by name), so the record's key order is the print order. */
function sortedCounts(iv: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(iv).sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0)));
}

// ===========================================================================================
// Text form
// ===========================================================================================

const MAX_WIDTH = 156;

const hex = (v: number, digits = 8): string => '0x' + (v >>> 0).toString(16).padStart(digits, '0');

/** Cycles with a unit: 1234 -> 1.2k, 210600000 -> 210.6M. */
export function shortCycles(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${(n / 1_000_000_000).toFixed(2)}G`;
}

function outcomeCell(c: MatrixCell): string {
  const f = c.firstDivergence;
  const text = c.outcome === 'same' ? 'same' : `${shortCategory(f?.category ?? 'unclassified')} @${f?.icount ?? '?'}`;
  return c.meets ? text : `${text} !`;
}

function costCell(c: MatrixCell): string {
  if (c.cost === null) return `${c.exits} ex`;
  return `${c.exits} ex ${shortCycles(c.cost.extraCycles)} x${c.cost.slowdown.toFixed(2)}`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const fmt = (row: string[]): string => row.map((v, k) => (k === row.length - 1 ? v : v.padEnd(widths[k]))).join('  ').trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
}

/** `prefix` followed by `items` joined with ', ', wrapped at MAX_WIDTH with an indented continuation. */
function wrapped(prefix: string, items: string[], sep = ','): string[] {
  const lines: string[] = [];
  const indent = ' '.repeat(6);
  let line = prefix;
  items.forEach((item, k) => {
    const piece = ' ' + item + (k < items.length - 1 ? sep : '');
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

function differenceText(d: Difference): string {
  if (d.kind === 'memory') return `memory [${hex(d.address ?? 0)}] ${typeof d.left === 'number' ? hex(d.left) : d.left} vs ${typeof d.right === 'number' ? hex(d.right) : d.right}`;
  if (d.kind === 'end') return `end ${d.left} vs ${d.right}`;
  return `${d.name} ${typeof d.left === 'number' ? hex(d.left) : d.left} vs ${typeof d.right === 'number' ? hex(d.right) : d.right}`;
}

function expectationText(e: Expectation, s: Scenario): string {
  return (e.outcome === 'diverges' ? `diverges (${s.category})` : e.outcome) +
    (e.atLeast !== undefined ? `, >= ${e.atLeast.count} ${e.atLeast.kind} (${e.atLeast.per})` : '') +
    (e.atMost !== undefined ? `, <= ${e.atMost.count} ${e.atMost.kind} (${e.atMost.per})` : '') +
    (e.only !== undefined ? `, exits only: ${e.only.join(', ')}` : '');
}

function measuredText(e: Expectation, c: MatrixCell): string {
  const count = (kind: string) => interventionCount({ exits: c.exits, interventions: c.interventions }, kind);
  const outcome = c.outcome === 'diverges' ? `diverges (${c.firstDivergence?.category ?? 'unclassified'})` : 'same';
  return outcome + (e.outcome === 'ends' ? `, ended ${c.end.reason} ${c.end.exitCode}` : '') +
    (e.atLeast !== undefined ? `, ${count(e.atLeast.kind)} ${e.atLeast.kind}` : '') +
    (e.atMost !== undefined ? `, ${count(e.atMost.kind)} ${e.atMost.kind}` : '') +
    (e.only !== undefined ? `, exits: ${Object.keys(c.interventions).join(', ') || 'none'}` : '');
}

export function formatMatrix(report: MatrixReport): string {
  const labels = MONITORED_COLUMNS.map((c) => c.label);
  const out: string[] = [];
  out.push(...table(
    ['scenario', 'native', ...labels, ...(report.checked ? ['expected'] : [])],
    report.scenarios.map((r) => [
      r.name,
      `${r.native.reason} ${r.native.exitCode}, ${r.native.icount} instr`,
      ...r.columns.map(outcomeCell),
      ...(report.checked ? [r.columns.every((c) => c.meets) ? 'ok' : 'MISMATCH'] : []),
    ]),
  ));
  out.push('', 'same: guest-visible state as native at every instruction; otherwise the category and instruction count of the first divergence');

  out.push('', 'monitor exits, estimated extra cycles and slowdown (cost model; one cycle per native instruction):');
  out.push(...table(['scenario', ...labels], report.scenarios.map((r) => [r.name, ...r.columns.map(costCell)])));

  const divergences: string[] = [];
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      const f = c.firstDivergence;
      if (f === undefined) continue;
      const sym = f.symbol !== '' ? ` <${f.symbol}>` : '';
      divergences.push(`  ${r.name} ${c.label}: instruction ${f.icount} at ${f.cs.toString(16).padStart(4, '0')}:${(f.eip >>> 0).toString(16).padStart(8, '0')}${sym} ${f.disassembly}: ${f.category}`);
      divergences.push(...wrapped('    differs (native vs monitored):', f.differences.map(differenceText)));
    }
  }
  if (divergences.length > 0) out.push('', 'first divergence (the diff engine on the native and the monitored run):', ...divergences);

  out.push('', 'monitor interventions by kind (monitor exits, exits per 1000 guest instructions):');
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      const kinds = Object.entries(c.interventions).map(([k, n]) => `${k} ${n} (${(n * 1000 / Math.max(1, r.native.icount)).toFixed(2)}/1000)`);
      out.push(...wrapped(`  ${r.name} ${c.label} (${c.exits} exits, ${c.trapsPer1000.toFixed(1)}/1000 instr):`, kinds.length > 0 ? kinds : ['none']));
    }
  }

  if (report.checked) {
    const wrong = report.scenarios.flatMap((r) => r.columns.filter((c) => !c.meets).map((c) => ({ r, c })));
    if (wrong.length > 0) {
      out.push('', 'cells that differ from the expected matrix:');
      for (const { r, c } of wrong) {
        const s = SCENARIOS.find((x) => x.name === r.name) as Scenario;
        const e = c.expected as Expectation;
        out.push(...wrapped(`  ${r.name} ${c.label}: expected`, [`${expectationText(e, s)};`, `measured ${measuredText(e, c)}`], ''));
      }
    }
    out.push('', report.matches ? 'matrix matches the expected matrix' : `matrix does NOT match the expected matrix (${wrong.length} cell${wrong.length === 1 ? '' : 's'})`);
  }
  return out.join('\n') + '\n';
}

// ===========================================================================================
// The command
// ===========================================================================================

function parseLimit(s: string | undefined): number {
  if (s === undefined) return DEFAULT_MATRIX_LIMIT;
  const n = Number(s.replace(/_/g, ''));
  if (!/^\d[\d_]*$/.test(s) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--max-instructions must be a positive integer, not '${s}'`);
  return n;
}

/** Exit 0 when every cell meets its expectation (or nothing was checked), 1 otherwise. */
export function matrixCommand(opts: MatrixOptions, files: string[] = []): number {
  const limit = parseLimit(opts.maxInstructions);
  if (files.length === 0 && hasSetup(opts)) throw new UsageError('the machine options (--ram, --disk, --input, ...) are for the images given; the scenario guests run on the default machine');
  const setup = parseSetup(opts);
  const tty = process.stderr.isTTY === true;
  const progress: MatrixProgress | undefined = tty
    ? (what, done, total) => process.stderr.write(`\r\x1b[Kringside matrix: ${what} (${done}/${total} cells)`)
    : undefined;
  let report: MatrixReport;
  try {
    report = measureMatrix(progress, files.length > 0 ? files : undefined, limit, setup);
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatMatrix(report));
  return report.checked && !report.matches ? 1 : 0;
}
