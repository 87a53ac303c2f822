import { describe, it, expect } from 'vitest';
import { estimateCost, parseCostModel, COST_MODELS, modelForMode, emulationKind, interventionCategory, NO_SEED_CATEGORY, ATC12_ROUND_TRIP, ATC12_EXIT_SERVICE, I386_RING_CROSSING } from '../../../recorder/diff/cost';
import { EventKind, type TraceEvent } from '../../../recorder/events';

const ev = (kind: number, text: string): TraceEvent => ({ seq: 0, icount: 0, kind, cpl: 0, cs: 0, eip: 0, a: 0, b: 0, c: 0, d: 0, text });
const events = [
  ev(EventKind.monitor_exit, '#GP'), ev(EventKind.monitor_emulation, 'out'),
  ev(EventKind.monitor_exit, '#PF'), ev(EventKind.monitor_emulation, 'shadow page-table entry filled'),
  ev(EventKind.monitor_exit, '#GP'), ev(EventKind.monitor_emulation, 'cli'),
];

describe('diff cost model', () => {
  it('prices exits, emulations by kind and shadow fills, and gives the slowdown', () => {
    const m = COST_MODELS.software;
    const c = estimateCost(events, 1000, m);
    expect(c.exits).toEqual({ '#GP': 2, '#PF': 1 });
    expect(c.emulations).toEqual({ io: 1, 'shadow-fill': 1, iflag: 1 });
    // One emulation figure for every kind (io and iflag alike), a shadow fill its own.
    expect(Object.keys(m.emulation)).toEqual(['default']);
    expect(c.extraCycles).toBe(3 * m.roundTrip + 2 * m.emulation.default + m.shadowFill);
    expect(c.slowdown).toBe(Math.round(((1000 + c.extraCycles) / 1000) * 100) / 100);
  });

  it('sums interventions by the seed\'s category, each exit\'s round trip with the emulation it led to, to the same total', () => {
    const m = COST_MODELS.vtx;
    const es = [
      ...events,
      ev(EventKind.monitor_exit, 'SYSENTER'), ev(EventKind.monitor_emulation, 'sysenter into the guest kernel'),
      ev(EventKind.monitor_exit, 'APIC access'), ev(EventKind.monitor_emulation, 'apic access executed against the local apic'),
      ev(EventKind.monitor_exit, 'HLT'), // an exit no emulation follows
    ];
    const c = estimateCost(es, 1000, m);
    const one = m.roundTrip + m.emulation.default;
    expect(c.categories).toEqual({
      [NO_SEED_CATEGORY]: { interventions: 3, cycles: one + (m.roundTrip + m.shadowFill) + m.roundTrip },
      'frequent access to privileged resources': { interventions: 1, cycles: one },
      'interrupt virtualization': { interventions: 1, cycles: one },
      'system calls': { interventions: 1, cycles: one },
    });
    expect(c.extraCycles).toBe(6 * m.roundTrip + 4 * m.emulation.default + m.shadowFill);
  });

  it('names the seed\'s category of each kind of intervention the monitors report', () => {
    const cases: [string, string][] = [
      ['sysexit', 'system calls'], ['sysenter into the guest kernel', 'system calls'],
      ['local apic access emulated', 'frequent access to privileged resources'], ['apic access executed against the local apic', 'frequent access to privileged resources'],
      ['access to the monitor region emulated', 'address-space compression'],
      ['sgdt', 'non-faulting access to privileged state'], ['smsw', 'non-faulting access to privileged state'],
      ['popf', 'interrupt virtualization'], ['iret', 'interrupt virtualization'], ['#GP delivered through the guest idt', 'interrupt virtualization'],
      ['external interrupt pending', 'interrupt virtualization'], ['guest page fault reflected: #PF injected', 'interrupt virtualization'],
      ['data segment reload failed: loaded null', 'hidden state'],
      ['out', NO_SEED_CATEGORY], ['lgdt', NO_SEED_CATEGORY], ['shadow page-table entry filled', NO_SEED_CATEGORY],
      ['write to a guest descriptor-table page emulated', NO_SEED_CATEGORY], ['cpuid executed for the guest', NO_SEED_CATEGORY],
    ];
    for (const [text, category] of cases) expect(interventionCategory(text), text).toBe(category);
  });

  it('takes figures from a cost file over the built-in ones', () => {
    const m = parseCostModel('{"roundTrip": 10, "shadowFill": 1, "emulation": {"io": 2, "default": 0}}', COST_MODELS.software);
    expect(estimateCost(events, 100, m).extraCycles).toBe(30 + 2 + 1 + 0);
    expect(m.source).toBe('the cost file');
    // The figures the file gives take it as their basis; the others keep the built-in basis.
    expect(m.basis.roundTrip).toBe('the cost file');
    expect(m.basis['emulation.io']).toBe('the cost file');
    const partial = parseCostModel('{"emulation": {"io": 2}}', COST_MODELS.software);
    expect(partial.basis['emulation.io']).toBe('the cost file');
    expect(partial.basis['emulation.default']).toBe(COST_MODELS.software.basis['emulation.default']);
    expect(partial.basis.roundTrip).toBe(COST_MODELS.software.basis.roundTrip);
    expect(estimateCost(events, 100, partial).extraCycles).toBe(3 * partial.roundTrip + 2 + partial.shadowFill + partial.emulation.default);
  });

  it('states the basis of every built-in figure: the published table, section or instruction timing it is read from', () => {
    for (const [family, m] of Object.entries(COST_MODELS)) {
      const figures = ['roundTrip', 'shadowFill', ...Object.keys(m.emulation).map((k) => `emulation.${k}`)];
      expect(Object.keys(m.basis).sort(), family).toEqual(figures.sort());
      for (const f of figures) {
        // The software VMM's trap is read from Intel's 80386 manual, every other figure from ATC12.
        if (family === 'software' && f === 'roundTrip') expect(m.basis[f]).toMatch(/^Intel, 80386 Programmer's Reference Manual \(1986\), chapter 17.*99 clocks.*82 clocks.*181 cycles/);
        else expect(m.basis[f], `${family} ${f}`).toMatch(/USENIX ATC 2012, (Table 1|section 9)/);
      }
    }
    // The figures are the paper's: Table 1's round trips, and section 9's 3,000 cycles per serviced exit.
    expect(COST_MODELS['vtx-first-generation'].roundTrip).toBe(ATC12_ROUND_TRIP.Prescott);
    expect(COST_MODELS.vtx.roundTrip).toBe(ATC12_ROUND_TRIP['Sandy Bridge']);
    expect(COST_MODELS.vtx.roundTrip + COST_MODELS.vtx.emulation.default).toBe(ATC12_EXIT_SERVICE);
    expect(ATC12_ROUND_TRIP).toEqual({ Prescott: 3963, Merom: 1579, Penryn: 1266, Nehalem: 1009, Westmere: 761, 'Sandy Bridge': 784 });
    expect(COST_MODELS['vtx-first-generation'].basis.roundTrip).toContain('3963 cycles');
    // The software trap: the 80386's INT n to a more privileged level and IRET to a less privileged one.
    expect(I386_RING_CROSSING).toEqual({ intToInnerRing: 99, iretToOuterRing: 82 });
    expect(COST_MODELS.software.roundTrip).toBe(181);
  });

  it('refuses a cost file with a bad figure or an unknown field, in one line', () => {
    expect(() => parseCostModel('{"roundTrip": -1}', COST_MODELS.software)).toThrow(/roundTrip must be a number/);
    expect(() => parseCostModel('{"roundtrip": 1}', COST_MODELS.software)).toThrow(/unknown field 'roundtrip'/);
    expect(() => parseCostModel('[1]', COST_MODELS.software)).toThrow(/JSON object/);
    expect(() => parseCostModel('{', COST_MODELS.software)).toThrow(/not JSON/);
  });

  it('chooses the model by monitor family and none natively', () => {
    expect(modelForMode('native')).toBeNull();
    expect(modelForMode('sw-033')).toBe(COST_MODELS.software);
    expect(modelForMode('vtx')).toBe(COST_MODELS.vtx);
    expect(modelForMode('vtx', 2)).toBe(COST_MODELS.vtx);
    expect(modelForMode('vtx', 1)).toBe(COST_MODELS['vtx-first-generation']);
    expect(emulationKind('lgdt')).toBe('descriptor-table');
  });
});
