import { describe, expect, it } from 'vitest';
import { miniSystem, CODE, TO_RING3 } from '../../helpers/mini-system';
import { CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, PTE_A, PTE_D } from '../../../emulator/cpu/constants';

const PD = 0x20000, PT0 = 0x21000, PT1 = 0x22000;
const P = 1, W = 2, U = 4, PS = 0x80, G = 0x100;

/** Identity-maps 0-4 MiB (supervisor, writable) and maps 0x400000+ through PT1; paging on. */
function pagedSystem(cr4 = 0) {
  const sys = miniSystem();
  const ram32 = sys.cpu.ram32;
  ram32[PD >> 2] = PT0 | P | W | U;
  ram32[(PD >> 2) + 1] = PT1 | P | W | U;
  for (let k = 0; k < 1024; k++) ram32[(PT0 >> 2) + k] = (k << 12) | P | W;
  sys.cpu.cr3 = PD;
  sys.cpu.cr4 = cr4;
  sys.cpu.cr0 |= CR0_PG;
  sys.cpu.flushTlb(true);
  return sys;
}
function stackTop(sys: ReturnType<typeof miniSystem>, n: number): number[] {
  return Array.from({ length: n }, (_, k) => sys.cpu.readSys32(sys.cpu.regs[4] + 4 * k) >>> 0);
}

describe('paging', () => {
  it('a not-present page raises #PF with CR2 and error code 0 (read) / 2 (write)', () => {
    const sys = pagedSystem();
    sys.load([0xa1, 0x00, 0x00, 0x40, 0x00, 0xf4]); // mov eax,[0x400000]
    sys.run();
    expect(sys.lastVector()).toBe(14);
    expect(sys.cpu.cr2 >>> 0).toBe(0x400000);
    expect(stackTop(sys, 2)).toEqual([0, CODE]);
    const sys2 = pagedSystem();
    sys2.load([0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4]); // mov dword [0x400000],5
    sys2.run();
    expect(stackTop(sys2, 1)).toEqual([2]);
  });

  it('sets the accessed bit on reads and the dirty bit on writes', () => {
    const sys = pagedSystem();
    sys.cpu.ram32[PT1 >> 2] = 0x300000 | P | W;
    sys.load([0xa1, 0x00, 0x00, 0x40, 0x00, 0xf4]);
    sys.run();
    expect(sys.cpu.ram32[PT1 >> 2] & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(sys.cpu.ram32[PD >> 2] & PTE_A).toBe(PTE_A);
    const sys2 = pagedSystem();
    sys2.cpu.ram32[PT1 >> 2] = 0x300000 | P | W;
    sys2.load([0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4]);
    sys2.run();
    expect(sys2.cpu.ram32[PT1 >> 2] & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(sys2.cpu.ram32[0x300000 >> 2]).toBe(5);
  });

  it('supervisor writes to a read-only page succeed without CR0.WP and fault with it', () => {
    const sys = pagedSystem();
    sys.cpu.ram32[PT1 >> 2] = 0x300000 | P;
    sys.load([0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4]);
    sys.run();
    expect(sys.lastVector()).toBe(-1);
    expect(sys.cpu.ram32[0x300000 >> 2]).toBe(5);
    const sys2 = pagedSystem();
    sys2.cpu.cr0 |= CR0_WP;
    sys2.cpu.ram32[PT1 >> 2] = 0x300000 | P;
    sys2.load([0xc7, 0x05, 0x00, 0x00, 0x40, 0x00, 0x05, 0x00, 0x00, 0x00, 0xf4]);
    sys2.run();
    expect(sys2.lastVector()).toBe(14);
    expect(stackTop(sys2, 1)).toEqual([3]); // present, write
  });

  it('a 4 MiB page maps with CR4.PSE; reserved bits 21:13 raise #PF with RSVD', () => {
    const sys = pagedSystem(CR4_PSE);
    sys.cpu.ram32[(PD >> 2) + 1] = 0x800000 | P | W | PS;
    sys.cpu.ram32[(0x800000 + 0x1234) >> 2] = 0x5a5a;
    sys.load([0xa1, 0x34, 0x12, 0x40, 0x00, 0xf4]); // mov eax,[0x401234]
    sys.run();
    expect(sys.cpu.regs[0]).toBe(0x5a5a);
    const sys2 = pagedSystem(CR4_PSE);
    sys2.cpu.ram32[(PD >> 2) + 1] = 0x800000 | 0x2000 | P | W | PS;
    sys2.load([0xa1, 0x34, 0x12, 0x40, 0x00, 0xf4]);
    sys2.run();
    expect(sys2.lastVector()).toBe(14);
    expect(stackTop(sys2, 1)).toEqual([9]); // present + reserved
  });

  it('the TLB keeps a stale translation until INVLPG', () => {
    const sys = pagedSystem();
    sys.cpu.ram32[PT1 >> 2] = 0x300000 | P | W;
    sys.cpu.ram32[0x300000 >> 2] = 111;
    sys.cpu.ram32[0x600000 >> 2] = 222;
    // mov eax,[0x400000]; mov dword [PT1], 0x600003; mov ebx,[0x400000]; invlpg [0x400000]; mov ecx,[0x400000]; hlt
    sys.load([0xa1, 0x00, 0x00, 0x40, 0x00, 0xc7, 0x05, 0x00, 0x20, 0x02, 0x00, 0x03, 0x00, 0x60, 0x00, 0x8b, 0x1d, 0x00, 0x00, 0x40, 0x00,
      0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, 0x8b, 0x0d, 0x00, 0x00, 0x40, 0x00, 0xf4]);
    sys.run();
    expect([sys.cpu.regs[0], sys.cpu.regs[3], sys.cpu.regs[1]]).toEqual([111, 111, 222]);
  });

  it('a CR3 load flushes ordinary entries but keeps global ones (CR4.PGE)', () => {
    const sys = pagedSystem(CR4_PGE);
    sys.cpu.ram32[PT1 >> 2] = 0x300000 | P | W | G;
    sys.cpu.ram32[(PT1 >> 2) + 1] = 0x301000 | P | W;
    sys.cpu.readL32(0x400000);
    sys.cpu.readL32(0x401000);
    sys.cpu.ram32[PT1 >> 2] = 0;
    sys.cpu.ram32[(PT1 >> 2) + 1] = 0;
    sys.cpu.flushTlb(false); // what MOV CR3 does
    expect(() => sys.cpu.readL32(0x400000)).not.toThrow();
    expect(() => sys.cpu.readL32(0x401000)).toThrow();
  });

  it('ring 3 cannot read a supervisor page (#PF error code 5)', () => {
    const sys = pagedSystem();
    // make the low 4 MiB user-accessible except the page at 0x400000 (supervisor)
    for (let k = 0; k < 1024; k++) sys.cpu.ram32[(PT0 >> 2) + k] |= U;
    sys.cpu.ram32[PT1 >> 2] = 0x300000 | P | W;
    sys.load(TO_RING3);
    sys.load([0x36, 0xa1, 0x00, 0x00, 0x40, 0x00], CODE + 0x100); // mov eax, ss:[0x400000] (DS is null at ring 3)
    sys.run();
    expect(sys.lastVector()).toBe(14);
    expect(stackTop(sys, 2)).toEqual([5, CODE + 0x100]);
    expect(sys.cpu.cr2 >>> 0).toBe(0x400000);
  });
});
