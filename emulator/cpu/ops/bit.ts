/**
 * Bit instructions: BT/BTS/BTR/BTC, BSF/BSR, BSWAP, SETcc, CMOVcc.
 *
 * Undefined flags and results (ringside's choice):
 * - BT/BTS/BTR/BTC: only CF changes; OF, SF, AF and PF (undefined) and ZF keep their values.
 * - BSF/BSR with a nonzero source: ZF = 0, CF = OF = SF = AF = 0 and PF from the index written
 *   (the flags of a logical operation on the result, as Bochs models Intel parts). With a zero
 *   source: ZF = 1, the destination is unchanged (as Intel and AMD hardware do) and the other
 *   flags keep their values.
 * - BSWAP with a 16-bit operand size (undefined result): the low word becomes 0, the upper word
 *   is unchanged (what Intel hardware does).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { CF, ZF, PF, ARITH_FLAGS } from '../constants';
import { ea, getEv, setEb, setGv, getReg, setReg, readLin, writeLin } from './operands';

export const BT_TEST = 0, BT_SET = 1, BT_RESET = 2, BT_COMPLEMENT = 3;

/** CF <- bit (0/1); the other flags keep their values. */
function setCF(cpu: Cpu, bit: number): void {
  cpu.lazy &= ~CF;
  cpu.flagsReg = (cpu.flagsReg & ~CF) | bit;
}

/** The value after BTS/BTR/BTC of `bit` (masked to the operand by the caller's write). */
function btApply(op: number, v: number, bit: number): number {
  const m = 1 << bit;
  return op === BT_SET ? v | m : op === BT_RESET ? v & ~m : v ^ m;
}

/** BTx on the operand at offset `off` in segment i.seg (memory forms). */
function btMem(cpu: Cpu, i: Insn, off: number, bit: number, size: number): void {
  const op = i.arg;
  if (op === BT_TEST) {
    const v = readLin(cpu, cpu.linR(i.seg, off, size), size);
    setCF(cpu, (v >>> bit) & 1);
    return;
  }
  const lin = cpu.linW(i.seg, off, size);
  const v = readLin(cpu, lin, size);
  writeLin(cpu, lin, size, btApply(op, v, bit));
  setCF(cpu, (v >>> bit) & 1);
}

/** BTx on register rm. */
function btReg(cpu: Cpu, i: Insn, bit: number, size: number): void {
  const op = i.arg;
  const v = getReg(cpu, i.rm, size);
  if (op !== BT_TEST) setReg(cpu, i.rm, size, btApply(op, v, bit));
  setCF(cpu, (v >>> bit) & 1);
}

// 0F A3 /r BT, 0F AB /r BTS, 0F B3 /r BTR, 0F BB /r BTC: Ev,Gv (arg = operation)
// With a memory operand the bit offset is signed and unbounded: the operand is the dword
// (word) at ea + 4 * floor(offset / 32) (ea + 2 * floor(offset / 16)), the address wrapping at
// the address size; the bit is offset mod 32 (16).
export function btEvGv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const off = cpu.regs[i.reg];
    if (!i.isMem) btReg(cpu, i, off & 31, 4);
    else {
      const a = ea(cpu, i) + (off >> 5) * 4;
      btMem(cpu, i, i.as32 ? a >>> 0 : a & 0xffff, off & 31, 4);
    }
  } else {
    const off = (cpu.regs16[i.reg << 1] << 16) >> 16;
    if (!i.isMem) btReg(cpu, i, off & 15, 2);
    else {
      const a = ea(cpu, i) + (off >> 4) * 2;
      btMem(cpu, i, i.as32 ? a >>> 0 : a & 0xffff, off & 15, 2);
    }
  }
}

// 0F BA /4 ib BT, /5 BTS, /6 BTR, /7 BTC: Ev,Ib (the offset is masked to the operand size)
export function btEvIb(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const bit = i.imm & (size * 8 - 1);
  if (i.isMem) btMem(cpu, i, ea(cpu, i), bit, size);
  else btReg(cpu, i, bit, size);
}

/** BSF/BSR result flags: see the file comment. */
function bsFlags(cpu: Cpu, index: number): void {
  cpu.lazy = 0;
  cpu.flagsReg = (cpu.flagsReg & ~ARITH_FLAGS) | (cpu.flagsOfResult(index, 4) & PF);
}
function bsZero(cpu: Cpu): void {
  cpu.lazy &= ~ZF;
  cpu.flagsReg |= ZF;
}

// 0F BC /r: BSF Gv,Ev
export function bsfGvEv(cpu: Cpu, i: Insn): void {
  const s = getEv(cpu, i);
  if (s === 0) {
    bsZero(cpu);
    return;
  }
  const index = 31 - Math.clz32(s & -s);
  setGv(cpu, i, index);
  bsFlags(cpu, index);
}
// 0F BD /r: BSR Gv,Ev
export function bsrGvEv(cpu: Cpu, i: Insn): void {
  const s = getEv(cpu, i);
  if (s === 0) {
    bsZero(cpu);
    return;
  }
  const index = 31 - Math.clz32(s);
  setGv(cpu, i, index);
  bsFlags(cpu, index);
}

// 0F C8+r: BSWAP Zd (arg = register)
export function bswapZd(cpu: Cpu, i: Insn): void {
  const r = i.arg;
  if (!i.os32) {
    cpu.regs16[r << 1] = 0; // undefined: zero the low word, as Intel parts do
    return;
  }
  const v = cpu.regs[r];
  cpu.regs[r] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

// 0F 90+cc /r: SETcc Eb (arg = condition code; ModRM.reg is ignored)
export function setccEb(cpu: Cpu, i: Insn): void {
  setEb(cpu, i, cpu.cond(i.arg) ? 1 : 0);
}

// 0F 40+cc /r: CMOVcc Gv,Ev (arg = condition code). The source is read whatever the condition,
// so a memory fault happens either way; with a false condition the destination is unchanged.
export function cmovccGvEv(cpu: Cpu, i: Insn): void {
  const v = getEv(cpu, i);
  if (cpu.cond(i.arg)) setGv(cpu, i, v);
}
