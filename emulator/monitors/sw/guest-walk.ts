/**
 * The monitor's walk of the guest's own page tables (virtual CR0/CR3/CR4), in software, with
 * the guest's notion of privilege (its virtual CPL, not the ring it really runs at). It sets
 * accessed and dirty bits in the guest's entries as the hardware would for the access, and
 * reports the pages that hold the guest's page directory and page table (the monitor
 * write-protects them to keep its shadows in step).
 */
import type { Cpu } from '../../cpu/cpu';
import { CR0_PG, CR0_WP, CR4_PSE, PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PFEC_P, PFEC_W, PFEC_U, PFEC_RSVD } from '../../cpu/constants';

export class GuestWalk {
  physPage = 0; // guest-physical page the address maps to
  user = false; // U/S allows user access (both levels)
  writable = false; // R/W allows writes (both levels)
  dirty = false; // the dirty bit is set (after this access)
  pdPage = -1; // page holding the page directory (-1: paging off)
  ptPage = -1; // page holding the page table (-1: none, a 4 MiB page or paging off)

  /**
   * Walks `lin` for a read or a write by a supervisor or user access. Raises #PF (through
   * cpu.pageFault, with the guest's error code and the address in excAddr) when the guest's
   * own tables forbid it. `cr0`, `cr3`, `cr4` are the guest's virtual registers.
   */
  walk(cpu: Cpu, cr0: number, cr3: number, cr4: number, lin: number, write: boolean, user: boolean): void {
    this.pdPage = this.ptPage = -1;
    if ((cr0 & CR0_PG) === 0) {
      this.physPage = lin >>> 12;
      this.user = this.writable = this.dirty = true;
      return;
    }
    const err = (write ? PFEC_W : 0) | (user ? PFEC_U : 0);
    const wp = (cr0 & CR0_WP) !== 0;
    const pdeAddr = ((cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0;
    this.pdPage = pdeAddr >>> 12;
    const pde = cpu.physRead32(pdeAddr);
    if ((pde & PTE_P) === 0) cpu.pageFault(lin, err);
    if ((pde & PTE_PS) !== 0 && (cr4 & CR4_PSE) !== 0) {
      if ((pde & 0x003fe000) !== 0) cpu.pageFault(lin, err | PFEC_P | PFEC_RSVD);
      this.check(cpu, lin, err, write, user, (pde & PTE_U) !== 0, (pde & PTE_W) !== 0, wp);
      const updated = pde | PTE_A | (write ? PTE_D : 0);
      if (updated !== pde) cpu.physWrite32(pdeAddr, updated);
      this.physPage = ((pde & 0xffc00000) >>> 12) | ((lin >>> 12) & 0x3ff);
      this.dirty = (updated & PTE_D) !== 0;
      return;
    }
    const pteAddr = ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
    this.ptPage = pteAddr >>> 12;
    const pte = cpu.physRead32(pteAddr);
    if ((pte & PTE_P) === 0) cpu.pageFault(lin, err);
    this.check(cpu, lin, err, write, user, (pde & pte & PTE_U) !== 0, (pde & pte & PTE_W) !== 0, wp);
    if ((pde & PTE_A) === 0) cpu.physWrite32(pdeAddr, pde | PTE_A);
    const updated = pte | PTE_A | (write ? PTE_D : 0);
    if (updated !== pte) cpu.physWrite32(pteAddr, updated);
    this.physPage = pte >>> 12;
    this.dirty = (updated & PTE_D) !== 0;
  }

  private check(cpu: Cpu, lin: number, err: number, write: boolean, user: boolean, u: boolean, w: boolean, wp: boolean): void {
    if (user && !u) cpu.pageFault(lin, err | PFEC_P);
    if (write && !w && (user || wp)) cpu.pageFault(lin, err | PFEC_P);
    this.user = u;
    this.writable = w;
  }
}
