/**
 * `ringside matrix [--json]`: runs every scenario guest natively and under each monitor
 * column (the software VMMs, VT-x in both generations), and prints the outcome matrix as
 * measured next to the expected one (stated in the README). Runs are deterministic: no
 * wall-clock time appears in the results.
 */
import { writeStdout } from '../stdout';
import {
  SCENARIOS, MATRIX_COLUMNS as COLUMNS, runScenario, scenarioImage, expectationFor, outcomeOf, meets, firstDifference,
  type Column, type Expectation, type ScenarioRun,
} from '../../emulator/monitors/scenarios';

export interface MatrixOptions {
  json?: boolean;
}

export interface MatrixCell {
  label: string;
  mode: string;
  shadow: string | null;
  vtxGen: number | null;
  outcome: 'same' | 'diverges';
  firstDifference?: { line: number; native: string; other: string };
  exits: number;
  trapsPer1000: number;
  interventions: Record<string, number>;
  expected: Expectation;
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
}

const SOFTWARE = COLUMNS.filter((c) => c.mode !== 'native');
const NATIVE = COLUMNS.find((c) => c.mode === 'native') as Column;

/** Runs the whole matrix; `progress` is told before each run starts. */
export function measureMatrix(progress?: (what: string, done: number, total: number) => void): MatrixReport {
  const total = SCENARIOS.length * (1 + SOFTWARE.length);
  let done = 0;
  const scenarios: MatrixRow[] = [];
  for (const s of SCENARIOS) {
    const image = scenarioImage(s.name);
    progress?.(`${s.name} ${NATIVE.label}`, ++done, total);
    const native = runScenario(image, NATIVE);
    const columns: MatrixCell[] = [];
    for (const c of SOFTWARE) {
      progress?.(`${s.name} ${c.label}`, ++done, total);
      const run = runScenario(image, c);
      const expected = expectationFor(s, c) as Expectation;
      columns.push(cell(c, native, run, expected));
    }
    scenarios.push({ name: s.name, category: s.category, native: { exitCode: native.exitCode, reason: native.reason, icount: native.icount }, columns });
  }
  return { scenarios, matches: scenarios.every((r) => r.columns.every((c) => c.meets)) };
}

function cell(c: Column, native: ScenarioRun, run: ScenarioRun, expected: Expectation): MatrixCell {
  const outcome = outcomeOf(native, run);
  const diff = outcome === 'diverges' ? firstDifference(native.output, run.output) : undefined;
  return {
    label: c.label,
    mode: c.mode,
    shadow: c.shadow ?? null,
    vtxGen: c.vtxGen ?? null,
    outcome,
    ...(diff !== undefined ? { firstDifference: diff } : {}),
    exits: run.exits,
    trapsPer1000: run.icount > 0 ? Math.round((run.exits * 1000 * 10) / run.icount) / 10 : 0,
    interventions: sortedInterventions(run.interventions),
    expected,
    meets: meets(expected, native, run),
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
  let text: string;
  if (c.outcome === 'same') text = `same (${c.exits} exits)`;
  else if (c.firstDifference !== undefined) text = `diverges @${c.firstDifference.line}`;
  else text = 'diverges (exit code)'; // identical UART output, different exit code
  return c.meets ? text : `${text} !`;
}

/** A JSON-quoted string, shortened (from `from`, then at the end) so that the line stays readable. */
function quote(s: string, from = 0, max = 50): string {
  let t = from > 0 ? `...${s.slice(from)}` : s;
  if (t.length > max) t = `${t.slice(0, max - 3)}...`;
  return JSON.stringify(t);
}

/** Both lines of a difference, quoted; a long common prefix is elided to show where they differ. */
function quotePair(a: string, b: string): [string, string] {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  const from = Math.max(a.length, b.length) > 50 && p > 24 ? p - 16 : 0;
  return [quote(a, from), quote(b, from)];
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
  const header = ['scenario', NATIVE.label, ...SOFTWARE.map((c) => c.label), 'expected'];
  const rows = report.scenarios.map((r) => [
    r.name,
    nativeCell(r.native),
    ...r.columns.map(softwareCell),
    r.columns.every((c) => c.meets) ? 'ok' : 'MISMATCH',
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const fmt = (row: string[]): string => row.map((v, k) => (k === row.length - 1 ? v : v.padEnd(widths[k]))).join('  ').trimEnd();
  const out: string[] = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];

  const divergences: string[] = [];
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      if (c.outcome !== 'diverges') continue;
      const d = c.firstDifference;
      if (d === undefined) {
        divergences.push(`  ${r.name} ${c.label}: same UART output, exit code ${r.native.exitCode} natively`);
        continue;
      }
      const [a, b] = quotePair(d.native, d.other);
      divergences.push(`  ${r.name} ${c.label}: line ${d.line}: native ${a} vs ${b}`);
    }
  }
  if (divergences.length > 0) out.push('', 'first differing UART line:', ...divergences);

  out.push('', 'monitor interventions by kind (monitor exits, exits per 1000 guest instructions):');
  for (const r of report.scenarios) {
    for (const c of r.columns) {
      const kinds = Object.entries(c.interventions).map(([k, n]) => `${k} ${n} (${(n * 1000 / Math.max(1, r.native.icount)).toFixed(2)}/1000)`);
      out.push(...wrapped(`  ${r.name} ${c.label} (${c.exits} exits, ${c.trapsPer1000.toFixed(1)}/1000 instr):`, kinds.length > 0 ? kinds : ['none']));
    }
  }

  const wrong = report.scenarios.flatMap((r) => r.columns.filter((c) => !c.meets).map((c) => ({ r, c })));
  if (wrong.length > 0) {
    out.push('', 'cells that differ from the expected matrix:');
    for (const { r, c } of wrong) {
      const e = c.expected;
      const count = (kind: string) => (kind === 'exits' ? c.exits : kind.split('+').reduce((n, k) => n + (c.interventions[k] ?? 0), 0));
      const want = e.outcome + (e.atLeast !== undefined ? `, >= ${e.atLeast.count} ${e.atLeast.kind} (${e.atLeast.per})` : '') +
        (e.atMost !== undefined ? `, <= ${e.atMost.count} ${e.atMost.kind} (${e.atMost.per})` : '') + (e.only !== undefined ? `, exits only: ${e.only.join(', ')}` : '');
      const got = c.outcome + (e.atLeast !== undefined ? `, ${count(e.atLeast.kind)} ${e.atLeast.kind}` : '') +
        (e.atMost !== undefined ? `, ${count(e.atMost.kind)} ${e.atMost.kind}` : '') + (e.only !== undefined ? `, exits: ${Object.keys(c.interventions).join(', ') || 'none'}` : '');
      out.push(`  ${r.name} ${c.label}: expected ${want}; measured ${got}`);
    }
  }
  out.push('', report.matches ? 'matrix matches the expected matrix' : `matrix does NOT match the expected matrix (${wrong.length} cell${wrong.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}

// ===========================================================================================
// The command
// ===========================================================================================

export function matrixCommand(opts: MatrixOptions): number {
  const tty = process.stderr.isTTY === true;
  const report = measureMatrix(tty ? (what, done, total) => process.stderr.write(`\r\x1b[Kringside matrix: ${what} (${done}/${total})`) : undefined);
  if (tty) process.stderr.write('\r\x1b[K');
  writeStdout(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatMatrix(report));
  return report.matches ? 0 : 1;
}
