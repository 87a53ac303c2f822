/**
 * The cost model: estimated cycles a monitor's interventions add to a run. A run's
 * interventions are read from its events: each monitor_exit is one trap (software VMM) or one
 * VM-exit round trip (VT-x), each monitor_emulation one emulated instruction or access, of a
 * kind named by its text; a shadow page-table fill is an emulation of its own kind. Every
 * figure carries its basis (where it comes from); `--cost FILE` replaces figures.
 *
 * None of the built-in figures is a number read from a published table: they are ringside's
 * own estimates, chosen to respect the ordering the two papers report (first-generation VT-x
 * transitions costlier than a software VMM's traps, later generations cheaper), and their
 * bases say so. The README's cost-model section lists them with the same reasoning.
 */
import type { TraceEvent } from '../events';
import { EventKind } from '../events';

export interface CostModel {
  name: string;
  source: string;
  /** Cycles of one trap or VM-exit round trip (exit, monitor entry, resume). */
  roundTrip: number;
  /** Cycles to emulate one instruction or access, by kind ('default' for the rest). */
  emulation: Record<string, number>;
  /** Cycles to fill one shadow page-table entry (beyond the round trip of its fault). */
  shadowFill: number;
  /** Where each figure comes from, by figure ('roundTrip', 'shadowFill', 'emulation.<kind>'). */
  basis: Record<string, string>;
}

const ASPLOS06 = 'Adams and Agesen, "A Comparison of Software and Hardware Techniques for x86 Virtualization", ASPLOS 2006';
const ATC12 = 'Agesen, Mattson, Rugina and Sheldon, "Software Techniques for Avoiding Hardware Virtualization Exits", USENIX ATC 2012';

/** The kinds of event the estimate reads (every other kind may be left unread). */
export const COST_KINDS: readonly number[] = [EventKind.monitor_exit, EventKind.monitor_emulation];

/** The emulation figures, the same for every family: the work after the exit, not the exit. */
const EMULATION = { default: 100, io: 200, 'descriptor-table': 300, 'control-register': 300 };
const EMULATION_BASIS: Record<string, string> = {
  'emulation.default': 'ringside estimate: decoding the trapped instruction and updating the virtual CPU, on the order of a hundred instructions at one cycle each',
  'emulation.io': 'ringside estimate: the default plus a device model access (about as much work again)',
  'emulation.descriptor-table': 'ringside estimate: the default plus rebuilding the shadow descriptor table or task state it names (about twice as much work again)',
  'emulation.control-register': 'ringside estimate: the default plus the shadow paging or mode change the new value implies (about twice as much work again)',
};
const SHADOW_FILL_BASIS = 'ringside estimate: walking the guest\'s two-level page table and writing one shadow entry, beyond the round trip of the hidden page fault that caused it';

/** The figures (README: the cost model), chosen by the monitor's family. */
export const COST_MODELS: Record<string, CostModel> = {
  software: {
    name: 'software VMM (trap and emulate)',
    source: 'ringside estimates (see basis)',
    roundTrip: 1000,
    emulation: { ...EMULATION },
    shadowFill: 1000,
    basis: {
      roundTrip: `ringside estimate, not a published figure: a guest fault enters the monitor through its IDT with a privilege change to ring 0 and returns by IRET to ring 1 or 3 (two ring crossings) around the monitor's dispatch and its save and restore of guest state. ${ASPLOS06} measures a binary-translating VMM, which avoids most such traps, so it gives no figure for this path`,
      ...EMULATION_BASIS,
      shadowFill: SHADOW_FILL_BASIS,
    },
  },
  'vtx-first-generation': {
    name: 'VT-x, first generation',
    source: `ringside estimates (see basis), ordered after ${ASPLOS06}`,
    roundTrip: 2400,
    emulation: { ...EMULATION },
    shadowFill: 1000,
    basis: {
      roundTrip: `ringside estimate: ${ASPLOS06} (abstract and conclusions) finds that first-generation hardware support rarely beats a software VMM, and ascribes it to high VMM/guest transition costs; the figure is set well above the software trap's 1,000 to follow that finding. It is not read from the paper's measurements, which could not be checked figure by figure for ringside`,
      ...EMULATION_BASIS,
      shadowFill: `${SHADOW_FILL_BASIS} (the first generation has no EPT: the VMM keeps shadow page tables)`,
    },
  },
  vtx: {
    name: 'VT-x, later generations',
    source: `ringside estimates (see basis), ordered after ${ATC12}`,
    roundTrip: 500,
    emulation: { ...EMULATION },
    shadowFill: 1000,
    basis: {
      roundTrip: `ringside estimate: ${ATC12} (abstract and introduction) reports that hardware designers reduced guest/VMM transition costs in later processor generations while transitions stay high-latency operations; the figure is set below the first generation's and the software trap's to follow that trend. It is not read from the paper's per-generation measurements, which could not be checked figure by figure for ringside`,
      ...EMULATION_BASIS,
      shadowFill: `${SHADOW_FILL_BASIS}; unused by an EPT run, which fills no shadow entries`,
    },
  },
};

/** The model for a monitor mode: software VMMs, VT-x's first generation (`vtxGen` 1), later VT-x. */
export function modelForMode(mode: string, vtxGen?: number): CostModel | null {
  if (mode === 'native') return null;
  if (mode.startsWith('sw')) return COST_MODELS.software;
  return vtxGen === 1 ? COST_MODELS['vtx-first-generation'] : COST_MODELS.vtx;
}

/** The kind of one monitor_emulation text. */
export function emulationKind(text: string): string {
  if (/shadow page-table entry filled/.test(text)) return 'shadow-fill';
  const word = text.split(/\s/)[0];
  if (/^(in|out|ins|outs)/.test(word)) return 'io';
  if (/^(lgdt|lidt|lldt|ltr)$/.test(word)) return 'descriptor-table';
  if (/^(mov cr|clts|lmsw|invlpg)/.test(text) || /control register|cr\d/.test(text)) return 'control-register';
  if (/^(cli|sti|popf|pushf)$/.test(word)) return 'iflag';
  if (/^(iret|sysenter|sysexit|int)/.test(word)) return 'control-transfer';
  return /emulated$/.test(text) ? 'memory-access' : word;
}

export interface CostSummary {
  model: string;
  source: string;
  exits: Record<string, number>; // by exit reason
  emulations: Record<string, number>; // by kind
  extraCycles: number;
  guestInstructions: number;
  /** (instructions + extra cycles) / instructions, at one cycle per native instruction. */
  slowdown: number;
}

/** Counts a run's interventions and prices them. */
export function estimateCost(events: Iterable<TraceEvent>, guestInstructions: number, model: CostModel): CostSummary {
  const exits: Record<string, number> = {};
  const emulations: Record<string, number> = {};
  let extra = 0;
  for (const e of events) {
    if (e.kind === EventKind.monitor_exit) {
      exits[e.text] = (exits[e.text] ?? 0) + 1;
      extra += model.roundTrip;
    } else if (e.kind === EventKind.monitor_emulation) {
      const k = emulationKind(e.text);
      emulations[k] = (emulations[k] ?? 0) + 1;
      extra += k === 'shadow-fill' ? model.shadowFill : model.emulation[k] ?? model.emulation.default ?? 0;
    }
  }
  const n = Math.max(1, guestInstructions);
  return { model: model.name, source: model.source, exits: sortCounts(exits), emulations: sortCounts(emulations), extraCycles: extra, guestInstructions, slowdown: Math.round(((n + extra) / n) * 100) / 100 };
}

function sortCounts(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1)));
}

/** A cost model from a JSON file's text, every figure checked; throws Error with one line. */
export function parseCostModel(text: string, base: CostModel): CostModel {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`the cost file is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the cost file must hold a JSON object');
  const o = v as Record<string, unknown>;
  const num = (key: string, x: unknown): number => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`cost file: ${key} must be a number of cycles >= 0`);
    return x;
  };
  const known = new Set(['name', 'source', 'roundTrip', 'emulation', 'shadowFill']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`cost file: unknown field '${k}' (fields: ${[...known].join(', ')})`);
  const emulation = { ...base.emulation };
  if (o.emulation !== undefined) {
    if (typeof o.emulation !== 'object' || o.emulation === null || Array.isArray(o.emulation)) throw new Error('cost file: emulation must be an object of kind: cycles');
    for (const [k, x] of Object.entries(o.emulation)) emulation[k] = num(`emulation.${k}`, x);
  }
  // A figure the file gives takes the file's source as its basis; the others keep theirs.
  const source = typeof o.source === 'string' ? o.source : 'the cost file';
  const basis = { ...base.basis };
  if (o.roundTrip !== undefined) basis.roundTrip = source;
  if (o.shadowFill !== undefined) basis.shadowFill = source;
  for (const k of Object.keys(o.emulation ?? {})) basis[`emulation.${k}`] = source;
  return {
    name: typeof o.name === 'string' ? o.name : `${base.name}, overridden`,
    source,
    roundTrip: o.roundTrip === undefined ? base.roundTrip : num('roundTrip', o.roundTrip),
    shadowFill: o.shadowFill === undefined ? base.shadowFill : num('shadowFill', o.shadowFill),
    emulation,
    basis,
  };
}
