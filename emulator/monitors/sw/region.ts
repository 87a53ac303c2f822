/**
 * The software monitor's writes to its own region (layout.ts): its page table, IDT, TSS, entry
 * stubs and shadow descriptor tables.
 */
import { AR_P } from '../../cpu/constants';
import type { SoftwareMonitor } from './monitor';
import { MON_LINEAR } from './layout';

/** The linear address of offset `off` of the monitor region. */
export function lin(off: number): number {
  return (MON_LINEAR + off) >>> 0;
}

/** Writes a dword of the monitor region (unchanged values are not rewritten: no spurious stale-descriptor events). */
export function monW32(m: SoftwareMonitor, off: number, v: number): void {
  const cpu = m.cpu;
  const phys = m.monPhys + off;
  if (cpu.ram32[phys >>> 2] === (v | 0)) return;
  const limit = cpu.physLimit;
  cpu.physLimit = cpu.ramSize; // the monitor reaches its own memory even with the guest's view installed
  cpu.physWrite32(phys, v);
  cpu.physLimit = limit;
}

/** Writes a descriptor (base, 20-bit limit, rights in the high-dword layout) into a monitor GDT slot. */
export function writeDescriptor(m: SoftwareMonitor, table: number, sel: number, base: number, limit: number, rights: number): void {
  let lo = 0, hi = 0;
  if ((rights & AR_P) !== 0) {
    lo = ((base & 0xffff) << 16) | (limit & 0xffff);
    hi = (base & 0xff000000) | ((base >>> 16) & 0xff) | (limit & 0xf0000) | rights;
  }
  monW32(m, table + sel, lo);
  monW32(m, table + sel + 4, hi);
}
