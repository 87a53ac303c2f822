/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC, DEC, NEG, NOT, the
 * BCD adjustments, and the flag instructions. Flags follow the SDM exactly; where the SDM leaves
 * a flag undefined, ringside's choice is stated at the instruction (and in the README).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, MASK, SIGN } from '../cpu';
import { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP } from '../opcodes';
import { CF, AF, ARITH_FLAGS, EAX, DE_VECTOR } from '../constants';
import { ea, getReg, setReg, readLin, writeLin, getEb, getEv } from './operands';

/** The result of ALU operation `op` at `size` bytes (masked; int32 for 32 bits). */
export function aluResult(op: number, d: number, s: number, cin: number, size: number): number {
  const m = MASK[size];
  switch (op) {
    case ALU_ADD: return (d + s) & m;
    case ALU_OR: return (d | s) & m;
    case ALU_ADC: return (d + s + cin) & m;
    case ALU_SBB: return (d - s - cin) & m;
    case ALU_AND: return d & s & m;
    case ALU_XOR: return (d ^ s) & m;
    default: return (d - s) & m; // SUB, CMP
  }
}

const LAZY_OF_ALU = [LAZY_ADD, LAZY_LOGIC, LAZY_ADC, LAZY_SBB, LAZY_LOGIC, LAZY_SUB, LAZY_LOGIC, LAZY_SUB];

/** Records the flags of ALU operation `op` lazily. */
export function aluFlags(cpu: Cpu, op: number, d: number, s: number, r: number, cin: number, size: number): void {
  cpu.lop = LAZY_OF_ALU[op];
  cpu.ldst = d;
  cpu.lsrc = s;
  cpu.lres = r;
  cpu.lsz = SIGN[size];
  cpu.lcin = cin;
  cpu.lazy = ARITH_FLAGS;
}

/** ALU operation with the r/m operand as destination and `s` as source. */
function aluE(cpu: Cpu, i: Insn, size: number, s: number): void {
  const op = i.arg;
  const cin = (op === ALU_ADC || op === ALU_SBB) && cpu.getCF() ? 1 : 0;
  let d: number;
  let lin = 0;
  if (i.isMem) {
    lin = op === ALU_CMP ? cpu.linR(i.seg, ea(cpu, i), size) : cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  const r = aluResult(op, d, s, cin, size);
  if (op !== ALU_CMP) {
    if (i.isMem) writeLin(cpu, lin, size, r);
    else setReg(cpu, i.rm, size, r);
  }
  aluFlags(cpu, op, d, s, r, cin, size);
}

/** ALU operation into a register (reg operand or accumulator). */
function aluReg(cpu: Cpu, op: number, reg: number, size: number, s: number): void {
  const cin = (op === ALU_ADC || op === ALU_SBB) && cpu.getCF() ? 1 : 0;
  const d = getReg(cpu, reg, size);
  const r = aluResult(op, d, s, cin, size);
  if (op !== ALU_CMP) setReg(cpu, reg, size, r);
  aluFlags(cpu, op, d, s, r, cin, size);
}

// 00 /r etc.: ADD Eb,Gb ... CMP Eb,Gb
export function aluEbGb(cpu: Cpu, i: Insn): void {
  aluE(cpu, i, 1, cpu.regs8[i.g8]);
}
// 01 /r: ADD Ev,Gv
export function aluEvGv(cpu: Cpu, i: Insn): void {
  // (The 32-bit register-to-register forms run as specialized handlers: ops/fast.ts.)
  if (i.os32) aluE(cpu, i, 4, cpu.regs[i.reg]);
  else aluE(cpu, i, 2, cpu.regs16[i.reg << 1]);
}
// 02 /r: ADD Gb,Eb
export function aluGbEb(cpu: Cpu, i: Insn): void {
  const s = getEb(cpu, i);
  const op = i.arg;
  const cin = (op === ALU_ADC || op === ALU_SBB) && cpu.getCF() ? 1 : 0;
  const d = cpu.regs8[i.g8];
  const r = aluResult(op, d, s, cin, 1);
  if (op !== ALU_CMP) cpu.regs8[i.g8] = r;
  aluFlags(cpu, op, d, s, r, cin, 1);
}
// 03 /r: ADD Gv,Ev
export function aluGvEv(cpu: Cpu, i: Insn): void {
  aluReg(cpu, i.arg, i.reg, i.os32 ? 4 : 2, getEv(cpu, i));
}
// 04 ib: ADD AL,Ib
export function aluALIb(cpu: Cpu, i: Insn): void {
  const op = i.arg;
  const cin = (op === ALU_ADC || op === ALU_SBB) && cpu.getCF() ? 1 : 0;
  const d = cpu.regs8[0];
  const r = aluResult(op, d, i.imm, cin, 1);
  if (op !== ALU_CMP) cpu.regs8[0] = r;
  aluFlags(cpu, op, d, i.imm, r, cin, 1);
}
// 05 iz: ADD eAX,Iz
export function aluEAXIz(cpu: Cpu, i: Insn): void {
  aluReg(cpu, i.arg, EAX, i.os32 ? 4 : 2, i.os32 ? i.imm : i.imm & 0xffff);
}
// 80 /n ib: ADD Eb,Ib
export function aluEbIb(cpu: Cpu, i: Insn): void {
  aluE(cpu, i, 1, i.imm & 0xff);
}
// 81 /n iz, 83 /n ib: ADD Ev,Iz / ADD Ev,Ib (sign-extended)
export function aluEvIz(cpu: Cpu, i: Insn): void {
  aluE(cpu, i, i.os32 ? 4 : 2, i.os32 ? i.imm : i.imm & 0xffff);
}
// 83 /digit ib: ALU Ev,Ib (the decoder sign-extends the immediate to the operand size)
export const aluEvIb: (cpu: Cpu, i: Insn) => void = aluEvIz;

function testFlags(cpu: Cpu, r: number, size: number): void {
  aluFlags(cpu, ALU_AND, r, r, r & MASK[size], 0, size);
}
// 84 /r: TEST Eb,Gb
export function testEbGb(cpu: Cpu, i: Insn): void {
  testFlags(cpu, getEb(cpu, i) & cpu.regs8[i.g8], 1);
}
// 85 /r: TEST Ev,Gv
export function testEvGv(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  testFlags(cpu, getEv(cpu, i) & getReg(cpu, i.reg, size), size);
}
// A8 ib: TEST AL,Ib
export function testALIb(cpu: Cpu, i: Insn): void {
  testFlags(cpu, cpu.regs8[0] & i.imm, 1);
}
// A9 iz: TEST eAX,Iz
export function testEAXIz(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  testFlags(cpu, getReg(cpu, EAX, size) & i.imm, size);
}
// F6 /0 ib: TEST Eb,Ib
export function testEbIb(cpu: Cpu, i: Insn): void {
  testFlags(cpu, getEb(cpu, i) & i.imm, 1);
}
// F7 /0 iz: TEST Ev,Iz
export function testEvIz(cpu: Cpu, i: Insn): void {
  testFlags(cpu, getEv(cpu, i) & i.imm, i.os32 ? 4 : 2);
}

/** INC/DEC: like ADD/SUB 1 but CF is kept, so a lazy CF is made concrete first. */
export function incDecFlags(cpu: Cpu, d: number, r: number, size: number, dec: boolean): void {
  if ((cpu.lazy & CF) !== 0) {
    if (cpu.lop === LAZY_LOGIC) {
      cpu.flagsReg &= ~CF; // logic operations clear CF: nothing to compute
      cpu.lazy &= ~CF;
    } else cpu.materialize(CF);
  }
  cpu.lop = dec ? LAZY_SUB : LAZY_ADD;
  cpu.ldst = d;
  cpu.lsrc = 1;
  cpu.lres = r;
  cpu.lsz = SIGN[size];
  cpu.lazy = ARITH_FLAGS & ~CF;
}

function incDecE(cpu: Cpu, i: Insn, size: number, dec: boolean): void {
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  const r = (dec ? d - 1 : d + 1) & MASK[size];
  if (i.isMem) writeLin(cpu, lin, size, r);
  else setReg(cpu, i.rm, size, r);
  incDecFlags(cpu, d, r, size, dec);
}
// 40+r: INC Zv
export function incZv(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const d = getReg(cpu, i.arg, size);
  const r = (d + 1) & MASK[size];
  setReg(cpu, i.arg, size, r);
  incDecFlags(cpu, d, r, size, false);
}
// 48+r: DEC Zv
export function decZv(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const d = getReg(cpu, i.arg, size);
  const r = (d - 1) & MASK[size];
  setReg(cpu, i.arg, size, r);
  incDecFlags(cpu, d, r, size, true);
}
// FE /0, FE /1
export function incEb(cpu: Cpu, i: Insn): void {
  incDecE(cpu, i, 1, false);
}
export function decEb(cpu: Cpu, i: Insn): void {
  incDecE(cpu, i, 1, true);
}
// FF /0, FF /1
export function incEv(cpu: Cpu, i: Insn): void {
  incDecE(cpu, i, i.os32 ? 4 : 2, false);
}
export function decEv(cpu: Cpu, i: Insn): void {
  incDecE(cpu, i, i.os32 ? 4 : 2, true);
}

function notE(cpu: Cpu, i: Insn, size: number): void {
  if (i.isMem) {
    const lin = cpu.linW(i.seg, ea(cpu, i), size);
    writeLin(cpu, lin, size, ~readLin(cpu, lin, size) & MASK[size]);
  } else setReg(cpu, i.rm, size, ~getReg(cpu, i.rm, size) & MASK[size]);
}
// F6 /2, F7 /2: NOT (no flags)
export function notEb(cpu: Cpu, i: Insn): void {
  notE(cpu, i, 1);
}
export function notEv(cpu: Cpu, i: Insn): void {
  notE(cpu, i, i.os32 ? 4 : 2);
}

function negE(cpu: Cpu, i: Insn, size: number): void {
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  const r = -d & MASK[size];
  if (i.isMem) writeLin(cpu, lin, size, r);
  else setReg(cpu, i.rm, size, r);
  aluFlags(cpu, ALU_SUB, 0, d, r, 0, size); // NEG = 0 - d: CF = (d != 0)
}
// F6 /3, F7 /3: NEG
export function negEb(cpu: Cpu, i: Insn): void {
  negE(cpu, i, 1);
}
export function negEv(cpu: Cpu, i: Insn): void {
  negE(cpu, i, i.os32 ? 4 : 2);
}

// --- BCD (OF is undefined after DAA/DAS/AAA/AAS/AAM/AAD: ringside clears it; AAA/AAS set
// SF/ZF/PF from AL, AAM/AAD clear AF and CF) -------------------------------------------------
function setAL(cpu: Cpu, al: number, cf: boolean, af: boolean): void {
  cpu.regs8[0] = al;
  cpu.setArith(ARITH_FLAGS, cpu.flagsOfResult(al, 1) | (cf ? CF : 0) | (af ? AF : 0));
}
// 27: DAA
export function daa(cpu: Cpu): void {
  const old = cpu.regs8[0], oldCf = cpu.getCF();
  let al = old, cf = false, af = false;
  if ((al & 0xf) > 9 || cpu.getAF()) {
    cf = oldCf || al + 6 > 0xff;
    al = (al + 6) & 0xff;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    al = (al + 0x60) & 0xff;
    cf = true;
  } else cf = false;
  setAL(cpu, al, cf, af);
}
// 2F: DAS
export function das(cpu: Cpu): void {
  const old = cpu.regs8[0], oldCf = cpu.getCF();
  let al = old, cf = false, af = false;
  if ((al & 0xf) > 9 || cpu.getAF()) {
    cf = oldCf || al < 6;
    al = (al - 6) & 0xff;
    af = true;
  }
  if (old > 0x99 || oldCf) {
    al = (al - 0x60) & 0xff;
    cf = true;
  }
  setAL(cpu, al, cf, af);
}
// 37: AAA
export function aaa(cpu: Cpu): void {
  const adjust = (cpu.regs8[0] & 0xf) > 9 || cpu.getAF();
  if (adjust) cpu.regs16[0] = (cpu.regs16[0] + 0x106) & 0xffff;
  setAL(cpu, cpu.regs8[0] & 0xf, adjust, adjust);
}
// 3F: AAS
export function aas(cpu: Cpu): void {
  const adjust = (cpu.regs8[0] & 0xf) > 9 || cpu.getAF();
  if (adjust) {
    cpu.regs16[0] = (cpu.regs16[0] - 6) & 0xffff;
    cpu.regs8[1] = (cpu.regs8[1] - 1) & 0xff;
  }
  setAL(cpu, cpu.regs8[0] & 0xf, adjust, adjust);
}
// D4 ib: AAM
export function aam(cpu: Cpu, i: Insn): void {
  if (i.imm === 0) cpu.raise(DE_VECTOR, -1);
  const al = cpu.regs8[0];
  cpu.regs8[1] = Math.floor(al / i.imm);
  setAL(cpu, al % i.imm, false, false);
}
// D5 ib: AAD
export function aad(cpu: Cpu, i: Insn): void {
  const al = (cpu.regs8[0] + cpu.regs8[1] * i.imm) & 0xff;
  cpu.regs8[1] = 0;
  setAL(cpu, al, false, false);
}

// --- Flag instructions --------------------------------------------------------------------

