import { describe, expect, it } from 'vitest';
import { runOnQemu, qemuAvailable, testGuestImage } from '../../helpers/guests';
import { runScenario, COLUMNS } from '../../../emulator/monitors/scenarios';

/**
 * The test guests that end (emulator/guests/tests) print the same UART output on ringside,
 * natively and under every software monitor, as on qemu-system-i386. A triple fault ends
 * QEMU (-no-reboot) with exit code 0 and ringside with 126 (its documented shutdown code);
 * halt-forever and the REP guests never end on QEMU and are left out.
 */
const haveQemu = qemuAvailable();

const GUESTS = [
  { name: 'empty-idt', ours: 126, qemu: 0 },
  { name: 'bad-tss-ss0', ours: 126, qemu: 0 },
  { name: 'event-stamps', ours: 1, qemu: 1 },
];

describe.skipIf(!haveQemu && process.env.CI !== 'true')('test guests on ringside and QEMU', () => {
  for (const g of GUESTS) {
    it(`${g.name}: the same UART output; exit ${g.ours} on ringside, ${g.qemu} on QEMU`, () => {
      const ref = runOnQemu(`tests/${g.name}`);
      expect(ref.exitCode).toBe(g.qemu);
      for (const col of COLUMNS) {
        const ours = runScenario(testGuestImage(g.name), col, 50_000_000);
        expect(ours.output, col.label).toBe(ref.output);
        expect(ours.exitCode, col.label).toBe(g.ours);
      }
    });
  }
});
