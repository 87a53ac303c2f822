/**
 * Shadow page tables. The CPU always runs the guest with paging on, on tables the monitor
 * builds in its own region: entries are filled lazily, one page-fault at a time (a "hidden"
 * fault the guest never sees), from the guest's own tables or, while the guest has paging
 * off, from the identity map of its RAM. PDE 1023 of every shadow maps the monitor region.
 *
 * Shadows are cached per guest address space (CR3) and, with the split policy, per guest mode
 * (kernel or user); a full pool or a change the monitor cannot follow precisely (a write to a
 * guest page table, CR0.WP, CR4.PSE) drops them all.
 */
import type { Cpu } from '../../cpu/cpu';
import { PTE_P, PTE_W, PTE_U } from '../../cpu/constants';
import { OFF_POOL, OFF_PT, POOL_PAGES } from './layout';

/** Shadow roots kept at once. */
const MAX_ROOTS = 16;

export class ShadowPaging {
  private readonly cpu: Cpu;
  private readonly monPhys: number; // physical base of the monitor region
  keys: number[] = []; // cached shadows: key of each root
  roots: number[] = []; // and its page directory's physical address
  poolUsed = 0; // pages of the pool handed out
  flushes = 0; // statistics: times every shadow was dropped

  constructor(cpu: Cpu, monPhys: number) {
    this.cpu = cpu;
    this.monPhys = monPhys;
  }

  /** Drops every shadow (the pool starts over). */
  flushAll(): void {
    this.keys = [];
    this.roots = [];
    this.poolUsed = 0;
    this.flushes++;
  }

  /** The shadow page directory for `key`, built empty on first use. */
  root(key: number): number {
    const k = this.keys.indexOf(key);
    if (k >= 0) return this.roots[k];
    if (this.keys.length === MAX_ROOTS || this.poolUsed + 2 > POOL_PAGES) this.flushAll();
    const pd = this.allocPage();
    this.write(pd + 1023 * 4, (this.monPhys + OFF_PT) | PTE_P | PTE_W); // the monitor region: supervisor only
    this.keys.push(key);
    this.roots.push(pd);
    return pd;
  }

  /**
   * Maps `lin` to `physPage` in the shadow of `key`, with user and write permission as given.
   * May drop every shadow to make room (the caller's root is rebuilt).
   */
  map(key: number, lin: number, physPage: number, user: boolean, writable: boolean): void {
    if (this.poolUsed + 2 > POOL_PAGES) this.flushAll();
    const pd = this.root(key);
    const pdeAddr = pd + (lin >>> 22) * 4;
    let pde = this.read(pdeAddr);
    if ((pde & PTE_P) === 0) {
      pde = this.allocPage() | PTE_P | PTE_W | PTE_U;
      this.write(pdeAddr, pde);
    }
    const pte = (physPage << 12) | PTE_P | (user ? PTE_U : 0) | (writable ? PTE_W : 0);
    this.write((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4, pte);
  }

  /** Removes the mapping of `lin` from every shadow (INVLPG). */
  invalidate(lin: number): void {
    if (lin >>> 22 === 1023) return;
    for (const pd of this.roots) {
      const pde = this.read(pd + (lin >>> 22) * 4);
      if ((pde & PTE_P) !== 0) this.write((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4, 0);
    }
  }

  private allocPage(): number {
    const phys = this.monPhys + OFF_POOL + this.poolUsed++ * 4096;
    const cpu = this.cpu;
    cpu.ram.fill(0, phys, phys + 4096);
    cpu.pageWritten[phys >>> 12] = 1;
    return phys;
  }

  private read(phys: number): number {
    return this.cpu.ram32[phys >>> 2];
  }

  private write(phys: number, v: number): void {
    this.cpu.ram32[phys >>> 2] = v;
    this.cpu.pageWritten[phys >>> 12] = 1;
  }
}
