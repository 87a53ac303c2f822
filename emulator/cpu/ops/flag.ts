/**
 * Flag control (Bochs' flag_ctrl): CLC STC CMC CLD STD CLI STI, LAHF SAHF, PUSHF POPF, CLAC STAC.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { CF, AF, ZF, SF, PF, DF, IF, IOPL, VM, RF, AC, FLAGS_IMPLEMENTED, FIXED1, UD_VECTOR } from '../constants';
// F5: CMC, F8: CLC, F9: STC, FC: CLD, FD: STD
export function cmc(cpu: Cpu): void {
  cpu.setArith(CF, cpu.getCF() ? 0 : CF);
}

export function clc(cpu: Cpu): void {
  cpu.setArith(CF, 0);
}

export function stc(cpu: Cpu): void {
  cpu.setArith(CF, CF);
}

export function cld(cpu: Cpu): void {
  cpu.flagsReg &= ~DF;
}

export function std(cpu: Cpu): void {
  cpu.flagsReg |= DF;
}

// 9F: LAHF: AH <- SF:ZF:0:AF:0:PF:1:CF
export function lahf(cpu: Cpu): void {
  cpu.regs8[1] = (cpu.getFlags() & (SF | ZF | AF | PF | CF)) | 2;
}

// 9E: SAHF
export function sahf(cpu: Cpu): void {
  cpu.setArith(SF | ZF | AF | PF | CF, cpu.regs8[1]);
}

// FA: CLI (#GP(0) when CPL > IOPL; PVI/VME are not implemented)
export function cli(cpu: Cpu): void {
  if (cpu.cpl > cpu.iopl()) cpu.gp(0);
  const was = (cpu.flagsReg & IF) !== 0;
  cpu.flagsReg &= ~IF;
  if (cpu.observer !== null) cpu.observer.interruptFlag(false, 'cli', was);
}

// FB: STI (interrupts stay inhibited until after the next instruction)
export function sti(cpu: Cpu): void {
  if (cpu.cpl > cpu.iopl()) cpu.gp(0);
  const was = (cpu.flagsReg & IF) !== 0;
  if (!was) cpu.irqShadow = cpu.icount + 1;
  cpu.flagsReg |= IF;
  cpu.brk = true;
  if (cpu.observer !== null) cpu.observer.interruptFlag(true, 'sti', !was);
}

// 9C: PUSHF / PUSHFD (VM and RF read as 0 in the pushed image)
export function pushf(cpu: Cpu, i: Insn): void {
  const f = cpu.getFlags() & ~(VM | RF);
  cpu.push(i.os32 ? f : f & 0xffff, i.os32);
}

export function popf(cpu: Cpu, i: Insn): void {
  const v = cpu.peek(0, i.os32);
  const old = cpu.getFlags();
  let mask = FLAGS_IMPLEMENTED & ~(VM | RF);
  if (cpu.cpl > 0) {
    mask &= ~IOPL;
    if (cpu.cpl > cpu.iopl()) mask &= ~IF;
  }
  if (!i.os32) mask &= 0xffff;
  cpu.setSp(cpu.spAdd(i.os32 ? 4 : 2));
  const f = (old & ~mask) | (v & mask) | FIXED1;
  cpu.setFlags(f & ~RF);
  if (cpu.observer !== null && ((old ^ v) & IF) !== 0) {
    cpu.observer.interruptFlag((f & IF) !== 0, 'popf', ((old ^ f) & IF) !== 0);
  }
}

// 0F 01 CA: CLAC, 0F 01 CB: STAC (SMAP's override of supervisor accesses to user pages; #UD at CPL > 0)
export function clac(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.raise(UD_VECTOR, -1);
  cpu.flagsReg &= ~AC;
}

export function stac(cpu: Cpu): void {
  if (cpu.cpl !== 0) cpu.raise(UD_VECTOR, -1);
  cpu.flagsReg |= AC;
}
