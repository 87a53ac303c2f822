/**
 * The guest as it sees itself, for debuggers (`ringside at`, the gdb stub, the TUI): its
 * registers and its memory at its own linear addresses, translated through its own page
 * tables. Natively these are the CPU's; under a software monitor they are the guest's virtual
 * CPU and the guest's page tables (not the monitor's shadows, which fill lazily, and not the
 * monitor region, which the guest cannot reach).
 *
 * Every read here is free of side effects: no accessed or dirty bits, no faults, no MMIO
 * reads, no events, no change to the TLB or the decoded code. A write (debugger `set`) goes
 * to guest RAM only, drops the decoded code of the pages it touches, and records the pages as
 * written so that time travel restores them.
 */
import type { Machine } from './machine';
import { CS, SS, ESP, CR0_PG, CR4_PSE, PTE_P, PTE_PS } from './cpu/constants';
import { RegisterFile } from './monitors/sw/virtual-cpu';

/** The guest's registers as the guest sees them. */
export interface GuestRegisters {
  regs: number[]; // eax ecx edx ebx esp ebp esi edi (unsigned)
  eip: number;
  eflags: number;
  cpl: number; // the guest's (virtual) privilege level
  segSel: number[]; // es cs ss ds fs gs
  segBase: number[]; // the hidden caches the CPU holds
  segLimit: number[];
  segAR: number[];
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  /** EIP, ESP and EFLAGS are the processor's (false while the CPU is at a monitor entry point). */
  writable: boolean;
}

const scratch = new RegisterFile();

export function guestRegisters(m: Machine): GuestRegisters {
  const cpu = m.cpu;
  const regs = Array.from(cpu.regs, (r) => r >>> 0);
  if (m.monitor === null) {
    return {
      regs, eip: cpu.eip >>> 0, eflags: cpu.getFlags() >>> 0, cpl: cpu.cpl,
      segSel: Array.from(cpu.segSel), segBase: Array.from(cpu.segBase, (b) => b >>> 0), segLimit: Array.from(cpu.segLimit), segAR: Array.from(cpu.segAR, (a) => a >>> 0),
      cr0: cpu.cr0 >>> 0, cr2: cpu.cr2 >>> 0, cr3: cpu.cr3 >>> 0, cr4: cpu.cr4 >>> 0, writable: true,
    };
  }
  const f = scratch;
  const writable = m.monitor.guestView(f);
  regs[ESP] = f.esp >>> 0;
  return {
    regs, eip: f.eip >>> 0, eflags: f.flags >>> 0, cpl: f.cpl,
    segSel: Array.from(f.segSel), segBase: Array.from(f.segBase, (b) => b >>> 0), segLimit: Array.from(f.segLimit), segAR: Array.from(f.segAR, (a) => a >>> 0),
    cr0: f.cr0 >>> 0, cr2: f.cr2 >>> 0, cr3: f.cr3 >>> 0, cr4: f.cr4 >>> 0, writable,
  };
}

/** CS:EIP of the guest as a linear address. */
export function guestLinearIp(m: Machine): number {
  const g = guestRegisters(m);
  return (g.segBase[CS] + g.eip) >>> 0;
}

/** The guest's paging registers and the top of its RAM. */
function guestPaging(m: Machine): { cr0: number; cr3: number; cr4: number; ramTop: number } {
  const cpu = m.cpu;
  if (m.monitor === null) return { cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, ramTop: cpu.ramSize };
  const v = m.monitor.virtualCpu;
  // The guest's RAM ends where the monitor's region begins (the monitor's physLimit for it).
  return { cr0: v.cr0, cr3: v.cr3, cr4: v.cr4, ramTop: v.physLimit };
}

/** A dword of RAM, or -1 beyond `ramTop` (page-table entries outside RAM count as absent). */
function ramDword(m: Machine, phys: number, ramTop: number): number {
  phys >>>= 0;
  if (phys + 4 > ramTop) return -1;
  return m.cpu.ram32[phys >>> 2];
}

/**
 * The guest-physical address of a guest linear address, through the guest's own page tables;
 * -1 when it is not mapped or not backed by the guest's RAM.
 */
export function guestTranslate(m: Machine, lin: number): number {
  const { cr0, cr3, cr4, ramTop } = guestPaging(m);
  lin >>>= 0;
  let phys: number;
  if ((cr0 & CR0_PG) === 0) phys = lin;
  else {
    const pde = ramDword(m, ((cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0, ramTop);
    if (pde === -1 || (pde & PTE_P) === 0) return -1;
    if ((pde & PTE_PS) !== 0 && (cr4 & CR4_PSE) !== 0) phys = ((pde & 0xffc00000) | (lin & 0x003fffff)) >>> 0;
    else {
      const pte = ramDword(m, ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0, ramTop);
      if (pte === -1 || (pte & PTE_P) === 0) return -1;
      phys = ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
    }
  }
  return phys < ramTop ? phys : -1;
}

/** `len` bytes at a guest linear address; -1 for each byte that is not readable. */
export function readGuest(m: Machine, lin: number, len: number): number[] {
  const out: number[] = [];
  let page = -1, base = -1;
  for (let k = 0; k < len; k++) {
    const a = (lin + k) >>> 0;
    if (a >>> 12 !== page) {
      page = a >>> 12;
      const p = guestTranslate(m, a & ~0xfff);
      base = p < 0 ? -1 : p;
    }
    out.push(base < 0 ? -1 : m.cpu.ram[base + (a & 0xfff)]);
  }
  return out;
}

/** Writes bytes at a guest linear address; false (and nothing written) if any is not mapped. */
export function writeGuest(m: Machine, lin: number, bytes: ArrayLike<number>): boolean {
  const phys: number[] = [];
  for (let k = 0; k < bytes.length; k++) {
    const p = guestTranslate(m, (lin + k) >>> 0);
    if (p < 0) return false;
    phys.push(p);
  }
  const cpu = m.cpu;
  const pages = new Set<number>();
  phys.forEach((p, k) => {
    cpu.ram[p] = bytes[k] & 0xff;
    pages.add(p >>> 12);
  });
  for (const page of pages) {
    cpu.pageWritten[page] = 1;
    m.executor.invalidatePage(page);
  }
  return true;
}

/**
 * Sets a general register, EIP or the arithmetic and direction flags of EFLAGS (what a
 * debugger may change without the guest's privilege rules: CPL, IF, IOPL and the segment
 * registers are left alone). `reg`: 0-7 general registers, 8 EIP, 9 EFLAGS. False when it
 * cannot be set now.
 */
export function setGuestRegister(m: Machine, reg: number, value: number): boolean {
  const cpu = m.cpu;
  const g = guestRegisters(m);
  value >>>= 0;
  if (reg < 8 && reg !== ESP) {
    cpu.regs[reg] = value | 0;
    return true;
  }
  if (!g.writable) return false;
  if (reg === ESP) cpu.regs[ESP] = value | 0;
  else if (reg === 8) cpu.eip = cpu.next = value;
  else if (reg === 9) {
    const mask = 0x0cd5; // CF PF AF ZF SF DF OF
    cpu.setFlags(((cpu.getFlags() & ~mask) | (value & mask)) >>> 0);
  } else return false;
  return true;
}

/** The guest's stack: `count` dwords from SS:ESP, each with its linear address (-1: unreadable). */
export function guestStack(m: Machine, count: number): { address: number; value: number }[] {
  const g = guestRegisters(m);
  const top = (g.segBase[SS] + g.regs[ESP]) >>> 0;
  const out: { address: number; value: number }[] = [];
  for (let k = 0; k < count; k++) {
    const a = (top + 4 * k) >>> 0;
    const b = readGuest(m, a, 4);
    out.push({ address: a, value: b.includes(-1) ? -1 : (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 });
  }
  return out;
}
