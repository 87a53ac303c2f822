/**
 * 32-bit paging (SDM vol. 3 section 4.3): two levels, 4 KiB pages and, with CR4.PSE, 4 MiB
 * pages; U/S and R/W combined across both levels, CR0.WP for supervisor writes, accessed and
 * dirty bits, global pages with CR4.PGE. PSE-36 is not reported in CPUID, so bits 21:13 of a
 * 4 MiB PDE are reserved and raise #PF with RSVD set.
 */
import type { Cpu } from './cpu';
import { TLB_VALID, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_DIRTY, TLB_GLOBAL } from './cpu';
import { PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PTE_G, PFEC_P, PFEC_W, PFEC_U, PFEC_RSVD, CR4_PSE, CR4_PGE, CR0_WP } from './constants';

/** Walks the page tables for `lin`; returns a TLB entry or raises #PF. Updates A/D bits. */
export function pageWalk(cpu: Cpu, lin: number, write: boolean, user: boolean): number {
  const err = (write ? PFEC_W : 0) | (user ? PFEC_U : 0);
  const pdeAddr = ((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0;
  const pde = cpu.physRead32(pdeAddr);
  if ((pde & PTE_P) === 0) return cpu.pageFault(lin, err);
  const wp = (cpu.cr0 & CR0_WP) !== 0;
  if ((pde & PTE_PS) !== 0 && (cpu.cr4 & CR4_PSE) !== 0) {
    if ((pde & 0x003fe000) !== 0) return cpu.pageFault(lin, err | PFEC_P | PFEC_RSVD);
    const u = (pde & PTE_U) !== 0;
    const w = (pde & PTE_W) !== 0;
    checkAccess(cpu, lin, err, write, user, u, w, wp);
    const updated = pde | PTE_A | (write ? PTE_D : 0);
    if (updated !== pde) cpu.physWrite32(pdeAddr, updated);
    const phys = (pde & 0xffc00000) | (lin & 0x003ff000);
    return phys | entryFlags(u, w, wp, (updated & PTE_D) !== 0, (pde & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0);
  }
  const pteAddr = ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
  const pte = cpu.physRead32(pteAddr);
  if ((pte & PTE_P) === 0) return cpu.pageFault(lin, err);
  const u = (pde & pte & PTE_U) !== 0;
  const w = (pde & pte & PTE_W) !== 0;
  checkAccess(cpu, lin, err, write, user, u, w, wp);
  if ((pde & PTE_A) === 0) cpu.physWrite32(pdeAddr, pde | PTE_A);
  const updated = pte | PTE_A | (write ? PTE_D : 0);
  if (updated !== pte) cpu.physWrite32(pteAddr, updated);
  return (pte & ~0xfff) | entryFlags(u, w, wp, (updated & PTE_D) !== 0, (pte & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0);
}

function checkAccess(cpu: Cpu, lin: number, err: number, write: boolean, user: boolean, u: boolean, w: boolean, wp: boolean): void {
  if (user && !u) cpu.pageFault(lin, err | PFEC_P);
  if (write && !w && (user || wp)) cpu.pageFault(lin, err | PFEC_P);
}

function entryFlags(u: boolean, w: boolean, wp: boolean, dirty: boolean, global: boolean): number {
  return (
    TLB_VALID |
    (w || !wp ? TLB_SUP_WRITE : 0) |
    (u ? TLB_USER_READ : 0) |
    (u && w ? TLB_USER_WRITE : 0) |
    (dirty ? TLB_DIRTY : 0) |
    (global ? TLB_GLOBAL : 0)
  );
}

/**
 * The physical address `lin` maps to, read from the page tables without touching them (no
 * accessed/dirty updates, no TLB fill, no fault): -1 when not mapped. For debuggers and
 * recorders, which must not change guest-visible state.
 */
export function probeTranslate(cpu: Cpu, lin: number): number {
  if ((cpu.cr0 & 0x80000000) === 0) return lin >>> 0;
  const pde = cpu.physRead32(((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0);
  if ((pde & PTE_P) === 0) return -1;
  if ((pde & PTE_PS) !== 0 && (cpu.cr4 & CR4_PSE) !== 0) return ((pde & 0xffc00000) | (lin & 0x003fffff)) >>> 0;
  const pte = cpu.physRead32(((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0);
  if ((pte & PTE_P) === 0) return -1;
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}
