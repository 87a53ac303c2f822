/**
 * The cost model: estimated cycles a monitor's interventions add to a run. A run's
 * interventions are read from its events: each monitor_exit is one trap (software VMM) or one
 * VM-exit round trip (VT-x), each monitor_emulation one emulated instruction or access, of a
 * kind named by its text; a shadow page-table fill is an emulation of its own kind. Every
 * figure carries its basis (where it comes from); `--cost FILE` replaces figures.
 *
 * The VT-x round trips are the published measurements of Agesen et al. (USENIX ATC 2012,
 * Table 1, "Hardware round-trip latency"): Prescott, the first VT-x processor, and Sandy
 * Bridge, the newest it lists. The VMM's software work per exit comes from the same paper's
 * assumed "combined hardware and software cost of servicing an exit" of 3,000 cycles, less
 * the Sandy Bridge round trip it was measured on. The software VMM's trap is its two ring
 * crossings, a fault delivered through an IDT gate to ring 0 and an IRET back to ring 1 or 3, at
 * the clock counts Intel's 80386 manual publishes for them (the monitor's dispatch and emulation
 * are the software service priced from ATC12, as for a VM exit).
 */
import type { TraceEvent } from '../events';
import { EventKind } from '../events';
import { CATEGORY_RULES } from './categories';

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

/** The publication the figures are read from. */
export const ATC12 = 'Agesen, Mattson, Rugina and Sheldon, "Software Techniques for Avoiding Hardware Virtualization Exits", USENIX ATC 2012';

/** ATC12 Table 1, "Hardware round-trip latency" (VM exit and VM entry), in cycles, by microarchitecture. */
export const ATC12_ROUND_TRIP = { Prescott: 3963, Merom: 1579, Penryn: 1266, Nehalem: 1009, Westmere: 761, 'Sandy Bridge': 784 } as const;
/** ATC12 section 9 (Evaluation): "We assume a combined hardware and software cost of servicing an exit at 3000 cycles" (on Sandy Bridge). */
export const ATC12_EXIT_SERVICE = 3000;
/** The VMM's software share of servicing one exit: ATC12's 3,000 cycles less the Sandy Bridge round trip. */
const SOFTWARE_PER_EXIT = ATC12_EXIT_SERVICE - ATC12_ROUND_TRIP['Sandy Bridge'];

/** The manual the software VMM's trap is read from. */
export const I386_MANUAL = "Intel, 80386 Programmer's Reference Manual (1986), chapter 17, instruction timings";
/**
 * I386_MANUAL's clock counts for the two ring crossings of a trap into a monitor: INT n
 * "Interrupt, protected mode, more privilege" (an exception is delivered through its gate as
 * INT n is) and IRET "Interrupt return to lesser privilege".
 */
export const I386_RING_CROSSING = { intToInnerRing: 99, iretToOuterRing: 82 } as const;
const SOFTWARE_TRAP = I386_RING_CROSSING.intToInnerRing + I386_RING_CROSSING.iretToOuterRing;

/** The kinds of event the estimate reads (every other kind may be left unread). */
export const COST_KINDS: readonly number[] = [EventKind.monitor_exit, EventKind.monitor_emulation];

/**
 * The emulation figure, the same for every family and every kind (`default`: ATC12 gives one
 * average): the VMM's work after the exit, not the exit. A cost file may set kinds apart.
 */
const EMULATION = { default: SOFTWARE_PER_EXIT };
const SOFTWARE_BASIS = `${ATC12}, section 9 (Evaluation): a combined hardware and software cost of servicing an exit of ${ATC12_EXIT_SERVICE} cycles, less the hardware round trip of the Sandy Bridge it was assumed for (Table 1: ${ATC12_ROUND_TRIP['Sandy Bridge']}), leaves ${SOFTWARE_PER_EXIT} cycles of VMM software per exit. The paper gives one average for every kind of exit, so every kind gets it`;
const EMULATION_BASIS: Record<string, string> = Object.fromEntries(Object.keys(EMULATION).map((k) => [`emulation.${k}`, SOFTWARE_BASIS]));
const SHADOW_FILL_BASIS = `${SOFTWARE_BASIS}; a shadow fill is the software service of the hidden page fault's exit (whose round trip is counted apart)`;

/** The figures (README: the cost model), chosen by the monitor's family. */
export const COST_MODELS: Record<string, CostModel> = {
  software: {
    name: 'software VMM (trap and emulate)',
    source: `${I386_MANUAL} for the trap; ${ATC12} for the emulation`,
    roundTrip: SOFTWARE_TRAP,
    emulation: { ...EMULATION },
    shadowFill: SOFTWARE_PER_EXIT,
    basis: {
      roundTrip: `${I386_MANUAL}: a trap is a fault delivered through the monitor's IDT gate to ring 0 (INT n to a more privileged level, ${I386_RING_CROSSING.intToInnerRing} clocks) and an IRET back to the guest's ring 1 or 3 (return to lesser privilege, ${I386_RING_CROSSING.iretToOuterRing} clocks): ${SOFTWARE_TRAP} cycles. The clock counts are the 80386's; the monitor's dispatch and its save and restore of guest state are the software service of each emulation`,
      ...EMULATION_BASIS,
      shadowFill: SHADOW_FILL_BASIS,
    },
  },
  'vtx-first-generation': {
    name: 'VT-x, first generation (Prescott)',
    source: `${ATC12}, Table 1 and section 9`,
    roundTrip: ATC12_ROUND_TRIP.Prescott,
    emulation: { ...EMULATION },
    shadowFill: SOFTWARE_PER_EXIT,
    basis: {
      roundTrip: `${ATC12}, Table 1: hardware round-trip latency on Prescott (3Q2005, the first processor with VT-x), ${ATC12_ROUND_TRIP.Prescott} cycles`,
      ...EMULATION_BASIS,
      shadowFill: `${SHADOW_FILL_BASIS} (the first generation has no EPT: the VMM keeps shadow page tables)`,
    },
  },
  vtx: {
    name: 'VT-x, later generations (Sandy Bridge)',
    source: `${ATC12}, Table 1 and section 9`,
    roundTrip: ATC12_ROUND_TRIP['Sandy Bridge'],
    emulation: { ...EMULATION },
    shadowFill: SOFTWARE_PER_EXIT,
    basis: {
      roundTrip: `${ATC12}, Table 1: hardware round-trip latency on Sandy Bridge (1Q2011, the newest generation it lists), ${ATC12_ROUND_TRIP['Sandy Bridge']} cycles`,
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

/**
 * What no category's `interventions` pattern (categories.ts) matches: work every trap-and-emulate
 * monitor does whatever the architecture (I/O, privileged instructions such as LGDT or MOV to
 * CR3, shadow paging, descriptor-table tracking).
 */
export const NO_SEED_CATEGORY = 'no seed category (I/O, privileged instructions, shadow paging)';

/** The seed's category of one monitor_emulation text: the first rule whose interventions (or, without them, eventText) match. */
export function interventionCategory(text: string): string {
  return CATEGORY_RULES.find((r) => (r.interventions ?? r.eventText)?.test(text) === true)?.category ?? NO_SEED_CATEGORY;
}

export interface CategoryCost {
  /** Interventions: emulations, each with the round trip of the exit that led to it. */
  interventions: number;
  cycles: number;
}

export interface CostSummary {
  model: string;
  source: string;
  exits: Record<string, number>; // by exit reason
  emulations: Record<string, number>; // by kind
  /** By the seed's category (the rules' `interventions`, categories.ts); their cycles make extraCycles. */
  categories: Record<string, CategoryCost>;
  extraCycles: number;
  guestInstructions: number;
  /** (instructions + extra cycles) / instructions, at one cycle per native instruction. */
  slowdown: number;
}

/** Counts a run's interventions and prices them. */
export function estimateCost(events: Iterable<TraceEvent>, guestInstructions: number, model: CostModel): CostSummary {
  const exits: Record<string, number> = {};
  const emulations: Record<string, number> = {};
  const categories: Record<string, CategoryCost> = {};
  const charge = (category: string, cycles: number) => {
    const c = (categories[category] ??= { interventions: 0, cycles: 0 });
    c.interventions++;
    c.cycles += cycles;
  };
  // The round trip of an exit goes to the category of the first emulation after it; an exit
  // that no emulation follows (before the next exit) is one intervention of no seed category.
  let openExit = false;
  for (const e of events) {
    if (e.kind === EventKind.monitor_exit) {
      if (openExit) charge(NO_SEED_CATEGORY, model.roundTrip);
      openExit = true;
      exits[e.text] = (exits[e.text] ?? 0) + 1;
    } else if (e.kind === EventKind.monitor_emulation) {
      const k = emulationKind(e.text);
      emulations[k] = (emulations[k] ?? 0) + 1;
      const cycles = k === 'shadow-fill' ? model.shadowFill : model.emulation[k] ?? model.emulation.default ?? 0;
      charge(interventionCategory(e.text), cycles + (openExit ? model.roundTrip : 0));
      openExit = false;
    }
  }
  if (openExit) charge(NO_SEED_CATEGORY, model.roundTrip);
  const extra = Object.values(categories).reduce((sum, c) => sum + c.cycles, 0);
  const n = Math.max(1, guestInstructions);
  const byCycles = Object.fromEntries(Object.entries(categories).sort(([ka, a], [kb, b]) => b.cycles - a.cycles || (ka < kb ? -1 : 1)));
  return { model: model.name, source: model.source, exits: sortCounts(exits), emulations: sortCounts(emulations), categories: byCycles, extraCycles: extra, guestInstructions, slowdown: Math.round(((n + extra) / n) * 100) / 100 };
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
