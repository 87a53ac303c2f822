import { describe, expect, it } from 'vitest';
import { runScenario, scenarioImage, COLUMNS } from '../../../../scenarios/scenarios';

/**
 * The later processor features under the software monitors: sw-013 runs the guest kernel at
 * ring 1, a supervisor ring for paging, so the guest's SMEP and SMAP go into the real CR4 and
 * the faults they raise are reflected as the guest's; STAC and CLAC (#UD outside ring 0) are
 * emulated. The cpu-features guest then prints exactly its native output.
 */
describe('cpu-features under sw-013', () => {
  it('prints the native output: SMEP, SMAP, STAC/CLAC, RDTSCP, PAT and the ring-3 faults as natively', () => {
    const image = scenarioImage('cpu-features');
    const native = runScenario(image, COLUMNS[0]);
    const sw013 = runScenario(image, COLUMNS.find((c) => c.mode === 'sw-013')!);
    expect(native.exitCode).toBe(1);
    expect(sw013.exits).toBeGreaterThan(0);
    expect(sw013.output).toBe(native.output);
    expect(sw013.exitCode).toBe(1);
    expect(sw013.interventions.privileged).toBe(3); // the kernel's STAC and two CLACs, emulated
  });
});
