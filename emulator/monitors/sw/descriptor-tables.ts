/**
 * The software monitor's shadow descriptor tables: the guest's GDT and LDT, copied (as
 * descriptors.ts rewrites them for the ring the guest really runs at) into a kernel-mode and a
 * user-mode table of the monitor region, with the guest pages that hold them write-protected
 * in the shadow page tables; and the virtual CPU's segment caches, read from the copies.
 */
import { CS, SS } from '../../cpu/constants';
import { descBase, descLimit, descRights } from '../../cpu/segments';
import { probeTranslate } from '../../cpu/paging';
import type { SoftwareMonitor } from './monitor';
import { shadowDescriptor, shadowOut } from './descriptors';
import { lin, monW32, writeDescriptor } from './region';
import { OFF_GDT_KERNEL, OFF_GDT_USER, OFF_LDT_KERNEL, OFF_LDT_USER, MON_LDT, GUEST_GDT_ENTRIES } from './layout';

/** Why a guest page is write-protected in the shadows (SoftwareMonitor.tracked). */
export const DT_PAGE = 1, PT_PAGE = 2;

/**
 * Copies the guest's GDT and LDT (virtual GDTR/LDTR, read through the guest's page tables
 * without touching them) into both shadow copies, and write-protects the pages they occupy.
 * Runs with the virtual CPU installed.
 */
export function rebuildDescriptorTables(m: SoftwareMonitor): void {
  const cpu = m.cpu;
  const n = Math.min((cpu.gdtrLimit + 1) >>> 3, GUEST_GDT_ENTRIES);
  copyTable(m, cpu.gdtrBase, n, m.gdtEntries, m.gdtCopy, OFF_GDT_KERNEL, OFF_GDT_USER);
  m.gdtEntries = n;
  const ldtN = (cpu.ldtrSel & 0xfffc) === 0 ? 0 : Math.min((cpu.ldtrLimit + 1) >>> 3, 8192);
  copyTable(m, cpu.ldtrBase, ldtN, m.ldtEntries, m.ldtCopy, OFF_LDT_KERNEL, OFF_LDT_USER);
  m.ldtEntries = ldtN;
  writeDescriptor(m, OFF_GDT_KERNEL, MON_LDT, lin(OFF_LDT_KERNEL), cpu.ldtrLimit, ldtN > 0 ? 0x8200 : 0);
  writeDescriptor(m, OFF_GDT_USER, MON_LDT, lin(OFF_LDT_USER), cpu.ldtrLimit, ldtN > 0 ? 0x8200 : 0);
  // Write-protect the pages under both tables (and only those).
  for (const p of m.dtPages) m.tracked[p] &= ~DT_PAGE;
  const pages: number[] = [];
  let fresh = false;
  const cover = (base: number, bytes: number) => {
    for (let off = 0; off < bytes; off += 4096) {
      const last = Math.min(off + 4095, bytes - 1);
      for (const o of off === 0 ? [0, last] : [off, last]) {
        const phys = probeTranslate(cpu, (base + o) | 0);
        const page = phys >>> 12;
        if (phys < 0 || page >= m.guestPages || (m.tracked[page] & DT_PAGE) !== 0) continue;
        if (!m.dtPages.includes(page)) fresh = true;
        m.tracked[page] |= DT_PAGE;
        pages.push(page);
      }
    }
  };
  cover(cpu.gdtrBase, n * 8);
  if (ldtN > 0) cover(cpu.ldtrBase, ldtN * 8);
  m.dtPages = pages;
  if (fresh) m.shadow.flushAll(); // a newly protected page may be mapped writable
}

/**
 * Copies `entries` guest descriptors at linear `base` into `copy` and into the kernel-mode and
 * user-mode shadow tables; entries up to `before` (the previous size) are cleared.
 */
function copyTable(m: SoftwareMonitor, base: number, entries: number, before: number, copy: Int32Array, kernelTable: number, userTable: number): void {
  for (let k = 0; k < Math.max(entries, before); k++) {
    const lo = k < entries ? readGuest32(m, base + k * 8) : 0;
    const hi = k < entries ? readGuest32(m, base + k * 8 + 4) : 0;
    copy[2 * k] = lo;
    copy[2 * k + 1] = hi;
    writeShadow(m, kernelTable, userTable, k, lo, hi);
  }
}

/** Whether a write at `lin` (at most 16 bytes) may have changed the guest's GDT or LDT. */
export function touchesDescriptorTables(m: SoftwareMonitor, lin: number): boolean {
  const cpu = m.cpu;
  return overlaps(lin, cpu.gdtrBase, cpu.gdtrLimit) || ((cpu.ldtrSel & 0xfffc) !== 0 && overlaps(lin, cpu.ldtrBase, cpu.ldtrLimit));
}

function writeShadow(m: SoftwareMonitor, kernelTable: number, userTable: number, index: number, lo: number, hi: number): void {
  const truncate = !m.compressAll;
  shadowDescriptor(lo, hi, m.kernelRing, m.compressAll, truncate, false);
  monW32(m, kernelTable + index * 8, shadowOut.lo);
  monW32(m, kernelTable + index * 8 + 4, shadowOut.hi);
  shadowDescriptor(lo, hi, m.kernelRing, m.compressAll, truncate, true);
  monW32(m, userTable + index * 8, shadowOut.lo);
  monW32(m, userTable + index * 8 + 4, shadowOut.hi);
}

/** A dword of guest linear memory, through the guest's page tables, without side effects (0 if unmapped). */
function readGuest32(m: SoftwareMonitor, lin: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const phys = probeTranslate(m.cpu, (lin + k) | 0);
    v |= (phys < 0 ? 0 : m.cpu.physRead8(phys)) << (8 * k);
  }
  return v;
}

/** Loads a virtual segment cache from the guest's own descriptor for `sel`. */
export function loadGuestCache(m: SoftwareMonitor, seg: number, sel: number): void {
  const f = m.v;
  f.segSel[seg] = sel;
  const index = sel >>> 3;
  const inLdt = (sel & 4) !== 0;
  const table = inLdt ? m.ldtCopy : m.gdtCopy;
  const entries = inLdt ? m.ldtEntries : m.gdtEntries;
  if (!inLdt && index >= GUEST_GDT_ENTRIES && (seg === CS || seg === SS)) {
    // A selector of the monitor's slots in CS or SS: only SYSENTER or SYSEXIT on the virtual
    // CPU loads one (they do not read the GDT), and the cache they gave stays what it is.
    f.segSel[seg] = sel;
    return;
  }
  if ((sel & 0xfffc) === 0 || index >= entries) {
    f.segBase[seg] = 0;
    f.segLimit[seg] = 0;
    f.segAR[seg] = 0;
    return;
  }
  const lo = table[2 * index], hi = table[2 * index + 1];
  f.segBase[seg] = descBase(lo, hi);
  f.segLimit[seg] = descLimit(lo, hi);
  f.segAR[seg] = descRights(hi) | 0x100;
}

/** Whether a write of up to 16 bytes at `lin` overlaps the table [base, base + limit]. */
function overlaps(lin: number, base: number, limit: number): boolean {
  return ((lin - base) >>> 0) <= limit || ((base - lin) >>> 0) < 16;
}
