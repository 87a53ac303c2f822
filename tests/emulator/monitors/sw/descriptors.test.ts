import { describe, expect, it } from 'vitest';
import { shadowDescriptor, shadowOut } from '../../../../emulator/monitors/sw/descriptors';
import { descBase, descLimit, descDpl } from '../../../../emulator/cpu/segments';
import { AR_P } from '../../../../emulator/cpu/constants';

/** A flat 4 GiB descriptor with the given access byte. */
function flat(access: number): [number, number] {
  return [0x0000ffff, 0x00cf0000 | (access << 8)];
}
const KERNEL_CODE = flat(0x9a), KERNEL_DATA = flat(0x92), USER_CODE = flat(0xfa), USER_DATA = flat(0xf2);

function shadow(d: [number, number], ring: number, all: boolean, truncate: boolean, user: boolean): [number, number] {
  shadowDescriptor(d[0], d[1], ring, all, truncate, user);
  return [shadowOut.lo, shadowOut.hi];
}

describe('shadow descriptors', () => {
  it('sw-013: DPL 0 becomes 1, DPL 3 stays, and the accessed bit is preset', () => {
    const [, hi] = shadow(KERNEL_DATA, 1, false, true, false);
    expect(descDpl(hi)).toBe(1);
    expect(hi & 0x100).toBe(0x100);
    expect(descDpl(shadow(USER_DATA, 1, false, true, false)[1])).toBe(3);
  });

  it('sw-033: every DPL becomes 3 (ring compression)', () => {
    expect(descDpl(shadow(KERNEL_CODE, 3, true, false, false)[1])).toBe(3);
    expect(descDpl(shadow(KERNEL_DATA, 3, true, false, false)[1])).toBe(3);
  });

  it('sw-013 cuts a flat segment below the monitor region', () => {
    const [lo, hi] = shadow(KERNEL_DATA, 1, false, true, false);
    expect(descBase(lo, hi)).toBe(0);
    expect(descLimit(lo, hi)).toBe(0xffbfffff);
  });

  it('sw-013 cuts a based segment so that base + limit stays below 0xFFC00000', () => {
    // base 0x00100000, byte-granular limit 0xFFFFF with G=1 (reaches the top)
    const d: [number, number] = [0x0000ffff, 0x00cf9210];
    const [lo, hi] = shadow(d, 1, false, true, false);
    expect(descBase(lo, hi) + descLimit(lo, hi)).toBeLessThan(0xffc00000);
    expect(descBase(lo, hi) + descLimit(lo, hi)).toBeGreaterThan(0xffbff000 - 1);
  });

  it('a segment that starts inside the monitor region is not present', () => {
    const d: [number, number] = [0x0000ffff, 0xff0092c0]; // base 0xFFC00000, limit 0xFFFF bytes
    expect(shadow(d, 1, false, true, false)[1] & AR_P).toBe(0);
  });

  it('sw-033 keeps limits (the monitor region is protected by paging)', () => {
    const [lo, hi] = shadow(KERNEL_DATA, 3, true, false, false);
    expect(descLimit(lo, hi)).toBe(0xffffffff);
  });

  it('the kernel-mode copy hides user code, so that transfers to user code trap', () => {
    expect(shadow(USER_CODE, 1, false, true, false)[1] & AR_P).toBe(0);
    expect(shadow(USER_CODE, 1, false, true, true)[1] & AR_P).toBe(AR_P);
    expect(shadow(USER_DATA, 1, false, true, false)[1] & AR_P).toBe(AR_P);
  });

  it("sw-033's user-mode copy hides the guest kernel's descriptors", () => {
    expect(shadow(KERNEL_DATA, 3, true, false, true)[1] & AR_P).toBe(0);
    expect(shadow(KERNEL_CODE, 3, true, false, true)[1] & AR_P).toBe(0);
    expect(shadow(KERNEL_DATA, 1, false, true, true)[1] & AR_P).toBe(AR_P); // sw-013: DPL 1 already keeps ring 3 out
  });

  it('system descriptors (TSS, LDT, gates) and null descriptors are not copied', () => {
    expect(shadow([0x00680000, 0x00008910], 1, false, true, false)).toEqual([0, 0]); // TSS
    expect(shadow([0, 0], 1, false, true, false)).toEqual([0, 0]);
  });

  it('sw-013 raises the limit of an expand-down segment that reaches the monitor region; sw-033 keeps it', () => {
    const d: [number, number] = [0x00000fff, 0x00c09600]; // expand-down, writable, 32-bit, base 0, G=1: limit 0xFFFFFF
    const small: [number, number] = [0x00000fff, 0x00409600]; // G=0: limit 0xFFF, offsets 0x1000-0xFFFFFFFF
    const [lo, hi] = shadow(small, 1, false, true, false);
    expect(descLimit(lo, hi)).toBe(0xffffffff); // no valid offset left: every access traps
    expect(hi & AR_P).toBe(AR_P); // it still loads
    expect(descLimit(...shadow(d, 1, false, true, false))).toBe(0xffffffff);
    const [lo3, hi3] = shadow(small, 3, true, false, false);
    expect(descLimit(lo3, hi3)).toBe(0xfff);
    // A 16-bit expand-down segment far below the region is left alone.
    const low16: [number, number] = [0x00000fff, 0x00009610]; // base 0x100000, offsets 0x1000-0xFFFF
    expect(descLimit(...shadow(low16, 1, false, true, false))).toBe(0xfff);
  });
});
