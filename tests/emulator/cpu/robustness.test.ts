import { describe, expect, it } from 'vitest';
import { Machine } from '../../../emulator/machine';
import { Prng } from '../../helpers/prng';

/**
 * Nothing a guest does may throw a host exception or hang the host: random code, run at ring 0
 * with every privilege, must only ever end in a guest-visible way (fault, halt, shutdown,
 * exit, or the instruction limit).
 */
describe('random guest code', () => {
  it('never raises a host exception in 300 random programs', () => {
    const rng = new Prng(0xc0ffee);
    const reasons = new Map<string, number>();
    for (let p = 0; p < 300; p++) {
      const code = new Uint8Array(4096);
      for (let k = 0; k < code.length; k++) code[k] = rng.below(256);
      const m = new Machine(code, { flatAddress: 0x100000, ramSize: 4 * 1024 * 1024 });
      const r = m.run(20_000);
      reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
    }
    expect([...reasons.keys()].every((k) => ['exit', 'halt', 'shutdown', 'limit'].includes(k))).toBe(true);
    // Most random programs fault their way into a triple fault (the IDT is garbage), and some
    // run to the limit: both ends must have been exercised for the test to mean anything.
    expect(reasons.get('shutdown') ?? 0).toBeGreaterThan(100);
    expect(reasons.get('limit') ?? 0).toBeGreaterThan(0);
  });
});
