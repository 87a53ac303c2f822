/**
 * Segment register control (Bochs' segment_ctrl): MOV Sreg, PUSH/POP Sreg, LES LDS LSS LFS LGS.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { SS, CS, UD_VECTOR } from '../constants';
import { ea, getEw, setEv, setGv } from './operands';
import { loadSegment } from '../segments';
// 06, 0E, 16, 1E, 0F A0, 0F A8: PUSH Sreg
export function pushSreg(cpu: Cpu, i: Insn): void {
  cpu.push(cpu.segSel[i.arg], i.os32);
}

// 07, 17, 1F, 0F A1, 0F A9: POP Sreg
export function popSreg(cpu: Cpu, i: Insn): void {
  const sel = cpu.peek(0, i.os32) & 0xffff;
  loadSegment(cpu, i.arg, sel);
  cpu.setSp(cpu.spAdd(i.os32 ? 4 : 2));
  if (i.arg === SS) cpu.irqShadow = cpu.icount + 1;
}

// 8E /r: MOV Sreg,Ew (MOV CS is #UD)
export function movSwEw(cpu: Cpu, i: Insn): void {
  if (i.reg === CS || i.reg > 5) cpu.raise(UD_VECTOR, -1);
  loadSegment(cpu, i.reg, getEw(cpu, i));
  if (i.reg === SS) cpu.irqShadow = cpu.icount + 1;
}

// 8C /r: MOV Ev,Sreg (a register destination is zero-extended with a 32-bit operand size; a
// memory destination is always written as 16 bits)
export function movEvSw(cpu: Cpu, i: Insn): void {
  if (i.reg > 5) cpu.raise(UD_VECTOR, -1);
  const v = cpu.segSel[i.reg];
  if (i.isMem) cpu.wr16(i.seg, ea(cpu, i), v);
  else setEv(cpu, i, v);
}

// C4/C5/0F B2/0F B4/0F B5: LES LDS LSS LFS LGS Gv,Mp (arg = segment register)
export function lfpGvMp(cpu: Cpu, i: Insn): void {
  const off = ea(cpu, i);
  const size = i.os32 ? 4 : 2;
  const v = i.os32 ? cpu.rd32(i.seg, off) : cpu.rd16(i.seg, off);
  const sel = cpu.rd16(i.seg, i.as32 ? (off + size) >>> 0 : (off + size) & 0xffff);
  loadSegment(cpu, i.arg, sel);
  setGv(cpu, i, v);
  if (i.arg === SS) cpu.irqShadow = cpu.icount + 1;
}
