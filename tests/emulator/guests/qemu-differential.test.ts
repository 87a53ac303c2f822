import { describe, expect, it } from 'vitest';
import { guestNames, runOnRingside, runOnQemu, qemuAvailable, expectedExitCode } from '../../helpers/guests';

/**
 * Every guest prints the same UART output and exits with the same code on ringside and on
 * qemu-system-i386 (the reference machine). Without QEMU the comparison is skipped with a
 * message, except in CI, where it must run.
 */
const haveQemu = qemuAvailable();
if (!haveQemu) {
  if (process.env.CI === 'true') throw new Error('qemu-system-i386 is required in CI (apt-get install qemu-system-x86)');
  console.warn('qemu-system-i386 not found: skipping the QEMU differential tests (apt-get install qemu-system-x86)');
}

describe.skipIf(!haveQemu)('ringside and QEMU print the same', () => {
  for (const name of guestNames()) {
    it(`${name}: identical UART output and exit code`, () => {
      const ours = runOnRingside(name);
      const ref = runOnQemu(name);
      expect(ours.output).toBe(ref.output);
      expect(ours.exitCode).toBe(ref.exitCode);
      expect(ours.exitCode).toBe(expectedExitCode(name));
    });
  }
});
