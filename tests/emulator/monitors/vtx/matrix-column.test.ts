import { describe, expect, it } from 'vitest';
import {
  SCENARIOS, COLUMNS, VTX_COLUMNS, runScenario, scenarioImage, expectationFor, outcomeOf, meets, interventionCount,
  type ScenarioRun,
} from '../../../../scenarios/scenarios';

/**
 * The vtx columns of the SPEC section 4 matrix, cell by cell: every scenario's UART output and
 * exit code are the native ones ("same"), and so is the retired-instruction count; the exits are
 * only those the cell allows (address-space: no exit at all for the region; syscalls: none per
 * call; tpr: none for TPR writes under the TPR shadow, one per write in the first generation).
 */
describe('SPEC section 4 matrix: the vtx columns', () => {
  for (const s of SCENARIOS) {
    describe(s.name, () => {
      const image = scenarioImage(s.name);
      const native = runScenario(image, COLUMNS[0]);
      const runs = new Map<string, ScenarioRun>();
      for (const c of VTX_COLUMNS) runs.set(c.label, runScenario(image, c));
      for (const c of VTX_COLUMNS) {
        const e = expectationFor(s, c)!;
        it(`${c.label}: same as native, exits only ${e.only!.join(', ')}`, () => {
          const run = runs.get(c.label)!;
          expect(run.reason).toBe('exit');
          expect(outcomeOf(native, run)).toBe('same');
          expect(run.output).toBe(native.output);
          expect(run.icount).toBe(native.icount); // an exiting instruction retires once
          expect(run.exits).toBeGreaterThan(0); // the VMM really ran (the UART's I/O exits)
          for (const kind of Object.keys(run.interventions)) expect(e.only).toContain(kind);
          expect(meets(e, native, run)).toBe(true);
        });
      }
    });
  }

  it('syscalls: 100,000 SYSENTER/SYSEXIT calls cause no exit (all exits are the UART output)', () => {
    const run = runScenario(scenarioImage('syscalls'), VTX_COLUMNS[0]);
    expect(run.interventions).toEqual({ 'I/O instruction': run.exits });
    expect(run.exits).toBeLessThan(1000);
  });

  it('tpr: no TPR write exits under the TPR shadow; every TPR write exits in the first generation', () => {
    const gen2 = runScenario(scenarioImage('tpr'), VTX_COLUMNS[0]);
    const gen1 = runScenario(scenarioImage('tpr'), VTX_COLUMNS[1]);
    expect(interventionCount(gen2, 'APIC access')).toBeLessThan(20);
    expect(interventionCount(gen1, 'APIC access')).toBeGreaterThanOrEqual(100_000);
  });

  it('address-space: the guest uses the top of its linear address space without any exit but the UART\'s', () => {
    const run = runScenario(scenarioImage('address-space'), VTX_COLUMNS[0]);
    expect(Object.keys(run.interventions)).toEqual(['I/O instruction']);
  });
});
