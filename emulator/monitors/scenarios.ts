/**
 * The scenario guests of SPEC section 4, the seed's challenge each one shows, and the outcome
 * the specification expects under each mode. `ringside matrix`, the tests and the benchmark
 * share this table and runScenario(); expectations are data here so that the matrix can print
 * measured results next to them, and the tests assert them.
 */
import { packageRoot } from '../package-root';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../machine';
import type { Mode, ShadowPolicy } from './modes';

export const GUEST_DIR = join(packageRoot(import.meta.dirname), 'emulator/guests');

/** A column of the matrix: a mode and, for sw-033, its shadow policy. */
export interface Column {
  label: string;
  mode: Mode;
  shadow?: ShadowPolicy;
}

export const COLUMNS: Column[] = [
  { label: 'native', mode: 'native' },
  { label: 'sw-013', mode: 'sw-013' },
  { label: 'sw-033 split', mode: 'sw-033', shadow: 'split' },
  { label: 'sw-033 shared', mode: 'sw-033', shadow: 'shared' },
];

/** What SPEC section 4 expects of one scenario under one software mode. */
export interface Expectation {
  outcome: 'same' | 'diverges' | 'ends';
  /** At least this many monitor interventions of `kind` per unit (see `perUnit`). */
  atLeast?: { kind: string; count: number; per: string };
}

export interface Scenario {
  name: string;
  category: string; // the seed's challenge
  does: string;
  sw013: Expectation;
  sw033split: Expectation;
  sw033shared: Expectation;
}

const trapsPerCall = { kind: 'sysenter+sysexit', count: 200_000, per: '2 per call, 100000 calls' };
const trapsPerWrite = { kind: 'apic', count: 100_000, per: '1 per write, 100000 writes' };
const regionTraps = { kind: 'monitor-region', count: 1, per: 'the guest uses the reserved region' };

/** The same expectation in every software column. */
function everywhere(e: Expectation): Pick<Scenario, 'sw013' | 'sw033split' | 'sw033shared'> {
  return { sw013: e, sw033split: e, sw033shared: e };
}

export const SCENARIOS: Scenario[] = [
  { name: 'ring-aliasing', category: 'ring aliasing', does: 'PUSH CS, MOV from CS, LAR on its own CS; prints the CPL it sees',
    ...everywhere({ outcome: 'diverges' }) },
  { name: 'address-space', category: 'address-space compression', does: "maps and uses a page in the monitor's reserved region",
    ...everywhere({ outcome: 'same', atLeast: regionTraps }) },
  { name: 'privileged-state', category: 'non-faulting access to privileged state', does: 'SGDT SIDT SLDT STR SMSW; prints the values',
    ...everywhere({ outcome: 'diverges' }) },
  { name: 'syscalls', category: 'system calls', does: 'a ring-3 process makes 100,000 SYSENTER/SYSEXIT system calls',
    ...everywhere({ outcome: 'same', atLeast: trapsPerCall }) },
  { name: 'interrupts', category: 'interrupt virtualization', does: 'CLI/STI around a timer, POPF to restore IF, PUSHF to read it',
    ...everywhere({ outcome: 'diverges' }) },
  { name: 'hidden-state', category: 'hidden state', does: 'loads FS, rewrites its descriptor, keeps using FS across a trap',
    ...everywhere({ outcome: 'diverges' }) },
  { name: 'ring-compression', category: 'ring compression', does: 'a ring-3 process reads guest-kernel memory',
    sw013: { outcome: 'same' }, sw033split: { outcome: 'same' }, sw033shared: { outcome: 'diverges' } },
  { name: 'tpr', category: 'frequent access to privileged resources', does: '100,000 TPR writes (raise, lower)',
    ...everywhere({ outcome: 'same', atLeast: trapsPerWrite }) },
  { name: 'minikernel', category: 'all of them', does: 'paging, two ring-3 processes, timer round-robin, SYSENTER and INT 0x80 calls',
    ...everywhere({ outcome: 'ends' }) },
];

export function expectationFor(s: Scenario, c: Column): Expectation | undefined {
  if (c.mode === 'sw-013') return s.sw013;
  if (c.mode === 'sw-033') return c.shadow === 'shared' ? s.sw033shared : s.sw033split;
  return undefined;
}

export function scenarioImage(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GUEST_DIR, `${name}.elf`)));
}

/** One run of a guest under one mode. */
export interface ScenarioRun {
  output: string; // UART output
  debugcon: string; // bytes written to QEMU's debug console (port 0xE9)
  reason: string; // exit, halt, shutdown, limit
  exitCode: number;
  icount: number; // guest instructions retired
  exits: number; // monitor entries (0 natively)
  interventions: Record<string, number>; // by kind (see SoftwareMonitor.interventions)
  cr3Switches: number;
}

export function runScenario(image: Uint8Array, column: Column, maxInstructions = 2_000_000_000): ScenarioRun {
  const bytes: number[] = [];
  const debugcon: number[] = [];
  const m = new Machine(image, { mode: column.mode, shadow: column.shadow, onUartByte: (b) => bytes.push(b), onDebugconByte: (b) => debugcon.push(b) });
  const r = m.run(maxInstructions);
  const mon = m.monitor;
  return {
    output: Buffer.from(bytes).toString('latin1'),
    debugcon: Buffer.from(debugcon).toString('latin1'),
    reason: r.reason,
    exitCode: r.exitCode,
    icount: r.icount,
    exits: mon === null ? 0 : mon.exits,
    interventions: mon === null ? {} : mon.interventions(),
    cr3Switches: mon === null ? 0 : mon.cr3Switches,
  };
}

/** Interventions of a kind; 'a+b' sums kinds. */
export function interventionCount(run: ScenarioRun, kind: string): number {
  return kind.split('+').reduce((sum, k) => sum + (run.interventions[k] ?? 0), 0);
}

/** The first line where two outputs differ (1-based), with both lines; undefined when equal. */
export function firstDifference(native: string, other: string): { line: number; native: string; other: string } | undefined {
  if (native === other) return undefined;
  const a = native.split('\n'), b = other.split('\n');
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    if (a[k] !== b[k]) return { line: k + 1, native: a[k] ?? '(end of output)', other: b[k] ?? '(end of output)' };
  }
  return undefined;
}

/** The measured outcome of a software-mode run against the native one. */
export function outcomeOf(native: ScenarioRun, run: ScenarioRun): 'same' | 'diverges' {
  return native.output === run.output && native.exitCode === run.exitCode ? 'same' : 'diverges';
}

/** Whether a run meets an expectation ('ends': the guest reached its own end with success). */
export function meets(e: Expectation, native: ScenarioRun, run: ScenarioRun): boolean {
  const outcome = outcomeOf(native, run);
  const okOutcome = e.outcome === 'ends' ? run.reason === 'exit' && run.exitCode === 1 && outcome === 'same' : outcome === e.outcome;
  return okOutcome && (e.atLeast === undefined || interventionCount(run, e.atLeast.kind) >= e.atLeast.count);
}
