/**
 * The slow memory paths: physical accesses (RAM with its code and dirty-page bookkeeping, the
 * local APIC, other MMIO) and the linear accesses that miss the TLB, cross a page or reach MMIO.
 * The fast paths (TLB hits on RAM) are in cpu.ts. Methods of Cpu (installed by cpu.ts).
 */
import type { Cpu } from './cpu';
import { APIC_BASE_PHYS } from './cpu';

export const memoryMethods = {
  // =============================================================================================
  // Physical memory
  // =============================================================================================

  physRead8(this: Cpu, phys: number): number {
    phys >>>= 0;
    if (phys < this.physLimit) return this.ram[phys];
    this.busAccesses++;
    if (isApic(this, phys)) return this.apic.mmioRead(phys & 0xfff, 1) & 0xff;
    return this.mmio.read(phys, 1);
  },

  physRead32(this: Cpu, phys: number): number {
    phys >>>= 0;
    if (phys + 3 < this.physLimit) {
      if ((phys & 3) === 0) return this.ram32[phys >>> 2];
      const r = this.ram;
      return r[phys] | (r[phys + 1] << 8) | (r[phys + 2] << 16) | (r[phys + 3] << 24);
    }
    this.busAccesses++;
    if (isApic(this, phys)) return this.apic.mmioRead(phys & 0xfff, 4) | 0;
    if (phys >= this.physLimit) return this.mmio.read(phys, 4) | 0;
    return (this.physRead8(phys) | (this.physRead8(phys + 1) << 8) | (this.physRead8(phys + 2) << 16) | (this.physRead8(phys + 3) << 24));
  },

  physRead16(this: Cpu, phys: number): number {
    phys >>>= 0;
    if (phys + 1 < this.physLimit) return this.ram[phys] | (this.ram[phys + 1] << 8);
    this.busAccesses++;
    if (isApic(this, phys)) return this.apic.mmioRead(phys & 0xfff, 2) & 0xffff;
    if (phys >= this.physLimit) return this.mmio.read(phys, 2);
    return this.physRead8(phys) | (this.physRead8(phys + 1) << 8);
  },

  physWrite8(this: Cpu, phys: number, v: number): void {
    phys >>>= 0;
    if (phys < this.physLimit) {
      this.pageWritten[phys >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) codeWrite(this, phys, 1);
      this.ram[phys] = v;
    } else {
      this.busAccesses++;
      if (isApic(this, phys)) this.apic.mmioWrite(phys & 0xfff, v & 0xff, 1);
      else if (this.mmio.write(phys, v & 0xff, 1)) this.brk = true;
    }
  },

  physWrite16(this: Cpu, phys: number, v: number): void {
    phys >>>= 0;
    if (phys + 1 < this.physLimit) {
      this.pageWritten[phys >>> 12] = this.pageWritten[(phys + 1) >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.codePage[(phys + 1) >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) codeWrite(this, phys, 2);
      this.ram[phys] = v;
      this.ram[phys + 1] = v >> 8;
    } else if (isApic(this, phys)) {
      this.busAccesses++;
      this.apic.mmioWrite(phys & 0xfff, v & 0xffff, 2);
    } else if (phys >= this.physLimit) {
      this.busAccesses++;
      if (this.mmio.write(phys, v & 0xffff, 2)) this.brk = true;
    } else {
      this.physWrite8(phys, v);
      this.physWrite8(phys + 1, v >> 8);
    }
  },

  physWrite32(this: Cpu, phys: number, v: number): void {
    phys >>>= 0;
    if (phys + 3 < this.physLimit) {
      this.pageWritten[phys >>> 12] = this.pageWritten[(phys + 3) >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.codePage[(phys + 3) >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) codeWrite(this, phys, 4);
      if ((phys & 3) === 0) this.ram32[phys >>> 2] = v;
      else {
        const r = this.ram;
        r[phys] = v;
        r[phys + 1] = v >> 8;
        r[phys + 2] = v >> 16;
        r[phys + 3] = v >> 24;
      }
    } else if (isApic(this, phys)) {
      this.busAccesses++;
      this.apic.mmioWrite(phys & 0xfff, v, 4);
      this.brk = true;
    } else if (phys >= this.physLimit) {
      this.busAccesses++;
      if (this.mmio.write(phys, v, 4)) this.brk = true;
    } else for (let k = 0; k < 4; k++) this.physWrite8(phys + k, v >> (8 * k));
  },

  // =============================================================================================
  // Linear memory (paging), the slow paths. `sys` accesses are implicit supervisor accesses (descriptor tables,
  // TSS, IDT): they use supervisor rights whatever the CPL.
  // =============================================================================================

  physOf(this: Cpu, lin: number, write: boolean, user: boolean): number {
    return ((this.translate(lin, write, user) & ~0xfff) | (lin & 0xfff)) >>> 0;
  },

  /** Reads that miss the TLB, cross a page or reach MMIO. Both pages are translated before any access. */
  readSlow(this: Cpu, lin: number, size: number, user: boolean): number {
    const off = lin & 0xfff;
    const watched = this.readWatchPage;
    if (off + size <= 0x1000) {
      const p = this.physOf(lin, false, user);
      if (watched[p >>> 12] === 1) this.onWatchedRead(p, size);
      return size === 4 ? this.physRead32(p) : size === 2 ? this.physRead16(p) : this.physRead8(p);
    }
    const first = 0x1000 - off;
    const p1 = this.physOf(lin, false, user);
    const p2 = this.physOf((lin + first) | 0, false, user);
    if (watched[p1 >>> 12] === 1) this.onWatchedRead(p1, first);
    if (watched[p2 >>> 12] === 1) this.onWatchedRead(p2, size - first);
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.physRead8(k < first ? p1 + k : p2 + k - first) << (8 * k);
    return v;
  },

  writeSlow(this: Cpu, lin: number, size: number, v: number, user: boolean): void {
    const off = lin & 0xfff;
    if (off + size <= 0x1000) {
      const p = this.physOf(lin, true, user);
      if (size === 4) this.physWrite32(p, v);
      else if (size === 2) this.physWrite16(p, v);
      else this.physWrite8(p, v);
      return;
    }
    const first = 0x1000 - off;
    const p1 = this.physOf(lin, true, user);
    const p2 = this.physOf((lin + first) | 0, true, user);
    for (let k = 0; k < size; k++) this.physWrite8(k < first ? p1 + k : p2 + k - first, v >> (8 * k));
  },

  /** Checks that a write would succeed (for instructions that must not fault half-way). */
  probeWrite(this: Cpu, lin: number, size: number): void {
    this.physOf(lin, true, this.cpl === 3);
    if (((lin & 0xfff) + size) > 0x1000) this.physOf((lin + size - 1) | 0, true, this.cpl === 3);
  },

  // Implicit supervisor accesses (SDM 4.6): `sysAccess` tells SMAP they ignore EFLAGS.AC.
  readSys16(this: Cpu, lin: number): number {
    return readSys(this, lin, 2);
  },
  readSys32(this: Cpu, lin: number): number {
    return readSys(this, lin, 4);
  },
  writeSys8(this: Cpu, lin: number, v: number): void {
    this.sysAccess = true;
    try {
      this.writeSlow(lin, 1, v, false);
    } finally {
      this.sysAccess = false;
    }
  },
};

/** An implicit supervisor read (descriptor tables, IDT, TSS) of `size` bytes. */
function readSys(cpu: Cpu, lin: number, size: number): number {
  cpu.sysAccess = true;
  try {
    return cpu.readSlow(lin, size, false);
  } finally {
    cpu.sysAccess = false;
  }
}

/** A write of `size` bytes at `phys` on a page holding code: drop decoded code it overlaps. */
function codeWrite(cpu: Cpu, phys: number, size: number): void {
  if (cpu.watchPage[phys >>> 12] !== 0 && !cpu.implicitDescriptorWrite) cpu.onWatchedWrite(phys, size);
  const first = phys >>> 6, last = (phys + size - 1) >>> 6;
  for (let l = first; l <= last; l++) {
    if (cpu.codeLine[l] !== 0) {
      cpu.onCodeWrite(l >>> 6);
      cpu.brk = true;
    }
  }
}

function isApic(cpu: Cpu, phys: number): boolean {
  return (phys & ~0xfff) >>> 0 === APIC_BASE_PHYS && (cpu.apic.apicBaseMsr & 0x800) !== 0;
}

export type MemoryMethods = typeof memoryMethods;
