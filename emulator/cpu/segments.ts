/**
 * Descriptors and segment loads (SDM vol. 3 ch. 3 and 5). A segment register's hidden cache
 * is written only here and by the loaders of CS in far transfers; a later write to the
 * descriptor in memory leaves the cache as it was.
 */
import type { Cpu } from './cpu';
import {
  CS, SS, ES, DS, FS, GS, GP_VECTOR, NP_VECTOR, SS_VECTOR, AR_P, AR_S, AR_G,
} from './constants';

/** The descriptor last fetched by fetchDescriptor (one shared record: no allocation). */
export const desc = {
  lo: 0, // low dword
  hi: 0, // high dword
  addr: 0, // linear address of the descriptor
};

/**
 * Reads the descriptor that `sel` names into `desc`. A selector beyond its table's limit, or
 * one that names the LDT while LDTR is null, raises `vector` with the selector and `ext`.
 */
export function fetchDescriptor(cpu: Cpu, sel: number, vector: number, ext: number): void {
  const index = sel & 0xfff8;
  let base: number, limit: number;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtrSel & 0xfffc) === 0) cpu.raise(vector, (sel & 0xfffc) | ext);
    base = cpu.ldtrBase;
    limit = cpu.ldtrLimit;
  } else {
    base = cpu.gdtrBase;
    limit = cpu.gdtrLimit;
  }
  if (index + 7 > limit) cpu.raise(vector, (sel & 0xfffc) | ext);
  desc.addr = (base + index) | 0;
  desc.lo = cpu.readSys32(desc.addr);
  desc.hi = cpu.readSys32((desc.addr + 4) | 0);
}

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}

/** Byte-granular limit (uint32). */
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & AR_G) !== 0 ? raw * 4096 + 4095 : raw;
}

export function descRights(hi: number): number {
  return hi & 0x00f0ff00;
}

export function descDpl(hi: number): number {
  return (hi >> 13) & 3;
}

export function isCodeSeg(hi: number): boolean {
  return (hi & AR_S) !== 0 && (hi & 0x800) !== 0;
}
export function isConforming(hi: number): boolean {
  return (hi & 0xc00) === 0xc00;
}
export function isDataSeg(hi: number): boolean {
  return (hi & AR_S) !== 0 && (hi & 0x800) === 0;
}
export function isWritableData(hi: number): boolean {
  return (hi & (AR_S | 0x800 | 0x200)) === (AR_S | 0x200);
}
export function isReadable(hi: number): boolean {
  return (hi & AR_S) !== 0 && ((hi & 0x800) === 0 || (hi & 0x200) !== 0);
}

/** Sets the accessed bit of the descriptor in `desc` in memory, as a segment load does. */
export function setAccessed(cpu: Cpu): void {
  if ((desc.hi & 0x100) === 0) {
    desc.hi |= 0x100;
    cpu.implicitDescriptorWrite = true;
    try {
      cpu.writeSys8((desc.addr + 5) | 0, (desc.hi >> 8) & 0xff);
    } finally {
      cpu.implicitDescriptorWrite = false;
    }
  }
}

/** Loads segment register `seg`'s cache from `desc`. */
export function loadCacheFromDesc(cpu: Cpu, seg: number, sel: number): void {
  cpu.setSegCache(seg, sel, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descRights(desc.hi));
}

/**
 * MOV/POP/LxS to a data segment register or SS, with every protection check of SDM
 * "MOV - Move" (protected mode).
 */
export function loadSegment(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  const rpl = sel & 3;
  if (seg === SS) {
    if ((sel & 0xfffc) === 0) cpu.gp(0);
    fetchDescriptor(cpu, sel, GP_VECTOR, 0);
    if (rpl !== cpu.cpl || descDpl(desc.hi) !== cpu.cpl || !isWritableData(desc.hi)) cpu.gp(sel & 0xfffc);
    if ((desc.hi & AR_P) === 0) cpu.raise(SS_VECTOR, sel & 0xfffc);
    setAccessed(cpu);
    loadCacheFromDesc(cpu, SS, sel);
    return;
  }
  if ((sel & 0xfffc) === 0) {
    cpu.setSegNull(seg, sel);
    return;
  }
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  const hi = desc.hi;
  if (!isReadable(hi)) cpu.gp(sel & 0xfffc);
  if (!isConforming(hi)) {
    const dpl = descDpl(hi);
    if (rpl > dpl || cpu.cpl > dpl) cpu.gp(sel & 0xfffc);
  }
  if ((hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
  setAccessed(cpu);
  loadCacheFromDesc(cpu, seg, sel);
}

/**
 * After a return to an outer privilege level (RET far, IRET), data segment registers whose
 * descriptors the new CPL may not use become null (SDM "RET", "IRET").
 */
export function nullInvalidDataSegments(cpu: Cpu): void {
  for (const seg of DATA_SEGS) {
    const ar = cpu.segAR[seg];
    const dpl = (ar >> 13) & 3;
    const conformingCode = (ar & 0xc00) === 0xc00 && (ar & AR_S) !== 0;
    if ((cpu.segSel[seg] & 0xfffc) !== 0 && !conformingCode && dpl < cpu.cpl) cpu.setSegNull(seg, 0);
  }
}
const DATA_SEGS = [ES, DS, FS, GS] as const;

/** Loads CS's cache from `desc` with RPL forced to `cpl` and makes `cpl` current. */
export function loadCodeSegment(cpu: Cpu, sel: number, cpl: number): void {
  setAccessed(cpu);
  cpu.setSegCache(CS, (sel & 0xfffc) | cpl, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descRights(desc.hi));
  if (cpu.cpl !== cpl) cpu.setCpl(cpl);
  cpu.brk = true;
}

/** Snapshot of the stack-related state, for undoing a half-done privilege change. */
export class StackState {
  sel = 0; base = 0; limit = 0; ar = 0; esp = 0; cpl = 0;
  save(cpu: Cpu): void {
    this.sel = cpu.segSel[SS];
    this.base = cpu.segBase[SS];
    this.limit = cpu.segLimit[SS];
    this.ar = cpu.segAR[SS];
    this.esp = cpu.regs[4];
    this.cpl = cpu.cpl;
  }
  restore(cpu: Cpu): void {
    const obs = cpu.observer;
    cpu.observer = null;
    cpu.setSegCache(SS, this.sel, this.base, this.limit, this.ar);
    cpu.observer = obs;
    cpu.regs[4] = this.esp;
    if (cpu.cpl !== this.cpl) cpu.setCpl(this.cpl);
  }
}

