import { describe, expect, it } from 'vitest';
import { ShadowPaging } from '../../../../emulator/monitors/sw/shadow-paging';
import { OFF_PT, POOL_PAGES } from '../../../../emulator/monitors/sw/layout';
import { PTE_P, PTE_W, PTE_U } from '../../../../emulator/cpu/constants';
import { bareCpu } from '../../../helpers/bare-cpu';

const MON = 0x800000; // where the monitor region's memory starts in this test

function entry(cpu: ReturnType<typeof bareCpu>, pd: number, lin: number): number {
  const pde = cpu.physRead32(pd + (lin >>> 22) * 4);
  if ((pde & PTE_P) === 0) return 0;
  return cpu.physRead32((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4);
}

describe('shadow page tables', () => {
  it('one directory per key, each mapping the monitor region through PDE 1023 (supervisor only)', () => {
    const cpu = bareCpu(16 * 1024 * 1024);
    const sp = new ShadowPaging(cpu, MON);
    const a = sp.root(0x1000), b = sp.root(0x2000);
    expect(a).not.toBe(b);
    expect(sp.root(0x1000)).toBe(a);
    expect(cpu.physRead32(a + 1023 * 4)).toBe((MON + OFF_PT) | PTE_P | PTE_W);
  });

  it('maps pages with the permissions given, and INVLPG removes them from every shadow', () => {
    const cpu = bareCpu(16 * 1024 * 1024);
    const sp = new ShadowPaging(cpu, MON);
    sp.map(1, 0x00401000, 0x123, true, false);
    sp.map(3, 0x00401000, 0x123, false, true);
    expect(entry(cpu, sp.root(1), 0x00401000)).toBe(0x123000 | PTE_P | PTE_U);
    expect(entry(cpu, sp.root(3), 0x00401000)).toBe(0x123000 | PTE_P | PTE_W);
    sp.invalidate(0x00401000);
    expect(entry(cpu, sp.root(1), 0x00401000)).toBe(0);
    expect(entry(cpu, sp.root(3), 0x00401000)).toBe(0);
  });

  it('a full pool drops every shadow and starts over (the mapping asked for is still made)', () => {
    const cpu = bareCpu(16 * 1024 * 1024);
    const sp = new ShadowPaging(cpu, MON);
    for (let k = 0; k < POOL_PAGES; k++) sp.map(1, k << 22, 0x100, true, true); // a page table each (POOL_PAGES < 1023)
    expect(sp.flushes).toBeGreaterThan(0);
    expect(sp.poolUsed).toBeLessThanOrEqual(POOL_PAGES);
    sp.map(7, 0x1000, 0x42, true, true);
    expect(entry(cpu, sp.root(7), 0x1000)).toBe(0x42000 | PTE_P | PTE_U | PTE_W);
  });
});
