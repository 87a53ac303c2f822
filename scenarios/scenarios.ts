/**
 * The scenario guests of SPEC section 4, the seed's challenge each one shows, and the outcome
 * the specification expects under each mode. `ringside matrix`, the tests and the benchmark
 * share this table and runScenario(); expectations are data here so that the matrix can print
 * measured results next to them, and the tests assert them.
 */
import { packageRoot } from '../emulator/package-root';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../emulator/machine';
import type { DiskImage } from '../emulator/devices/disk-image';
import type { Mode, ShadowPolicy, VtxGeneration } from '../emulator/monitors/modes';

export const GUEST_DIR = join(packageRoot(import.meta.dirname), 'emulator/guests');

/** A column of the matrix: a mode and, for sw-033, its shadow policy. */
export interface Column {
  label: string;
  mode: Mode;
  shadow?: ShadowPolicy;
  vtxGen?: VtxGeneration;
}

export const COLUMNS: Column[] = [
  { label: 'native', mode: 'native' },
  { label: 'sw-013', mode: 'sw-013' },
  { label: 'sw-033 split', mode: 'sw-033', shadow: 'split' },
  { label: 'sw-033 shared', mode: 'sw-033', shadow: 'shared' },
];

/** The VT-x columns: the default generation (EPT, TPR shadow) and the first generation. */
export const VTX_COLUMNS: Column[] = [
  { label: 'vtx', mode: 'vtx' },
  { label: 'vtx gen1', mode: 'vtx', vtxGen: 1 },
];

/** Every column of the matrix and the bench. */
export const MATRIX_COLUMNS: Column[] = [...COLUMNS, ...VTX_COLUMNS];

/** What SPEC section 4 expects of one scenario under one software mode. */
export interface Expectation {
  outcome: 'same' | 'diverges' | 'ends';
  /** At least this many monitor interventions of `kind` per unit (see `perUnit`). */
  atLeast?: { kind: string; count: number; per: string };
  /** At most this many interventions of `kind` ('exits': all of them). */
  atMost?: { kind: string; count: number; per: string };
  /** No intervention of any other kind (vtx: only the exits the guest's own devices need). */
  only?: string[];
}

export interface Scenario {
  name: string;
  category: string; // the seed's challenge
  does: string;
  sw013: Expectation;
  sw033split: Expectation;
  sw033shared: Expectation;
  vtx: Expectation; // default generation
  vtx1: Expectation; // first generation
}

const trapsPerCall = { kind: 'sysenter+sysexit', count: 200_000, per: '2 per call, 100000 calls' };
const trapsPerWrite = { kind: 'apic', count: 100_000, per: '1 per write, 100000 writes' };
const regionTraps = { kind: 'monitor-region', count: 1, per: 'the guest uses the reserved region' };

/** The same expectation in every software column. */
function everywhere(e: Expectation): Pick<Scenario, 'sw013' | 'sw033split' | 'sw033shared'> {
  return { sw013: e, sw033split: e, sw033shared: e };
}

// Under vtx every scenario is "same"; the UART's I/O exits, the APIC set-up's APIC-access exits
// and timer interrupts' exits are the only ones the guests need.
const IO = 'I/O instruction', APIC = 'APIC access', EXTINT = 'external interrupt', WINDOW = 'interrupt window', HLT = 'HLT';
const vtxSame = (only: string[]): Expectation => ({ outcome: 'same', only });
const bothVtx = (e: Expectation): Pick<Scenario, 'vtx' | 'vtx1'> => ({ vtx: e, vtx1: e });

export const SCENARIOS: Scenario[] = [
  { name: 'ring-aliasing', category: 'ring aliasing', does: 'PUSH CS, MOV from CS, LAR on its own CS; prints the CPL it sees',
    ...everywhere({ outcome: 'diverges' }), ...bothVtx(vtxSame([IO])) },
  { name: 'address-space', category: 'address-space compression', does: "maps and uses a page in the monitor's reserved region",
    ...everywhere({ outcome: 'same', atLeast: regionTraps }), ...bothVtx(vtxSame([IO])) },
  { name: 'privileged-state', category: 'non-faulting access to privileged state', does: 'SGDT SIDT SLDT STR SMSW; prints the values',
    ...everywhere({ outcome: 'diverges' }), ...bothVtx(vtxSame([IO])) },
  // UMIP, Intel's later fix for the same challenge: the monitor sets it in the real CR4 while
  // the guest's is set, so the stores trap and are emulated with the guest's own values.
  { name: 'privileged-state-umip', category: 'non-faulting access to privileged state, fixed by UMIP',
    does: 'sets CR4.UMIP, then SGDT SIDT SLDT STR SMSW at ring 0 (values) and ring 3 (#GP(0))',
    ...everywhere({ outcome: 'same', atLeast: { kind: 'descriptor-table', count: 10, per: 'LGDT LIDT LLDT LTR, and the 6 ring-0 SGDT SIDT SLDT STR that UMIP makes trap' } }),
    ...bothVtx(vtxSame([IO, 'CPUID'])) }, // CPUID exits unconditionally under VT-x
  { name: 'syscalls', category: 'system calls', does: 'a ring-3 process makes 100,000 SYSENTER/SYSEXIT system calls',
    ...everywhere({ outcome: 'same', atLeast: trapsPerCall }),
    ...bothVtx({ outcome: 'same', only: [IO], atMost: { kind: 'exits', count: 1000, per: '0 per call: none but the UART output' } }) },
  { name: 'interrupts', category: 'interrupt virtualization', does: 'CLI/STI around a timer, POPF to restore IF, PUSHF to read it',
    ...everywhere({ outcome: 'diverges' }), ...bothVtx(vtxSame([IO, APIC, EXTINT, WINDOW, HLT])) },
  { name: 'hidden-state', category: 'hidden state', does: 'loads FS, rewrites its descriptor, keeps using FS across a trap',
    ...everywhere({ outcome: 'diverges' }), ...bothVtx(vtxSame([IO, APIC, EXTINT, WINDOW, HLT])) },
  { name: 'ring-compression', category: 'ring compression', does: 'a ring-3 process reads guest-kernel memory',
    sw013: { outcome: 'same' }, sw033split: { outcome: 'same' }, sw033shared: { outcome: 'diverges' }, ...bothVtx(vtxSame([IO])) },
  { name: 'tpr', category: 'frequent access to privileged resources', does: '100,000 TPR writes (raise, lower)',
    ...everywhere({ outcome: 'same', atLeast: trapsPerWrite }),
    // The TPR shadow: a TPR write exits only when it drops VTPR below the threshold (none is
    // set while no interrupt waits), so the writes cost no exit; the first generation has no
    // shadow: every TPR access exits.
    vtx: { outcome: 'same', only: [IO, APIC, 'TPR below threshold'], atMost: { kind: APIC, count: 100, per: 'no TPR write exits (only the set-up and the read-backs of other registers)' } },
    vtx1: { outcome: 'same', only: [IO, APIC], atLeast: { kind: APIC, count: 100_000, per: '1 per TPR write, 100000 writes' } } },
  { name: 'minikernel', category: 'all of them', does: 'paging, two ring-3 processes, timer round-robin, SYSENTER and INT 0x80 calls',
    ...everywhere({ outcome: 'ends' }), ...bothVtx(vtxSame([IO, APIC, EXTINT, WINDOW, HLT])) },
];

export function expectationFor(s: Scenario, c: Column): Expectation | undefined {
  if (c.mode === 'sw-013') return s.sw013;
  if (c.mode === 'sw-033') return c.shadow === 'shared' ? s.sw033shared : s.sw033split;
  if (c.mode === 'vtx') return c.vtxGen === 1 ? s.vtx1 : s.vtx;
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

export function runScenario(image: Uint8Array, column: Column, maxInstructions = 2_000_000_000, disks: DiskImage[] = []): ScenarioRun {
  const bytes: number[] = [];
  const debugcon: number[] = [];
  const m = new Machine(image, { mode: column.mode, shadow: column.shadow, vtxGen: column.vtxGen, onUartByte: (b) => bytes.push(b), onDebugconByte: (b) => debugcon.push(b), disks });
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
export function interventionCount(run: Pick<ScenarioRun, 'exits' | 'interventions'>, kind: string): number {
  if (kind === 'exits') return run.exits;
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
  return meetsMeasured(e, outcomeOf(native, run), run);
}

/** Whether a run meets an expectation, given its outcome however measured (UART output here, the diff engine in the matrix). */
export function meetsMeasured(e: Expectation, outcome: 'same' | 'diverges', run: Pick<ScenarioRun, 'reason' | 'exitCode' | 'exits' | 'interventions'>): boolean {
  const okOutcome = e.outcome === 'ends' ? run.reason === 'exit' && run.exitCode === 1 && outcome === 'same' : outcome === e.outcome;
  return okOutcome && (e.atLeast === undefined || interventionCount(run, e.atLeast.kind) >= e.atLeast.count) &&
    (e.atMost === undefined || interventionCount(run, e.atMost.kind) <= e.atMost.count) &&
    (e.only === undefined || Object.keys(run.interventions).every((k) => e.only!.includes(k)));
}
