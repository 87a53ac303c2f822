import { describe, expect, it } from 'vitest';
import {
  SCENARIOS, COLUMNS, runScenario, scenarioImage, expectationFor, outcomeOf, meets, interventionCount, firstDifference,
  type ScenarioRun,
} from '../../scenarios/scenarios';

/**
 * The sw-013 and sw-033 columns of the SPEC section 4 matrix, measured: every scenario guest
 * runs natively and under each software monitor, and the outcome (same output, or diverging
 * output) and the trap bounds must be exactly the specified ones.
 */
describe('SPEC section 4 matrix: software monitors', () => {
  const software = COLUMNS.filter((c) => c.mode !== 'native');
  for (const s of SCENARIOS) {
    describe(s.name, () => {
      const image = scenarioImage(s.name);
      const native = runScenario(image, COLUMNS[0]);
      const runs = new Map<string, ScenarioRun>();
      for (const c of software) runs.set(c.label, runScenario(image, c));

      it('runs natively to a successful exit', () => {
        expect(native.reason).toBe('exit');
        expect(native.exitCode).toBe(1);
        expect(native.exits).toBe(0);
      });

      for (const c of software) {
        const e = expectationFor(s, c)!;
        const label = e.outcome === 'ends' ? 'runs to its end' : e.outcome + (e.atLeast ? `, with >= ${e.atLeast.count} ${e.atLeast.kind} traps` : '');
        it(`${c.label}: ${label}`, () => {
          const run = runs.get(c.label)!;
          expect(run.reason).toBe('exit');
          expect(run.exits).toBeGreaterThan(0); // the monitor really ran
          if (e.outcome === 'ends') {
            expect(run.exitCode).toBe(1);
            expect(run.output).toBe(native.output);
          } else {
            expect(outcomeOf(native, run)).toBe(e.outcome);
            if (e.outcome === 'diverges') expect(firstDifference(native.output, run.output)).toBeDefined();
          }
          if (e.atLeast) expect(interventionCount(run, e.atLeast.kind)).toBeGreaterThanOrEqual(e.atLeast.count);
          expect(meets(e, native, run)).toBe(true);
        });
      }
    });
  }
});

describe('what each divergence is', () => {
  const at = (name: string, col: number) => {
    const image = scenarioImage(name);
    return firstDifference(runScenario(image, COLUMNS[0]).output, runScenario(image, COLUMNS[col]).output)!;
  };

  it('ring aliasing: PUSH CS shows the ring the kernel really runs at', () => {
    expect(at('ring-aliasing', 1).other).toBe('push cs: cpl=1');
    expect(at('ring-aliasing', 2).other).toBe('push cs: cpl=3');
  });

  it('interrupts: the first difference is POPF failing to restore IF', () => {
    const d = at('interrupts', 1);
    expect(d.native).toBe('if after popf: 1');
    expect(d.other).toBe('if after popf: 0');
  });

  it("privileged state: SGDT reveals the monitor's GDT at the top of the address space", () => {
    expect(at('privileged-state', 1).other).toMatch(/sgdt: base=0xffc10000 limit=0xffff/);
  });

  it('hidden state: the reload by selector picks up the rewritten descriptor', () => {
    expect(at('hidden-state', 2).other).toMatch(/fs:\[0\] = 0xb2b2b2b2/);
  });

  it('ring compression: with one shared shadow, the user process reads kernel memory', () => {
    expect(at('ring-compression', 3).other).toMatch(/user read of kernel page: did not fault/);
  });
});
