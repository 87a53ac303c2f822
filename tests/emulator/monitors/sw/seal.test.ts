// The software monitors stay sealed against expand-down segments (GDT and LDT, 16- and 32-bit,
// data and stack) and against a guest IA32_SYSENTER_CS naming the monitor's own selector: the
// guest sees what it sees natively (its own memory behind 0xFFC00000, the same faults), and the
// monitor's IDT, TSS, entry points and GDT slots are the same bytes after the attempts.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { runScenario, COLUMNS } from '../../../../scenarios/scenarios';
import { Machine } from '../../../../emulator/machine';
import { MON_SIZE, OFF_IDT, OFF_TSS, OFF_STUBS, OFF_SYSENTER, STUB_SIZE, OFF_GDT_KERNEL, OFF_GDT_USER, MON_LDT } from '../../../../emulator/monitors/sw/layout';
import { expandDownLimit } from '../../../../emulator/monitors/sw/descriptors';
import { testGuestImage } from '../../../helpers/guests';

const image = testGuestImage('seal');
const GUEST_GDT_BYTES = 10 * 8; // the guest's GDT (lib/gdt.inc): entries above it stay the monitor's
const MAGICS = [0x5ea10001, 0x5ea10002, 0x5ea10003, 0x5ea10004, 0x5ea10005, 0x22220000, 0x33330000, 0x44440000];

/**
 * A digest of the monitor's own structures: IDT, TSS, entry points, and the GDT slots the guest
 * has no descriptor for (but MON_LDT, which describes the shadow of the LDT the guest loads).
 */
function monitorDigest(m: Machine): string {
  const ram = m.cpu.ram;
  const base = m.cpu.ramSize - MON_SIZE;
  const h = createHash('sha256');
  for (const [from, to] of [
    [OFF_IDT, OFF_IDT + 256 * 8],
    [OFF_TSS, OFF_TSS + 104],
    [OFF_STUBS, OFF_SYSENTER + STUB_SIZE],
    [OFF_GDT_KERNEL + GUEST_GDT_BYTES, OFF_GDT_KERNEL + MON_LDT],
    [OFF_GDT_KERNEL + MON_LDT + 8, OFF_GDT_KERNEL + 0x10000],
    [OFF_GDT_USER + GUEST_GDT_BYTES, OFF_GDT_USER + MON_LDT],
    [OFF_GDT_USER + MON_LDT + 8, OFF_GDT_USER + 0x10000],
  ]) h.update(ram.subarray(base + from, base + to));
  return h.digest('hex');
}

/** The offsets in the monitor region where one of the guest's magic values sits. */
function magicsInMonitor(m: Machine): number[] {
  const base = m.cpu.ramSize - MON_SIZE;
  const found: number[] = [];
  for (let off = 0; off < MON_SIZE; off += 4) if (MAGICS.includes(m.cpu.ram32[(base + off) >>> 2] >>> 0)) found.push(off);
  return found;
}

const native = runScenario(image, COLUMNS[0], 10_000_000);
const lines = (out: string) => new Map(out.split('\n').map((l) => [l.split(' ')[0], l] as const));
const ATTEMPTS = [
  ['1', '32-bit expand-down data segment in the GDT: reads, writes, the fault below its limit'],
  ['2', '16-bit expand-down data segment based below the region: reads, writes, the fault above 0xFFFF'],
  ['3', 'expand-down data segment in an LDT'],
  ['4', 'expand-down stack segment: PUSH and POP at the monitor stack'],
  ['5', 'call gate written into the monitor GDT, then called'],
  ['6', 'IA32_SYSENTER_CS = the monitor code selector, SYSENTER, then MOV DS, CS'],
] as const;

describe('natively, the seal guest', () => {
  it('reads back what it wrote through its own page tables and faults where the SDM says', () => {
    expect(native.exitCode).toBe(1);
    expect(native.output).toContain('1 read idt 0x00000000 after write 0x5ea10001 stack 0x5ea10002 flat view 0x5ea10002 (fault 13 error 0x00000000)\n');
    expect(native.output).toContain('4 popped 0x44440000 pushed 0x5ea10005\n');
    expect(native.output).toContain('5 call gate  (fault 13 error 0x00000050)');
    expect(native.output).toContain('6 sysenter  (fault 13 error 0x0000ffc0)');
  });
});

for (const col of COLUMNS.slice(1)) {
  describe(`${col.label}: sealed`, () => {
    const bytes: number[] = [];
    const m = new Machine(image, { mode: col.mode, shadow: col.shadow, onUartByte: (b) => bytes.push(b) });
    const before = monitorDigest(m);
    const r = m.run(10_000_000);
    const out = Buffer.from(bytes).toString('latin1');
    for (const [n, what] of ATTEMPTS) {
      it(`${n}. ${what}: as natively`, () => {
        expect(lines(out).get(n)).toBe(lines(native.output).get(n));
      });
    }
    it('the run ends as natively (no shutdown), with the same output', () => {
      expect(r.reason).toBe('exit');
      expect(out).toBe(native.output);
    });
    it("the monitor's IDT, TSS, entry points and GDT slots are unchanged, and none of the guest's values reached its region", () => {
      expect(monitorDigest(m)).toBe(before);
      expect(magicsInMonitor(m)).toEqual([]);
    });
  });
}

describe('expandDownLimit', () => {
  it('raises the limit of a 32-bit expand-down segment at base 0 to its top: no offset left', () => {
    expect(expandDownLimit(0, 0xfff, 0xffffffff)).toBe(0xffffffff);
  });
  it('raises it past the region when the region lies inside the range', () => {
    // base 0x00400000: the region is at offsets 0xFF800000-0xFFBFFFFF
    expect(expandDownLimit(0x00400000, 0xfff, 0xffffffff)).toBe(0xffbfffff);
  });
  it('a 16-bit segment based just below the region: its top is in the region', () => {
    expect(expandDownLimit(0xffbff000, 0xfff, 0xffff)).toBe(0xffff);
  });
  it('leaves a segment that does not reach the region alone', () => {
    expect(expandDownLimit(0x00100000, 0xfff, 0xffff)).toBe(-1);
    expect(expandDownLimit(0, 0xffbfffff, 0xffffffff)).toBe(0xffffffff); // offsets 0xFFC00000.. are the region
  });
});

describe('the seal guest under time travel', () => {
  for (const mode of ['sw-013', 'sw-033'] as const) {
    it(`${mode}: seek(n) from a snapshot equals a replay from the start, through the interpreted SYSENTER and the trapped expand-down accesses`, async () => {
      const { Timeline } = await import('../../../../recorder/timeline');
      const { saveCpuState } = await import('../../../../emulator/machine-state');
      const { recordInMemory } = await import('../../../helpers/record-memory');
      const fingerprint = (m: Machine) => createHash('sha256').update(saveCpuState(m.cpu)).update(m.cpu.ram).update(m.monitor!.saveState()).digest('hex');
      const { run, result } = recordInMemory(image, { mode, snapshotInterval: 1000 });
      expect(result.reason).toBe('exit');
      const tl = new Timeline(run);
      const ref = new Timeline({ ...run, snapshots: run.snapshots.slice(0, 1) });
      for (let n = result.icount - 3001; n < result.icount; n += 250) {
        tl.seek(n);
        ref.seek(n);
        expect(fingerprint(tl.machine), `icount ${n}`).toBe(fingerprint(ref.machine));
      }
    });
  }
});
