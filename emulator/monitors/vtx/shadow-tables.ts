/**
 * The first-generation VMM's shadow page tables (a "virtual TLB"): without EPT the processor
 * translates guest-linear addresses through tables the VMM builds in its own memory, while the
 * guest's CR3 names the guest's tables, which the processor never walks. The VMM fills one
 * 4-KiB entry per hidden page fault (a #PF VM exit that the guest's own tables would not have
 * raised) and drops entries when the guest would have lost them from a TLB: a guest CR3 load,
 * a change of CR0.PG/WP or CR4.PSE/PGE (a complete flush), INVLPG (one page). Because a TLB may
 * keep a translation until it is invalidated, the guest cannot tell the shadow from a TLB,
 * so the VMM need not write-protect the guest's page tables.
 *
 * Layout: one page directory and a pool of page tables (32-bit paging, 4-KiB pages only: a
 * guest 4-MiB page is shadowed page by page). A full pool drops everything and starts over.
 */
import type { Cpu } from '../../cpu/cpu';
import { PTE_P, PTE_W, PTE_U } from '../../cpu/constants';

export class ShadowTables {
  private readonly cpu: Cpu;
  readonly directory: number; // physical address of the shadow page directory (the processor's CR3)
  private readonly pool: number; // physical address of the first page-table page
  private readonly poolPages: number;
  used = 0; // page-table pages handed out since the last flush
  fills = 0; // statistics: entries filled
  flushes = 0; // statistics: complete flushes

  constructor(cpu: Cpu, directory: number, pool: number, poolPages: number) {
    this.cpu = cpu;
    this.directory = directory;
    this.pool = pool;
    this.poolPages = poolPages;
  }

  /** Drops every translation (the guest loaded CR3, or changed how it translates). */
  flush(): void {
    this.zero(this.directory);
    this.used = 0;
    this.flushes++;
  }

  /** Maps the guest-linear page of `lin` to physical page `physPage` with the given permissions. */
  map(lin: number, physPage: number, user: boolean, writable: boolean): void {
    const pdeAddr = this.directory + (lin >>> 22) * 4;
    let pde = this.cpu.ram32[pdeAddr >>> 2];
    if ((pde & PTE_P) === 0) {
      if (this.used === this.poolPages) {
        this.flush();
        return this.map(lin, physPage, user, writable);
      }
      const pt = this.pool + this.used++ * 4096;
      this.zero(pt);
      // The directory entry allows everything: each table entry alone decides (as the guest's do not).
      pde = pt | PTE_P | PTE_W | PTE_U;
      this.write(pdeAddr, pde);
    }
    this.write((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4, (physPage << 12) | PTE_P | (user ? PTE_U : 0) | (writable ? PTE_W : 0));
    this.fills++;
  }

  /** Drops the translation of the page of `lin` (INVLPG); `large`: the whole 4-MiB region the guest maps with one entry. */
  invalidate(lin: number, large: boolean): void {
    const pde = this.cpu.ram32[(this.directory + (lin >>> 22) * 4) >>> 2];
    if ((pde & PTE_P) === 0) return;
    if (large) this.zero(pde & ~0xfff);
    else this.write((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4, 0);
  }

  private zero(page: number): void {
    this.cpu.ram.fill(0, page, page + 4096);
    this.cpu.pageWritten[page >>> 12] = 1;
  }

  private write(addr: number, value: number): void {
    this.cpu.ram32[addr >>> 2] = value;
    this.cpu.pageWritten[addr >>> 12] = 1;
  }
}
