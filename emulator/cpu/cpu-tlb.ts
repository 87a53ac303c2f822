/**
 * The privilege level and the TLB: the per-CPL fast-path masks, fills and flushes, translation
 * on a miss (paging, then EPT), and the page flags that send accesses down the slow paths
 * (decoded code, watched descriptors, read watchpoints). Methods of Cpu (installed by cpu.ts).
 */
import type { Cpu } from './cpu';
import {
  TLB_VALID, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_DIRTY, TLB_MMIO, TLB_CODE, TLB_GLOBAL,
  TLB_WRITTEN, TLB_READ_WATCH, TLB_FILLED_MAX, SUP_READ_MASK, USER_READ_MASK, SUP_WRITE_MASK, USER_WRITE_MASK,
} from './cpu';
import { CR0_PG, PF_VECTOR, AC, CR4_SMEP, CR4_SMAP, PFEC_P, PFEC_W, PFEC_ID, EPOCH_STEP } from './constants';
import { FAULT } from './fault';
import { pageWalk } from './paging';

export const tlbMethods = {
  setCpl(this: Cpu, cpl: number): void {
    this.cpl = cpl;
    this.epoch = this.epoch - (this.epoch % EPOCH_STEP) + cpl;
    if (cpl === 3) {
      this.rdMask = USER_READ_MASK;
      this.rdWant = TLB_VALID | TLB_USER_READ;
      this.wrMask = USER_WRITE_MASK;
      this.wrWant = TLB_VALID | TLB_USER_WRITE | TLB_DIRTY | TLB_WRITTEN;
    } else {
      // With CR4.SMAP, supervisor accesses to user pages take the slow path, which checks EFLAGS.AC.
      const smap = (this.cr4 & CR4_SMAP) !== 0 ? TLB_USER_READ : 0;
      this.rdMask = SUP_READ_MASK | smap;
      this.rdWant = TLB_VALID;
      this.wrMask = SUP_WRITE_MASK | smap;
      this.wrWant = TLB_VALID | TLB_SUP_WRITE | TLB_DIRTY | TLB_WRITTEN;
    }
    // The executor looks at the CPL between blocks only to enter a software VMM that owns ring
    // 0; block links carry the CPL (the epoch's low bits), and the fast paths read these masks.
    if (this.vmm !== null) this.brk = true;
  },

  /**
   * Drops every cached block link (a TLB flush, a CS reload, code or a task changed): the
   * epoch advances by EPOCH_STEP and keeps the CPL in its low bits.
   */
  invalidateLinks(this: Cpu): void {
    this.epoch += EPOCH_STEP;
  },

  /** Records a TLB fill so that flushes touch only filled entries. */
  tlbSet(this: Cpu, page: number, entry: number): void {
    if (this.tlb[page] === 0) {
      if (this.tlbFilledCount < TLB_FILLED_MAX) this.tlbFilled[this.tlbFilledCount++] = page;
      else this.tlbOverflow = true;
    }
    this.tlb[page] = entry;
  },

  /** The linear pages that have a TLB entry, without scanning the whole TLB when possible. */
  tlbPages(this: Cpu): number[] {
    const out: number[] = [];
    if (this.tlbOverflow) {
      for (let p = 0; p < this.tlb.length; p++) if (this.tlb[p] !== 0) out.push(p);
    } else {
      for (let k = 0; k < this.tlbFilledCount; k++) if (this.tlb[this.tlbFilled[k]] !== 0) out.push(this.tlbFilled[k]);
      out.sort((a, b) => a - b);
      // INVLPG leaves a page in the fill list, and a refill adds it again: drop duplicates.
      let n = 0;
      for (let k = 0; k < out.length; k++) if (k === 0 || out[k] !== out[k - 1]) out[n++] = out[k];
      out.length = n;
    }
    return out;
  },

  /** Flushes the TLB; global entries survive unless `all`. */
  flushTlb(this: Cpu, all: boolean): void {
    this.brk = true;
    this.invalidateLinks();
    if (this.tlbOverflow) {
      if (all) this.tlb.fill(0);
      else for (let p = 0; p < this.tlb.length; p++) if ((this.tlb[p] & TLB_GLOBAL) === 0) this.tlb[p] = 0;
      this.tlbOverflow = false;
      this.tlbFilledCount = 0;
      if (!all) {
        for (let p = 0; p < this.tlb.length; p++) {
          if (this.tlb[p] === 0) continue;
          if (this.tlbFilledCount < TLB_FILLED_MAX) this.tlbFilled[this.tlbFilledCount++] = p;
          else this.tlbOverflow = true;
        }
      }
      return;
    }
    let keep = 0;
    for (let k = 0; k < this.tlbFilledCount; k++) {
      const p = this.tlbFilled[k];
      if (!all && (this.tlb[p] & TLB_GLOBAL) !== 0) this.tlbFilled[keep++] = p;
      else this.tlb[p] = 0;
    }
    this.tlbFilledCount = keep;
  },

  /** Starts a new dirty-page interval (snapshots store only the pages written in between). */
  clearWrittenPages(this: Cpu): void {
    this.pageWritten.fill(0);
    for (let k = 0; k < this.tlbFilledCount; k++) {
      const p = this.tlbFilled[k];
      this.tlb[p] &= ~TLB_WRITTEN;
    }
    if (this.tlbOverflow) for (let p = 0; p < this.tlb.length; p++) this.tlb[p] &= ~TLB_WRITTEN;
  },

  invalidatePage(this: Cpu, lin: number): void {
    this.tlb[lin >>> 12] = 0;
    this.brk = true;
    this.invalidateLinks();
  },

  /**
   * Translates a linear address for a data access, filling the TLB. `user`: a CPL-3 access
   * (not an implicit supervisor one). Raises #PF with CR2 pending in excAddr. Returns the TLB
   * entry. With CR4.SMAP (SDM 4.6.1), a supervisor access to a user page faults when it is
   * implicit (`sysAccess`: descriptor tables, IDT, TSS) or when EFLAGS.AC is clear.
   */
  translate(this: Cpu, lin: number, write: boolean, user: boolean): number {
    const e = translateAny(this, lin, write, user);
    if (!user && (this.cr4 & CR4_SMAP) !== 0 && (e & TLB_USER_READ) !== 0 && (this.cr0 & CR0_PG) !== 0 &&
      (this.sysAccess || (this.flagsReg & AC) === 0)) {
      this.pageFault(lin, PFEC_P | (write ? PFEC_W : 0));
    }
    return e;
  },

  /**
   * Translates the linear address of an instruction fetch. With CR4.SMEP (SDM 4.6.1), a fetch
   * at CPL < 3 from a user page raises #PF with P and I/D set, and every page fault of a fetch
   * reports I/D (SDM 4.7: I/D is reported when SMEP is enabled).
   */
  translateFetch(this: Cpu, lin: number): number {
    const user = this.cpl === 3;
    if ((this.cr4 & CR4_SMEP) === 0) return translateAny(this, lin, false, user);
    let e: number;
    try {
      e = translateAny(this, lin, false, user);
    } catch (f) {
      if (f === FAULT && this.excVector === PF_VECTOR) this.excCode |= PFEC_ID;
      throw f;
    }
    if (!user && (e & TLB_USER_READ) !== 0 && (this.cr0 & CR0_PG) !== 0) this.pageFault(lin, PFEC_P | PFEC_ID);
    return e;
  },

  pageFault(this: Cpu, lin: number, code: number): never {
    this.excAddr = lin >>> 0;
    return this.raise(PF_VECTOR, code);
  },

  /** Watches a physical page holding a cached descriptor: writes to it reach onWatchedWrite. */
  watchDescriptorPage(this: Cpu, physPage: number): void {
    if (physPage >= this.watchPage.length || this.watchPage[physPage] !== 0) return;
    this.watchPage[physPage] = 1;
    slowWritesOn(this, physPage);
  },

  /** A debugger watches reads of a physical page: instructions' reads of it reach onWatchedRead. */
  watchReadPage(this: Cpu, physPage: number): void {
    if (physPage >= this.readWatchPage.length || this.readWatchPage[physPage] !== 0) return;
    this.readWatchPage[physPage] = 1;
    tlbFlags(this, physPage, TLB_READ_WATCH, 0);
  },

  /** Stops watching reads of every page (reads take the fast path again). */
  unwatchReads(this: Cpu): void {
    this.readWatchPage.fill(0);
    tlbFlags(this, -1, 0, TLB_READ_WATCH);
  },

  /** Marks a physical page as holding decoded code: writes to it take the slow path from now on. */
  markCodePage(this: Cpu, physPage: number): void {
    if (this.codePage[physPage] !== 0) return;
    this.codePage[physPage] = 1;
    slowWritesOn(this, physPage);
  },
};

function translateAny(cpu: Cpu, lin: number, write: boolean, user: boolean): number {
  const page = lin >>> 12;
  let e = cpu.tlb[page];
  if (e !== 0) {
    const ok = write
      ? (user ? (e & TLB_USER_WRITE) !== 0 : (e & TLB_SUP_WRITE) !== 0) && (e & TLB_DIRTY) !== 0
      : !user || (e & TLB_USER_READ) !== 0;
    if (ok) {
      if (write && (e & (TLB_WRITTEN | TLB_MMIO)) === 0) {
        cpu.pageWritten[e >>> 12] = 1;
        e |= TLB_WRITTEN;
        cpu.tlb[page] = e;
      }
      return e;
    }
  }
  if ((cpu.cr0 & CR0_PG) !== 0) e = pageWalk(cpu, lin, write, user);
  else e = (lin & ~0xfff) | TLB_VALID | TLB_SUP_WRITE | TLB_USER_READ | TLB_USER_WRITE | TLB_DIRTY;
  if (cpu.ept !== null) e = cpu.ept.translate(e, lin, write);
  const phys = e >>> 12;
  if (phys >= cpu.physLimit / 4096) e |= TLB_MMIO;
  else {
    if (cpu.codePage[phys] !== 0 || cpu.watchPage[phys] !== 0) e |= TLB_CODE;
    if (cpu.readWatchPage[phys] !== 0) e |= TLB_READ_WATCH;
    if (write || cpu.pageWritten[phys] !== 0) {
      cpu.pageWritten[phys] = 1;
      e |= TLB_WRITTEN;
    }
  }
  cpu.tlbSet(page, e);
  return e;
}

/** Gives every TLB entry that maps `physPage` the flag that sends writes down the slow path. */
function slowWritesOn(cpu: Cpu, physPage: number): void {
  tlbFlags(cpu, physPage, TLB_CODE, 0);
}

/** Sets and clears flags of every TLB entry that maps `physPage` (-1: every entry). */
function tlbFlags(cpu: Cpu, physPage: number, set: number, clear: number): void {
  // Only flags change: the set of cached translations must not depend on how much code has
  // been decoded or what a debugger watches (a restored machine must keep the same TLB).
  if (cpu.tlbOverflow) {
    for (let p = 0; p < cpu.tlb.length; p++) {
      const e = cpu.tlb[p];
      if (e !== 0 && (physPage < 0 || e >>> 12 === physPage)) cpu.tlb[p] = (e | set) & ~clear;
    }
    return;
  }
  for (let k = 0; k < cpu.tlbFilledCount; k++) {
    const p = cpu.tlbFilled[k];
    const e = cpu.tlb[p];
    if (e !== 0 && (physPage < 0 || e >>> 12 === physPage)) cpu.tlb[p] = (e | set) & ~clear;
  }
}

export type TlbMethods = typeof tlbMethods;
