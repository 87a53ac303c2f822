import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Machine, DEFAULT_RAM_SIZE } from '../../../../emulator/machine';
import { saveCpuState } from '../../../../emulator/machine-state';
import { Timeline } from '../../../../recorder/timeline';
import { guestImage, testGuestImage } from '../../../helpers/guests';
import { recordInMemory } from '../../../helpers/record-memory';
import { copyThroughState } from '../../../helpers/copy-machine';
import { expectReplaysIdentically } from '../../../helpers/record-verify';
import { Prng } from '../../../helpers/prng';
import { describeState } from '../../../../emulator/describe-state';

function fingerprint(m: Machine): string {
  return createHash('sha256').update(saveCpuState(m.cpu)).update(m.cpu.ram).update(m.monitor!.saveState()).digest('hex');
}

describe('the VMCS is machine state', () => {
  it('saved mid-run (in root or non-root operation) and restored into a fresh machine, the run goes on identically', () => {
    const image = guestImage('minikernel');
    for (const vtxGen of [2, 1] as const) {
      const out1: number[] = [];
      const ref = new Machine(image, { mode: 'vtx', vtxGen, onUartByte: (b) => out1.push(b) });
      const end = ref.run();
      for (const at of [700_003, 123_457]) {
        const out2: number[] = [];
        const a = new Machine(image, { mode: 'vtx', vtxGen, onUartByte: (b) => out2.push(b) });
        a.run(at);
        const b = copyThroughState(a, () => new Machine(image, { mode: 'vtx', vtxGen, onUartByte: (x) => out2.push(x) }));
        const r = b.run();
        expect(r.icount).toBe(end.icount);
        expect(Buffer.from(out2).toString()).toBe(Buffer.from(out1).toString());
        expect(b.monitor!.exits).toBe(ref.monitor!.exits);
      }
    }
  });

  it('the exits of tests/vtx-exits (NMIs held for the NMI window, a held timer vector, shadow page tables) survive a save and restore at any point', () => {
    const image = testGuestImage('vtx-exits');
    for (const vtxGen of [2, 1] as const) {
      const ref = new Machine(image, { mode: 'vtx', vtxGen });
      const end = ref.run();
      const points = [130_001, 230_001, 250_003, 360_007, end.icount - 5];
      for (let at = 760; at < 800; at += 3) points.push(at);
      for (const at of points) {
        const a = new Machine(image, { mode: 'vtx', vtxGen });
        a.run(at);
        const b = copyThroughState(a, () => new Machine(image, { mode: 'vtx', vtxGen }));
        const r = b.run();
        expect([r.reason, r.icount], `gen ${vtxGen} at ${at}`).toEqual([end.reason, end.icount]);
        expect(b.monitor!.interventions(), `gen ${vtxGen} at ${at}`).toEqual(ref.monitor!.interventions());
        expect(fingerprint(b)).toBe(fingerprint(ref));
      }
    }
  });

  it('`at` shows the VMCS guest-state area and the last exit', () => {
    const m = new Machine(guestImage('minikernel'), { mode: 'vtx' });
    m.run(500_000);
    const text = describeState(m, 0).join('\n');
    expect(text).toMatch(/vmx non-root operation \(the guest runs\), generation 2/);
    expect(text).toMatch(/last exit: reason \d+ \(/);
    expect(text).toMatch(/guest-state area: rip=/);
    expect(text).toMatch(/cs sel=0008 base=00000000 limit=ffffffff ar=0c09b/);
  });
});

describe('record, replay and seek under vtx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-vtx-replay-'));
  for (const name of ['minikernel', 'interrupts', 'tpr', 'hidden-state']) {
    for (const vtxGen of [2, 1]) {
      it(`${name} under vtx generation ${vtxGen} replays identically (with jitter interrupts)`, () => {
        expectReplaysIdentically(dir, name, { mode: 'vtx', vtxGen: vtxGen === 2 ? undefined : vtxGen, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000, jitterSeed: 3 });
      });
    }
  }

  it('seek(n) under vtx gives the state of a fresh run of n instructions, in any order', () => {
    const image = guestImage('minikernel');
    const { run } = recordInMemory(image, { mode: 'vtx', snapshotInterval: 100_000 });
    const tl = new Timeline(run);
    const rng = new Prng(7);
    for (let k = 0; k < 8; k++) {
      const n = rng.below(run.finalIcount);
      tl.seek(n);
      const m = new Machine(image, { mode: 'vtx' });
      m.run(n);
      expect(tl.icount).toBe(n);
      expect(fingerprint(tl.machine)).toBe(fingerprint(m));
    }
  });
});
