/**
 * System instructions (SDM vol. 2 and vol. 3 ch. 2): descriptor-table registers, control and
 * debug registers, segment inspection (LAR LSL VERR VERW ARPL), HLT, CLI/STI, and the
 * x87 escapes of a machine without an FPU. The store instructions SGDT SIDT SLDT STR SMSW work
 * at every privilege level: that is the architecture, and what a deprivileged guest sees, unless
 * CR4.UMIP is set: then they raise #GP(0) at CPL > 0 (SDM 2.5, "User-Mode Instruction Prevention").
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import type { Intercept } from '../opcodes';
import {
  CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_CD, CR0_NW, CR0_TS, CR0_EM, CR0_MP, CR4_SUPPORTED, CR4_PSE, CR4_PGE, CR4_DE,
  CR4_UMIP, CR4_SMEP, CR4_SMAP,
  GP_VECTOR, NP_VECTOR, UD_VECTOR, NM_VECTOR, ZF, AR_P, AR_S,
} from '../constants';
import { ea, getEw, setEv, getReg, setReg } from './operands';
import { desc, fetchDescriptor, descBase, descLimit, descRights, descDpl, isConforming } from '../segments';

function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.gp(0);
}

/** UMIP: SGDT, SIDT, SLDT, STR and SMSW raise #GP(0) at CPL > 0 when CR4.UMIP is set. */
function checkUmip(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_UMIP) !== 0 && cpu.cpl !== 0) cpu.gp(0);
}

// 0F 01 /2, /3: LGDT/LIDT m16&32 (arg 0 GDTR, 1 IDTR); a 16-bit operand size loads a 24-bit base
function loadDescriptorTable(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const off = ea(cpu, i);
  const limit = cpu.rd16(i.seg, off);
  let base = cpu.rd32(i.seg, i.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff);
  if (!i.os32) base &= 0xffffff;
  if (i.arg === 0) {
    cpu.gdtrBase = base;
    cpu.gdtrLimit = limit;
  } else {
    cpu.idtrBase = base;
    cpu.idtrLimit = limit;
  }
  if (cpu.observer !== null) cpu.observer.descriptorTable(i.arg === 0 ? 'lgdt' : 'lidt', base, limit, 0);
}
export const lgdt: (cpu: Cpu, i: Insn) => void = loadDescriptorTable;
export const lidt: (cpu: Cpu, i: Insn) => void = loadDescriptorTable;
// 0F 01 /0, /1: SGDT/SIDT m (16-bit operand size stores a 24-bit base and a zero high byte)
function storeDescriptorTable(cpu: Cpu, i: Insn): void {
  checkUmip(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const off = ea(cpu, i);
  const limit = i.arg === 0 ? cpu.gdtrLimit : cpu.idtrLimit;
  let base = i.arg === 0 ? cpu.gdtrBase : cpu.idtrBase;
  if (!i.os32) base &= 0xffffff;
  const lin = cpu.linW(i.seg, off, 6);
  cpu.probeWrite(lin, 6);
  cpu.wr16(i.seg, off, limit);
  cpu.wr32(i.seg, i.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff, base);
  if (cpu.observer !== null) cpu.observer.descriptorTable(i.arg === 0 ? 'sgdt' : 'sidt', base, limit, 0);
}
export const sgdt: (cpu: Cpu, i: Insn) => void = storeDescriptorTable;
export const sidt: (cpu: Cpu, i: Insn) => void = storeDescriptorTable;
// 0F 00 /0: SLDT Ew (a register destination is zero-extended)
export function sldtEw(cpu: Cpu, i: Insn): void {
  checkUmip(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  if (i.isMem) cpu.wr16(i.seg, ea(cpu, i), cpu.ldtrSel);
  else setEv(cpu, i, cpu.ldtrSel);
  if (cpu.observer !== null) cpu.observer.descriptorTable('sldt', cpu.ldtrBase, cpu.ldtrLimit, cpu.ldtrSel);
}
// 0F 00 /1: STR Ew
export function strEw(cpu: Cpu, i: Insn): void {
  checkUmip(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  if (i.isMem) cpu.wr16(i.seg, ea(cpu, i), cpu.trSel);
  else setEv(cpu, i, cpu.trSel);
  if (cpu.observer !== null) cpu.observer.descriptorTable('str', cpu.trBase, cpu.trLimit, cpu.trSel);
}
// 0F 00 /2: LLDT Ew
export function lldtEw(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const sel = getEw(cpu, i);
  if ((sel & 0xfffc) === 0) {
    cpu.ldtrSel = sel;
    cpu.ldtrBase = 0;
    cpu.ldtrLimit = 0;
    cpu.ldtrAR = 0;
  } else {
    if ((sel & 4) !== 0) cpu.gp(sel & 0xfffc);
    fetchDescriptor(cpu, sel, GP_VECTOR, 0);
    if (((desc.hi >> 8) & 0x1f) !== 0x02) cpu.gp(sel & 0xfffc);
    if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
    cpu.ldtrSel = sel;
    cpu.ldtrBase = descBase(desc.lo, desc.hi);
    cpu.ldtrLimit = descLimit(desc.lo, desc.hi);
    cpu.ldtrAR = descRights(desc.hi);
  }
  if (cpu.observer !== null) cpu.observer.descriptorTable('lldt', cpu.ldtrBase, cpu.ldtrLimit, sel);
}
// 0F 00 /3: LTR Ew (marks the TSS busy)
export function ltrEw(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const sel = getEw(cpu, i);
  if ((sel & 0xfffc) === 0) cpu.gp(0);
  if ((sel & 4) !== 0) cpu.gp(sel & 0xfffc);
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  const type = (desc.hi >> 8) & 0x1f;
  if (type !== 0x01 && type !== 0x09) cpu.gp(sel & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
  desc.hi |= 0x200;
  cpu.writeSys8((desc.addr + 5) | 0, (desc.hi >> 8) & 0xff);
  cpu.trSel = sel;
  cpu.trBase = descBase(desc.lo, desc.hi);
  cpu.trLimit = descLimit(desc.lo, desc.hi);
  cpu.trAR = descRights(desc.hi);
  if (cpu.observer !== null) cpu.observer.descriptorTable('ltr', cpu.trBase, cpu.trLimit, sel);
}
// 0F 01 /4: SMSW Ew (register: the whole CR0 with a 32-bit operand size; memory: 16 bits)
export function smswEw(cpu: Cpu, i: Insn): void {
  checkUmip(cpu);
  if (i.isMem) cpu.wr16(i.seg, ea(cpu, i), cpu.cr0 & 0xffff);
  else setEv(cpu, i, i.os32 ? cpu.cr0 : cpu.cr0 & 0xffff);
  if (cpu.observer !== null) cpu.observer.descriptorTable('smsw', cpu.cr0, 0, 0);
}
// 0F 01 /6: LMSW Ew (loads PE MP EM TS; cannot clear PE)
export function lmswEw(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  const v = getEw(cpu, i);
  const cr0 = (cpu.cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | (v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
  writeCr0(cpu, cr0);
}
// 0F 06: CLTS
export function clts(cpu: Cpu): void {
  requireCpl0(cpu);
  cpu.cr0 &= ~CR0_TS;
  if (cpu.observer !== null) cpu.observer.controlRegister(true, 0, cpu.cr0);
}

/**
 * Writes CR0. Clearing PE would enter real mode, which ringside does not implement: it raises
 * #GP(0) (documented in the README). PG without PE and NW without CD raise #GP(0) (SDM).
 */
export function writeCr0(cpu: Cpu, v: number): void {
  v |= CR0_ET;
  if ((v & CR0_PE) === 0) cpu.gp(0);
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) cpu.gp(0);
  if ((v & CR0_NW) !== 0 && (v & CR0_CD) === 0) cpu.gp(0);
  v &= CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | 0x20 | CR0_WP | (1 << 18) | CR0_NW | CR0_CD | CR0_PG;
  const changed = cpu.cr0 ^ v;
  cpu.cr0 = v;
  if ((changed & (CR0_PG | CR0_WP | CR0_PE)) !== 0) cpu.flushTlb(true);
  if (cpu.observer !== null) cpu.observer.controlRegister(true, 0, v);
}

// 0F 20 /r: MOV Rd,CRn
export function movRdCd(cpu: Cpu, i: Insn): void {
  if (i.reg === 1 || i.reg > 4) cpu.raise(UD_VECTOR, -1);
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const v = i.reg === 0 ? cpu.cr0 : i.reg === 2 ? cpu.cr2 : i.reg === 3 ? cpu.cr3 : cpu.cr4;
  cpu.regs[i.rm] = v;
  if (cpu.observer !== null) cpu.observer.controlRegister(false, i.reg, v);
}
// 0F 22 /r: MOV CRn,Rd
export function movCdRd(cpu: Cpu, i: Insn): void {
  if (i.reg === 1 || i.reg > 4) cpu.raise(UD_VECTOR, -1);
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  writeControlRegister(cpu, i.reg, cpu.regs[i.rm]);
}
/** MOV to CR0, CR2, CR3 or CR4 of `v` (also a monitor's write of a guest's control register). */
export function writeControlRegister(cpu: Cpu, reg: number, v: number): void {
  switch (reg) {
    case 0:
      writeCr0(cpu, v);
      return;
    case 2:
      cpu.cr2 = v;
      break;
    case 3:
      cpu.cr3 = v & ~0xfe7; // PWT and PCD are kept; the other low bits are ignored
      cpu.flushTlb(false);
      break;
    default: {
      if ((v & ~CR4_SUPPORTED) !== 0) cpu.gp(0);
      const changed = cpu.cr4 ^ v;
      cpu.cr4 = v;
      if ((changed & (CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP)) !== 0) cpu.flushTlb(true);
      if ((changed & CR4_SMAP) !== 0) cpu.setCpl(cpu.cpl); // the supervisor fast paths follow SMAP
    }
  }
  if (cpu.observer !== null) cpu.observer.controlRegister(true, reg, v);
}
// 0F 21 /r: MOV Rd,DRn (DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD)
function drIndex(cpu: Cpu, r: number): number {
  if (r === 4 || r === 5) {
    if ((cpu.cr4 & CR4_DE) !== 0) cpu.raise(UD_VECTOR, -1);
    return r + 2;
  }
  return r;
}
export function movRdDd(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  cpu.regs[i.rm] = cpu.dr[drIndex(cpu, i.reg)];
}
// 0F 23 /r: MOV DRn,Rd (stored: hardware breakpoints are not armed)
export function movDdRd(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  cpu.dr[drIndex(cpu, i.reg)] = cpu.regs[i.rm];
}
// 0F 01 /7: INVLPG m
export function invlpgMb(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  cpu.invalidatePage((cpu.segBase[i.seg] + ea(cpu, i)) | 0);
}
// 0F 08, 0F 09: INVD, WBINVD (no caches to write back)
export function wbinvd(cpu: Cpu): void {
  requireCpl0(cpu);
}
// 0F 08: INVD (there are no caches to drop: only the privilege check)
export function invd(cpu: Cpu): void {
  requireCpl0(cpu);
}
// F4: HLT
export function hlt(cpu: Cpu, i: Insn): void {
  requireCpl0(cpu);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  cpu.halted = true;
  cpu.brk = true;
  if (cpu.observer !== null) cpu.observer.halt();
}

/** Fetches a descriptor for LAR/LSL/VERR/VERW without faulting on the table limit. */
function peekDescriptor(cpu: Cpu, sel: number): boolean {
  if ((sel & 0xfffc) === 0) return false;
  const limit = (sel & 4) !== 0 ? cpu.ldtrLimit : cpu.gdtrLimit;
  if ((sel & 4) !== 0 && (cpu.ldtrSel & 0xfffc) === 0) return false;
  if ((sel & 0xfff8) + 7 > limit) return false;
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  return true;
}

/** The DPL/RPL/CPL visibility rule shared by LAR, LSL, VERR and VERW. */
function visible(cpu: Cpu, sel: number): boolean {
  if ((desc.hi & AR_S) !== 0 && isConforming(desc.hi)) return true;
  const dpl = descDpl(desc.hi);
  return dpl >= cpu.cpl && dpl >= (sel & 3);
}

const LAR_SYSTEM = [false, true, true, true, true, true, false, false, false, true, false, true, true, false, false, false];
const LSL_SYSTEM = [false, true, true, true, false, false, false, false, false, true, false, true, false, false, false, false];

// 0F 02 /r: LAR Gv,Ew
export function larGvEw(cpu: Cpu, i: Insn): void {
  const sel = getEw(cpu, i);
  let ok = peekDescriptor(cpu, sel);
  if (ok && (desc.hi & AR_S) === 0) ok = LAR_SYSTEM[(desc.hi >> 8) & 0xf];
  if (ok) ok = visible(cpu, sel);
  if (ok) setReg(cpu, i.reg, i.os32 ? 4 : 2, i.os32 ? desc.hi & 0x00f0ff00 : desc.hi & 0xff00);
  cpu.setArith(ZF, ok ? ZF : 0);
}
// 0F 03 /r: LSL Gv,Ew
export function lslGvEw(cpu: Cpu, i: Insn): void {
  const sel = getEw(cpu, i);
  let ok = peekDescriptor(cpu, sel);
  if (ok && (desc.hi & AR_S) === 0) ok = LSL_SYSTEM[(desc.hi >> 8) & 0xf];
  if (ok) ok = visible(cpu, sel);
  if (ok) setReg(cpu, i.reg, i.os32 ? 4 : 2, descLimit(desc.lo, desc.hi) | 0);
  cpu.setArith(ZF, ok ? ZF : 0);
}
// 0F 00 /4, /5: VERR/VERW Ew (arg 0 read, 1 write)
export function verEw(cpu: Cpu, i: Insn): void {
  const sel = getEw(cpu, i);
  let ok = peekDescriptor(cpu, sel) && (desc.hi & AR_S) !== 0;
  if (ok) {
    const code = (desc.hi & 0x800) !== 0;
    const rw = (desc.hi & 0x200) !== 0;
    ok = i.arg === 0 ? !code || rw : !code && rw;
    if (ok && !(code && isConforming(desc.hi))) ok = visible(cpu, sel);
  }
  cpu.setArith(ZF, ok ? ZF : 0);
}
// 63 /r: ARPL Ew,Gw
export function arplEwGw(cpu: Cpu, i: Insn): void {
  const src = getReg(cpu, i.reg, 2);
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), 2);
    d = cpu.readL16(lin);
  } else d = getReg(cpu, i.rm, 2);
  if ((d & 3) < (src & 3)) {
    const r = (d & ~3) | (src & 3);
    if (i.isMem) cpu.writeL16(lin, r);
    else setReg(cpu, i.rm, 2, r);
    cpu.setArith(ZF, ZF);
  } else cpu.setArith(ZF, 0);
}
// 0F 0B: UD2
export function ud2(cpu: Cpu): void {
  cpu.raise(UD_VECTOR, -1);
}
/**
 * D8-DF: x87 escapes. There is no FPU (CPUID.FPU = 0): with CR0.EM or CR0.TS set they raise
 * #NM, as the SDM specifies for emulation; otherwise #UD.
 */
export function fpuEscape(cpu: Cpu): void {
  cpu.raise((cpu.cr0 & (CR0_EM | CR0_TS)) !== 0 ? NM_VECTOR : UD_VECTOR, -1);
}
// 9B: WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set
export function wait(cpu: Cpu): void {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) cpu.raise(NM_VECTOR, -1);
}

