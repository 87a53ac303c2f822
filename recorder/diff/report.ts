/**
 * The diff report as data: the engine's result with each divergence located (symbol,
 * disassembly), classified (categories.ts), the events of both runs around the first one, and
 * the cost of each run's interventions (cost.ts). `formatReport` prints it.
 */
import { diffRuns, type DiffRun, type DiffOptions, type Divergence } from './engine';
import { classify, CLASSIFIER_KINDS, STALE_KIND } from './categories';
import { estimateCost, modelForMode, type CostModel, type CostSummary } from './cost';
import type { Difference } from './guest-state';
import { formatEvent, type TraceEvent } from '../events';
import { disassemble } from '../../emulator/disasm';

export interface RunSummary {
  label: string;
  mode: string;
  shadow: string | null;
  instructions: number;
  end: string; // reason and exit code
  cost: CostSummary | null; // null natively
}

export interface DivergenceReport {
  icount: number;
  cs: number;
  eip: number;
  symbol: string;
  disassembly: string;
  form: string | null;
  category: string;
  rule: string;
  differences: Difference[];
}

export interface DiffReport {
  left: RunSummary;
  right: RunSummary;
  diverged: boolean;
  first: DivergenceReport | null;
  eventsAround: { left: string[]; right: string[] };
  later: DivergenceReport[];
  controlFlowSplit: number | null;
  compared: { points: number; steppedInstructions: number };
}

export interface ReportOptions extends DiffOptions {
  /** Replaces the cost model of monitored runs (`--cost FILE`): given the built-in one, the figures to use. */
  costModel?: (base: CostModel) => CostModel;
  /** Every event of a run, for the cost (streamed from a trace or held in memory). */
  allEvents?: (side: 'left' | 'right') => Iterable<TraceEvent>;
  /** Events either side of the first divergence to show. */
  around?: number;
}

function summary(run: DiffRun, events: Iterable<TraceEvent> | undefined, over?: (base: CostModel) => CostModel): RunSummary {
  const opts = run.recorded.options;
  const base = modelForMode(opts.mode, opts.vtxGen);
  const model = base !== null && over !== undefined ? over(base) : base;
  return {
    label: run.label,
    mode: opts.mode,
    shadow: opts.shadow ?? null,
    instructions: run.recorded.finalIcount,
    end: `${run.endReason} ${run.exitCode}`,
    cost: model === null || events === undefined ? null : estimateCost(events, run.recorded.finalIcount, model),
  };
}

export function buildReport(left: DiffRun, right: DiffRun, opts: ReportOptions = {}): DiffReport {
  const result = diffRuns(left, right, opts);
  // Classification reads the kinds its rules need at the divergent instruction, and the first
  // stale_descriptor event of each run (one row, asked for once): never a whole run.
  const firstStale = new Map<DiffRun, number>();
  const staleBy = (r: DiffRun, icount: number): boolean => {
    if (!firstStale.has(r)) firstStale.set(r, r.events(0, Number.MAX_SAFE_INTEGER, { kinds: [STALE_KIND], limit: 1 })[0]?.icount ?? Infinity);
    return (firstStale.get(r) as number) <= icount;
  };
  const locate = (d: Divergence): DivergenceReport => {
    left.timeline.seek(d.icount - 1);
    const line = disassemble(left.timeline.machine, 1, d.eip)[0];
    const at = (r: DiffRun) => r.events(Math.max(0, d.icount - 1), d.icount, { kinds: CLASSIFIER_KINDS });
    const c = classify(d, at(left), at(right), staleBy(left, d.icount) || staleBy(right, d.icount));
    return {
      icount: d.icount, cs: d.cs, eip: d.eip,
      symbol: line?.symbol ?? '', disassembly: line?.text ?? '(unreadable)',
      form: d.form, category: c.category, rule: c.rule, differences: d.differences,
    };
  };
  const first = result.first === null ? null : locate(result.first);
  const n = opts.around ?? 6;
  const around = (r: DiffRun): string[] => {
    if (first === null) return [];
    const es = r.events(Math.max(0, first.icount - 50), first.icount + 1);
    const before = es.filter((e) => e.icount < first.icount).slice(-n);
    const after = es.filter((e) => e.icount >= first.icount).slice(0, n);
    return [...before, ...after].map(formatEvent);
  };
  const eventsAround = { left: around(left), right: around(right) };
  const later = result.later.map(locate);
  return {
    left: summary(left, opts.allEvents?.('left'), opts.costModel),
    right: summary(right, opts.allEvents?.('right'), opts.costModel),
    diverged: first !== null,
    first,
    eventsAround,
    later,
    controlFlowSplit: result.controlFlowSplit,
    compared: result.compared,
  };
}

// ===========================================================================================
// Text form
// ===========================================================================================

const hex = (v: number | string): string => (typeof v === 'number' ? '0x' + (v >>> 0).toString(16).padStart(8, '0') : v);

function differenceLine(d: Difference): string {
  if (d.kind === 'memory') return `    memory [${hex(d.address ?? 0)}] (guest-physical): ${hex(d.left)} vs ${hex(d.right)}`;
  if (d.kind === 'end') return `    end: ${d.left} vs ${d.right}`;
  return `    ${d.name.padEnd(6)} ${hex(d.left)} vs ${hex(d.right)}`;
}

function where(d: DivergenceReport): string {
  const sym = d.symbol !== '' ? ` <${d.symbol}>` : '';
  return `instruction ${d.icount} at ${d.cs.toString(16).padStart(4, '0')}:${(d.eip >>> 0).toString(16).padStart(8, '0')}${sym}: ${d.disassembly}`;
}

function costLines(s: RunSummary): string[] {
  const c = s.cost;
  if (c === null) return [];
  const parts = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `cost of ${s.label} (${c.model}):`,
    `  exits by reason: ${parts(c.exits)}`,
    `  emulations by kind: ${parts(c.emulations)}`,
    `  by the seed's category: ${Object.entries(c.categories).map(([k, v]) => `${k} ${v.interventions} (${v.cycles} cycles)`).join(', ') || 'none'}`,
    `  estimated extra cycles ${c.extraCycles} over ${c.guestInstructions} guest instructions: slowdown x${c.slowdown.toFixed(2)} (one cycle per native instruction)`,
  ];
}

export function formatReport(r: DiffReport): string {
  const out: string[] = [];
  const run = (s: RunSummary) => `${s.label}: ${s.mode}${s.shadow !== null ? ` (${s.shadow} shadow)` : ''}, ${s.instructions} instructions, ended ${s.end}`;
  out.push(`left  ${run(r.left)}`, `right ${run(r.right)}`, '');
  if (r.first === null) {
    out.push('the runs never diverge: guest-visible state is the same at every instruction');
  } else {
    const f = r.first;
    out.push(`first divergence: ${where(f)}`);
    out.push(`  category: ${f.category}`, `  why: ${f.rule}`, '  differs (left vs right):', ...f.differences.map(differenceLine));
    out.push('  events around it, left:', ...r.eventsAround.left.map((e) => `    ${e}`));
    out.push('  events around it, right:', ...r.eventsAround.right.map((e) => `    ${e}`));
    if (r.later.length > 0) {
      out.push('', `later sensitive instructions whose result differs while control flow agrees (${r.later.length}):`);
      for (const d of r.later) out.push(`  ${where(d)}: ${d.category}`, ...d.differences.slice(0, 4).map((x) => '  ' + differenceLine(x)));
    }
    out.push('', r.controlFlowSplit === null ? 'control flow agrees to the end of the scan' : `control flow splits after instruction ${r.controlFlowSplit}`);
  }
  const costs = [...costLines(r.left), ...costLines(r.right)];
  if (costs.length > 0) out.push('', ...costs);
  return out.join('\n') + '\n';
}
