import { describe, expect, it } from 'vitest';
import { runOnQemu, qemuAvailable, testGuestImage } from '../../helpers/guests';
import { runScenario, COLUMNS } from '../../../scenarios/scenarios';

/**
 * The test guests that end (emulator/guests/tests) print the same UART output on ringside,
 * natively and under every software monitor, as on qemu-system-i386. A triple fault ends
 * QEMU (-no-reboot) with exit code 0 and ringside with 126 (its documented shutdown code).
 * halt-forever never ends on QEMU: its output is compared after a few seconds, when QEMU is
 * stopped. The REP guests never end anywhere, and seal's limit faults are ones QEMU's TCG does
 * not raise (it does not check data-segment limits): they are left out.
 */
const haveQemu = qemuAvailable();

const GUESTS = [
  { name: 'empty-idt', ours: 126, qemu: 0 },
  { name: 'bad-tss-ss0', ours: 126, qemu: 0 },
  { name: 'event-stamps', ours: 1, qemu: 1 },
];

describe.skipIf(!haveQemu && process.env.CI !== 'true')('test guests on ringside and QEMU', () => {
  it('halt-forever: the same UART output before the halt; ringside ends with exit code 0, QEMU stays halted', () => {
    const ref = runOnQemu('tests/halt-forever', [], 5_000); // QEMU stops on the timeout's SIGTERM
    expect(ref.output).toBe('halt-forever: cli; hlt\n');
    for (const col of COLUMNS) {
      const ours = runScenario(testGuestImage('halt-forever'), col, 50_000_000);
      expect(ours.output, col.label).toBe(ref.output);
      expect([ours.reason, ours.exitCode], col.label).toEqual(['halt', 0]);
    }
  });

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
