/**
 * Operand access shared by every instruction family: the effective address and the r/m and
 * reg operands at each width. Reads of a memory destination that will be written use linW so
 * that the segment's write rights are checked before anything changes.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';

/** Effective address (offset in the segment) of the instruction's memory operand, uint32. */
export function ea(cpu: Cpu, i: Insn): number {
  let a = i.disp;
  if (i.base >= 0) a += cpu.regs[i.base];
  if (i.index >= 0) a += cpu.regs[i.index] << i.scale;
  return i.as32 ? a >>> 0 : a & 0xffff;
}

export function getEb(cpu: Cpu, i: Insn): number {
  return i.isMem ? cpu.rd8(i.seg, ea(cpu, i)) : cpu.regs8[i.e8];
}
export function getEw(cpu: Cpu, i: Insn): number {
  return i.isMem ? cpu.rd16(i.seg, ea(cpu, i)) : cpu.regs16[i.rm << 1];
}
export function getEd(cpu: Cpu, i: Insn): number {
  return i.isMem ? cpu.rd32(i.seg, ea(cpu, i)) : cpu.regs[i.rm];
}
/** r/m operand at the operand size (16-bit values are zero-extended). */
export function getEv(cpu: Cpu, i: Insn): number {
  return i.os32 ? getEd(cpu, i) : getEw(cpu, i);
}

export function setEb(cpu: Cpu, i: Insn, v: number): void {
  if (i.isMem) cpu.wr8(i.seg, ea(cpu, i), v);
  else cpu.regs8[i.e8] = v;
}
export function setEw(cpu: Cpu, i: Insn, v: number): void {
  if (i.isMem) cpu.wr16(i.seg, ea(cpu, i), v);
  else cpu.regs16[i.rm << 1] = v;
}
export function setEd(cpu: Cpu, i: Insn, v: number): void {
  if (i.isMem) cpu.wr32(i.seg, ea(cpu, i), v);
  else cpu.regs[i.rm] = v;
}
export function setEv(cpu: Cpu, i: Insn, v: number): void {
  if (i.os32) setEd(cpu, i, v);
  else setEw(cpu, i, v);
}

export function getGb(cpu: Cpu, i: Insn): number {
  return cpu.regs8[i.g8];
}
export function getGv(cpu: Cpu, i: Insn): number {
  return i.os32 ? cpu.regs[i.reg] : cpu.regs16[i.reg << 1];
}
export function setGb(cpu: Cpu, i: Insn, v: number): void {
  cpu.regs8[i.g8] = v;
}
export function setGv(cpu: Cpu, i: Insn, v: number): void {
  if (i.os32) cpu.regs[i.reg] = v;
  else cpu.regs16[i.reg << 1] = v;
}

/** Operand size in bytes (2 or 4). */
export function osize(i: Insn): number {
  return i.os32 ? 4 : 2;
}

/** Linear address of a memory r/m operand about to be read and then written (RMW). */
export function rmwLin(cpu: Cpu, i: Insn, size: number): number {
  return cpu.linW(i.seg, ea(cpu, i), size);
}

export function readLin(cpu: Cpu, lin: number, size: number): number {
  return size === 4 ? cpu.readL32(lin) : size === 2 ? cpu.readL16(lin) : cpu.readL8(lin);
}
export function writeLin(cpu: Cpu, lin: number, size: number, v: number): void {
  if (size === 4) cpu.writeL32(lin, v);
  else if (size === 2) cpu.writeL16(lin, v);
  else cpu.writeL8(lin, v);
}

/** Register operand (Zv forms, ModRM.rm as register) at a size. */
export function getReg(cpu: Cpu, r: number, size: number): number {
  return size === 4 ? cpu.regs[r] : size === 2 ? cpu.regs16[r << 1] : cpu.regs8[REG8[r]];
}
export function setReg(cpu: Cpu, r: number, size: number, v: number): void {
  if (size === 4) cpu.regs[r] = v;
  else if (size === 2) cpu.regs16[r << 1] = v;
  else cpu.regs8[REG8[r]] = v;
}
const REG8 = [0, 4, 8, 12, 1, 5, 9, 13];

/**
 * Reads the r/m operand of an RMW instruction at `size`: returns the value and leaves the
 * location in cpu-independent scratch (rmw.lin / rmw.isReg) for writeRmw.
 */
export const rmw = { lin: 0, reg: 0 };
export function readRmw(cpu: Cpu, i: Insn, size: number): number {
  if (i.isMem) {
    rmw.lin = rmwLin(cpu, i, size);
    return readLin(cpu, rmw.lin, size);
  }
  return getReg(cpu, i.rm, size);
}
export function writeRmw(cpu: Cpu, i: Insn, size: number, v: number): void {
  if (i.isMem) writeLin(cpu, rmw.lin, size, v);
  else setReg(cpu, i.rm, size, v);
}
