import { describe, it, expect } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import { SoftwareMonitor } from '../../../../emulator/monitors/sw/monitor';
import { INTERVENTIONS } from '../../../../emulator/monitors/sw/interventions';
import { testGuestImage } from '../../../helpers/guests';
import type { Mode, ShadowPolicy } from '../../../../emulator/monitors/modes';

const PT_WRITES = INTERVENTIONS.indexOf('page-table-write');

function run(mode: Mode, shadow?: ShadowPolicy, revision?: number): { out: string; ptWrites: number } {
  let out = '';
  const m = new Machine(testGuestImage('pt-reuse'), { mode, shadow, revision, onUartByte: (b) => (out += String.fromCharCode(b)) });
  expect(m.run(5_000_000).reason).toBe('exit');
  const ptWrites = m.monitor instanceof SoftwareMonitor ? m.monitor.counts[PT_WRITES] : 0;
  return { out, ptWrites };
}

describe('software monitors: a page-table page flooded with writes (machine revision 3)', () => {
  const native = run('native').out;

  it('the guest reads the same through a page table freed, filled as data and used again, in every monitor mode and revision', () => {
    expect(native).toContain('page 0 remapped: 0x00000709');
    for (const [mode, shadow] of [['sw-013', undefined], ['sw-033', 'split'], ['sw-033', 'shared']] as const) {
      for (const revision of [2, 3]) expect(run(mode, shadow, revision).out, `${mode} ${shadow ?? ''} revision ${revision}`).toBe(native);
    }
  });

  it('stops tracking the page after three writes with no walk through it, where revision 2 traps on each of the 2048', () => {
    for (const mode of ['sw-013', 'sw-033'] as const) {
      expect(run(mode, undefined, 2).ptWrites, mode).toBeGreaterThanOrEqual(2048);
      expect(run(mode, undefined, 3).ptWrites, mode).toBeLessThanOrEqual(8);
    }
  });
});
