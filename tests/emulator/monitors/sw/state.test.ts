import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Machine, DEFAULT_RAM_SIZE } from '../../../../emulator/machine';
import { saveCpuState, saveMachineState, restoreMachineState } from '../../../../emulator/machine-state';
import { Timeline } from '../../../../recorder/timeline';
import { guestImage } from '../../../helpers/guests';
import { recordInMemory } from '../../../helpers/record-memory';
import { copyThroughState } from '../../../helpers/copy-machine';
import { expectReplaysIdentically } from '../../../helpers/record-verify';
import { Prng } from '../../../helpers/prng';

function fingerprint(m: Machine): string {
  return createHash('sha256').update(saveCpuState(m.cpu)).update(m.cpu.ram).update(m.monitor!.saveState()).digest('hex');
}

describe('a monitor\'s state is machine state', () => {
  it('saved mid-run and restored into a fresh machine, the run goes on identically', () => {
    const image = guestImage('minikernel');
    for (const mode of ['sw-013', 'sw-033'] as const) {
      const out1: number[] = [];
      const ref = new Machine(image, { mode, onUartByte: (b) => out1.push(b) });
      const end = ref.run();
      const out2: number[] = [];
      const a = new Machine(image, { mode, onUartByte: (b) => out2.push(b) });
      a.run(700_003);
      const b = copyThroughState(a, () => new Machine(image, { mode, onUartByte: (x) => out2.push(x) }));
      const r = b.run();
      expect(r.icount).toBe(end.icount);
      expect(Buffer.from(out2).toString()).toBe(Buffer.from(out1).toString());
      expect(b.monitor!.exits).toBe(ref.monitor!.exits);
    }
  });

  it('a native state does not load into a monitored machine, nor the reverse', () => {
    const image = guestImage('tpr');
    const native = new Machine(image);
    const sw = new Machine(image, { mode: 'sw-013' });
    expect(() => restoreMachineState(sw, { cpu: saveCpuState(sw.cpu), devices: saveMachineState(native).devices })).toThrow(/this machine runs under one/);
    expect(() => restoreMachineState(native, { cpu: saveCpuState(native.cpu), devices: saveMachineState(sw).devices })).toThrow(/this machine runs natively/);
  });
});

describe('record, replay and seek under the software monitors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-sw-replay-'));
  for (const name of ['minikernel', 'interrupts', 'hidden-state', 'ring-compression', 'address-space']) {
    for (const [mode, shadow] of [['sw-013', undefined], ['sw-033', 'split'], ['sw-033', 'shared']] as const) {
      it(`${name} under ${mode}${shadow ? ' ' + shadow : ''} replays identically (with jitter interrupts)`, () => {
        expectReplaysIdentically(dir, name, { mode, shadow, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000, jitterSeed: 3 });
      });
    }
  }

  it('seek(n) under sw-033 gives the state of a fresh run of n instructions, in any order', () => {
    const image = guestImage('minikernel');
    const { run } = recordInMemory(image, { mode: 'sw-033', shadow: 'split', snapshotInterval: 100_000 });
    const tl = new Timeline(run);
    const rng = new Prng(5);
    for (let k = 0; k < 8; k++) {
      const n = rng.below(run.finalIcount);
      tl.seek(n);
      const m = new Machine(image, { mode: 'sw-033', shadow: 'split' });
      m.run(n);
      expect(tl.icount).toBe(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(m));
    }
  });
});
