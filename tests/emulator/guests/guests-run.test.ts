import { describe, expect, it } from 'vitest';
import { guestNames, runOnRingside, expectedOutput, expectedExitCode } from '../../helpers/guests';

/** Every guest runs to its end on ringside with the output recorded from QEMU in expected/. */
describe('guests on ringside', () => {
  it('there are the nine scenario guests and the two benchmarks', () => {
    expect(guestNames()).toEqual(
      expect.arrayContaining([
        'ring-aliasing', 'address-space', 'privileged-state', 'syscalls', 'interrupts', 'hidden-state',
        'ring-compression', 'tpr', 'minikernel', 'bench-loop', 'bench-syscall',
      ]),
    );
  });
  // The benchmarks (200 M instructions) are compared with QEMU in qemu-differential.test.ts only.
  for (const name of guestNames().filter((n) => !n.startsWith('bench-'))) {
    it(`${name} prints what QEMU printed and exits with its code`, () => {
      const r = runOnRingside(name);
      expect(r.reason).toBe('exit');
      expect(r.output).toBe(expectedOutput(name));
      expect(r.exitCode).toBe(expectedExitCode(name));
    });
  }
});
