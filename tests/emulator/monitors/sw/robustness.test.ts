import { describe, expect, it } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import { Prng } from '../../../helpers/prng';

/**
 * Under a software monitor too, nothing the guest does may throw a host exception: random code
 * (run as the guest kernel, with random LGDT/LIDT/MOV CR/far transfers among it) must end in a
 * guest-visible way, and the monitor must have been entered.
 */
describe('random guest code under the software monitors', () => {
  for (const [mode, shadow] of [['sw-013', undefined], ['sw-033', 'split'], ['sw-033', 'shared']] as const) {
    it(`${mode}${shadow ? ' ' + shadow : ''}: 100 random programs end as natively possible, never with a host exception`, () => {
      const rng = new Prng(0x5eed + mode.length + (shadow?.length ?? 0));
      const reasons = new Map<string, number>();
      let exits = 0;
      for (let p = 0; p < 100; p++) {
        const code = new Uint8Array(4096);
        for (let k = 0; k < code.length; k++) code[k] = rng.below(256);
        const m = new Machine(code, { flatAddress: 0x100000, ramSize: 4 * 1024 * 1024, mode, shadow });
        const r = m.run(2_000); // a REP string instruction over unmapped memory costs ~1 ms a pass, natively too
        reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
        exits += m.monitor!.exits;
      }
      expect([...reasons.keys()].every((k) => ['exit', 'halt', 'shutdown', 'limit'].includes(k))).toBe(true);
      expect(reasons.get('shutdown') ?? 0).toBeGreaterThan(20);
      expect(exits).toBeGreaterThan(100);
    });
  }
});
