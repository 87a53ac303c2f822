/**
 * Multiplication and division: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 *
 * 32x32->64 products are exact without BigInt: the low half is Math.imul, the high half comes
 * from 16-bit partial products (mul32). 64/32 division is two exact 48-bit/32-bit steps (udiv64).
 *
 * Undefined flags (ringside's choice):
 * - MUL/IMUL: SF, ZF and PF follow the low half of the result at the operand size (AL, AX,
 *   EAX, or the truncated destination of the two/three-operand forms); AF = 0. CF = OF as the
 *   SDM defines them.
 * - DIV/IDIV: all six arithmetic flags are left unchanged.
 * #DE (divide by zero, or a quotient that does not fit, including IDIV of the most negative
 * dividend by -1) is raised before any register changes.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { LAZY_LOGIC, MASK, SIGN } from '../cpu';
import { CF, OF, ZF, SF, PF, ARITH_FLAGS, EAX, EDX, DE_VECTOR } from '../constants';
import { getEb, getEv, getReg, setReg } from './operands';

/**
 * High 32 bits of the 64-bit product of `a` and `b` (int32 or uint32 inputs), signed or
 * unsigned. The low 32 bits are Math.imul(a, b). Returns an int32.
 */
export function mul32(a: number, b: number, signed: boolean): number {
  const ua = a >>> 0, ub = b >>> 0;
  const al = ua & 0xffff, ah = ua >>> 16, bl = ub & 0xffff, bh = ub >>> 16;
  const ll = al * bl; // < 2^32, exact
  const mid = ah * bl + al * bh + (ll >>> 16); // < 2^34, exact
  let hi = ah * bh + Math.floor(mid / 65536); // < 2^32: the unsigned high half
  if (signed) {
    // (a - 2^32[a<0]) * (b - 2^32[b<0]) = ua*ub - 2^32 (ub[a<0] + ua[b<0]) mod 2^64
    if ((a | 0) < 0) hi -= ub;
    if ((b | 0) < 0) hi -= ua;
  }
  return hi | 0;
}

/** Output of udiv64/idiv64: quotient and remainder (uint32 for udiv64, int32 for idiv64). */
export const divOut = { q: 0, r: 0 };

/**
 * Unsigned (hi:lo) / d, all three taken as uint32. Returns false for #DE (d = 0 or a quotient
 * of 2^32 or more); otherwise true with the quotient and remainder in divOut.
 */
export function udiv64(hi: number, lo: number, d: number): boolean {
  hi >>>= 0;
  lo >>>= 0;
  d >>>= 0;
  if (d === 0 || hi >= d) return false;
  if (hi === 0) {
    const r = lo % d;
    divOut.q = (lo - r) / d;
    divOut.r = r;
    return true;
  }
  // Two long-division steps of 16 bits; every intermediate is below 2^48, so exact in a double.
  const x1 = hi * 65536 + (lo >>> 16);
  const r1 = x1 % d;
  const q1 = (x1 - r1) / d; // < 2^16 since hi < d
  const x2 = r1 * 65536 + (lo & 0xffff);
  const r2 = x2 % d;
  divOut.q = q1 * 65536 + (x2 - r2) / d;
  divOut.r = r2;
  return true;
}

/**
 * Signed (hi:lo) / d (two's complement 64-bit dividend, int32 divisor), truncating toward zero,
 * the remainder taking the dividend's sign. Returns false for #DE; else true with int32 results
 * in divOut.
 */
export function idiv64(hi: number, lo: number, d: number): boolean {
  hi |= 0;
  d |= 0;
  if (d === 0) return false;
  const negN = hi < 0, negD = d < 0;
  let mh = hi >>> 0, ml = lo >>> 0;
  if (negN) {
    ml = (~lo + 1) >>> 0;
    mh = (~hi + (ml === 0 ? 1 : 0)) >>> 0;
  }
  if (!udiv64(mh, ml, negD ? -d : d)) return false; // -d of -2^31 is 2^31 as a double
  const q = divOut.q, r = divOut.r;
  if (negN !== negD) {
    if (q > 0x80000000) return false;
    divOut.q = -q | 0;
  } else {
    if (q > 0x7fffffff) return false;
    divOut.q = q | 0;
  }
  divOut.r = negN ? -r | 0 : r | 0;
  return true;
}

/** Flags of a multiplication: CF = OF = `overflow`, AF = 0, SF/ZF/PF lazily from `low`. */
function mulFlags(cpu: Cpu, low: number, size: number, overflow: boolean): void {
  cpu.flagsReg = (cpu.flagsReg & ~ARITH_FLAGS) | (overflow ? CF | OF : 0);
  cpu.lop = LAZY_LOGIC;
  cpu.lres = low & MASK[size];
  cpu.lsz = SIGN[size];
  cpu.lazy = ZF | SF | PF;
}

// F6 /4: MUL Eb (AX <- AL * r/m8)
export function mulEb(cpu: Cpu, i: Insn): void {
  const p = cpu.regs8[0] * getEb(cpu, i);
  cpu.regs16[0] = p;
  mulFlags(cpu, p, 1, p > 0xff);
}
// F7 /4: MUL Ev (DX:AX <- AX * r/m16, EDX:EAX <- EAX * r/m32)
export function mulEv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const a = cpu.regs[EAX], b = getEv(cpu, i);
    const hi = mul32(a, b, false);
    const lo = Math.imul(a, b);
    cpu.regs[EAX] = lo;
    cpu.regs[EDX] = hi;
    mulFlags(cpu, lo, 4, hi !== 0);
  } else {
    const p = cpu.regs16[0] * getEv(cpu, i); // < 2^32, exact
    cpu.regs16[0] = p;
    cpu.regs16[EDX << 1] = p >>> 16;
    mulFlags(cpu, p, 2, p > 0xffff);
  }
}
// F6 /5: IMUL Eb (AX <- AL * r/m8, signed)
export function imulEb(cpu: Cpu, i: Insn): void {
  const p = ((cpu.regs8[0] << 24) >> 24) * ((getEb(cpu, i) << 24) >> 24);
  cpu.regs16[0] = p;
  mulFlags(cpu, p, 1, p !== (p << 24) >> 24);
}
// F7 /5: IMUL Ev (DX:AX / EDX:EAX <- eAX * r/m, signed)
export function imulEv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const a = cpu.regs[EAX], b = getEv(cpu, i);
    const hi = mul32(a, b, true);
    const lo = Math.imul(a, b);
    cpu.regs[EAX] = lo;
    cpu.regs[EDX] = hi;
    mulFlags(cpu, lo, 4, hi !== lo >> 31);
  } else {
    const p = ((cpu.regs16[0] << 16) >> 16) * ((getEv(cpu, i) << 16) >> 16); // |p| <= 2^30
    cpu.regs16[0] = p;
    cpu.regs16[EDX << 1] = p >> 16;
    mulFlags(cpu, p, 2, p !== (p << 16) >> 16);
  }
}

/** Truncating signed multiply into register `reg`: dest <- a * b at the operand size. */
function imulInto(cpu: Cpu, reg: number, a: number, b: number, os32: boolean): void {
  if (os32) {
    const lo = Math.imul(a, b);
    const hi = mul32(a, b, true);
    cpu.regs[reg] = lo;
    mulFlags(cpu, lo, 4, hi !== lo >> 31);
  } else {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    setReg(cpu, reg, 2, p);
    mulFlags(cpu, p, 2, p !== (p << 16) >> 16);
  }
}
// 0F AF /r: IMUL Gv,Ev
export function imulGvEv(cpu: Cpu, i: Insn): void {
  const s = getEv(cpu, i);
  imulInto(cpu, i.reg, getReg(cpu, i.reg, i.os32 ? 4 : 2), s, i.os32);
}
// 69 /r iz, 6B /r ib: IMUL Gv,Ev,Iz / Gv,Ev,Ib (the Ib form's immediate is sign-extended)
export function imulGvEvIz(cpu: Cpu, i: Insn): void {
  imulInto(cpu, i.reg, getEv(cpu, i), i.imm, i.os32); // imulInto sign-extends 16-bit operands
}

function divideError(cpu: Cpu): never {
  return cpu.raise(DE_VECTOR, -1);
}

// F6 /6: DIV Eb (AL <- AX / r/m8, AH <- remainder)
export function divEb(cpu: Cpu, i: Insn): void {
  const d = getEb(cpu, i);
  if (d === 0) divideError(cpu);
  const a = cpu.regs16[0];
  const r = a % d;
  const q = (a - r) / d;
  if (q > 0xff) divideError(cpu);
  cpu.regs16[0] = (r << 8) | q;
}
// F7 /6: DIV Ev (AX <- DX:AX / r/m16, DX <- remainder; EAX <- EDX:EAX / r/m32, EDX <- remainder)
export function divEv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const d = getEv(cpu, i);
    if (!udiv64(cpu.regs[EDX], cpu.regs[EAX], d)) divideError(cpu);
    cpu.regs[EAX] = divOut.q;
    cpu.regs[EDX] = divOut.r;
  } else {
    const d = getEv(cpu, i);
    if (d === 0) divideError(cpu);
    const a = ((cpu.regs16[EDX << 1] << 16) | cpu.regs16[0]) >>> 0;
    const r = a % d;
    const q = (a - r) / d;
    if (q > 0xffff) divideError(cpu);
    cpu.regs16[0] = q;
    cpu.regs16[EDX << 1] = r;
  }
}
// F6 /7: IDIV Eb (AL <- AX / r/m8 signed, AH <- remainder)
export function idivEb(cpu: Cpu, i: Insn): void {
  const d = (getEb(cpu, i) << 24) >> 24;
  if (d === 0) divideError(cpu);
  const a = (cpu.regs16[0] << 16) >> 16;
  const r = a % d; // takes the dividend's sign, as IDIV's remainder does
  const q = (a - r) / d;
  if (q > 127 || q < -128) divideError(cpu);
  cpu.regs16[0] = ((r & 0xff) << 8) | (q & 0xff);
}
// F7 /7: IDIV Ev (signed DX:AX / r/m16 or EDX:EAX / r/m32)
export function idivEv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const d = getEv(cpu, i);
    if (!idiv64(cpu.regs[EDX], cpu.regs[EAX], d)) divideError(cpu);
    cpu.regs[EAX] = divOut.q;
    cpu.regs[EDX] = divOut.r;
  } else {
    const d = (getEv(cpu, i) << 16) >> 16;
    if (d === 0) divideError(cpu);
    const a = (cpu.regs16[EDX << 1] << 16) | cpu.regs16[0]; // int32
    const r = a % d;
    const q = (a - r) / d; // -2^31 / -1 = 2^31 here: caught below
    if (q > 32767 || q < -32768) divideError(cpu);
    cpu.regs16[0] = q;
    cpu.regs16[EDX << 1] = r;
  }
}
