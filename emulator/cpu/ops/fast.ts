/**
 * Specialized forms of the hottest instructions, chosen at decode time (see Specializer in
 * decoder.ts). Each is the general handler with the operand size, the operand kind and the
 * operation fixed, so the per-instruction path has no dispatch left. Semantics are identical
 * to the general handlers, which the instruction tests exercise through both paths.
 */
import type { Cpu } from '../cpu';
import type { Insn, Handler } from '../insn';
import type { Specializer } from '../decoder';
import { LAZY_ADD, LAZY_SUB, LAZY_LOGIC, SIGN } from '../cpu';
import { ARITH_FLAGS, CF, CS, OF, ZF, SF, PF } from '../constants';
import { ALU_ADD, ALU_OR, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP } from '../opcodes';
import type { HandlerName } from '../opcodes';
import { ea } from './operands';
import { incDecFlags } from './alu';

const S32 = SIGN[4];

function lazy32(cpu: Cpu, op: number, d: number, s: number, r: number): void {
  cpu.lop = op;
  cpu.ldst = d;
  cpu.lsrc = s;
  cpu.lres = r;
  cpu.lsz = S32;
  cpu.lcin = 0;
  cpu.lazy = ARITH_FLAGS;
}

// ALU r32, r32 (01/03 /r with mod = 3, 32-bit): destination rm, source reg.
function addRR(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = cpu.regs[i.reg];
  const r = (d + s) | 0;
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_ADD, d, s, r);
}
function subRR(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = cpu.regs[i.reg];
  const r = (d - s) | 0;
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_SUB, d, s, r);
}
function cmpRR(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = cpu.regs[i.reg];
  lazy32(cpu, LAZY_SUB, d, s, (d - s) | 0);
}
function xorRR(cpu: Cpu, i: Insn): void {
  const r = cpu.regs[i.rm] ^ cpu.regs[i.reg];
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_LOGIC, r, r, r);
}
function andRR(cpu: Cpu, i: Insn): void {
  const r = cpu.regs[i.rm] & cpu.regs[i.reg];
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_LOGIC, r, r, r);
}
function orRR(cpu: Cpu, i: Insn): void {
  const r = cpu.regs[i.rm] | cpu.regs[i.reg];
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_LOGIC, r, r, r);
}
const ALU_RR: (Handler | undefined)[] = [];
ALU_RR[ALU_ADD] = addRR;
ALU_RR[ALU_SUB] = subRR;
ALU_RR[ALU_CMP] = cmpRR;
ALU_RR[ALU_XOR] = xorRR;
ALU_RR[ALU_AND] = andRR;
ALU_RR[ALU_OR] = orRR;

// ALU r32, imm (81/83 /n with mod = 3, 32-bit).
function addRI(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = i.imm;
  const r = (d + s) | 0;
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_ADD, d, s, r);
}
function subRI(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = i.imm;
  const r = (d - s) | 0;
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_SUB, d, s, r);
}
function cmpRI(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], s = i.imm;
  lazy32(cpu, LAZY_SUB, d, s, (d - s) | 0);
}
function andRI(cpu: Cpu, i: Insn): void {
  const r = cpu.regs[i.rm] & i.imm;
  cpu.regs[i.rm] = r;
  lazy32(cpu, LAZY_LOGIC, r, r, r);
}
const ALU_RI: (Handler | undefined)[] = [];
ALU_RI[ALU_ADD] = addRI;
ALU_RI[ALU_SUB] = subRI;
ALU_RI[ALU_CMP] = cmpRI;
ALU_RI[ALU_AND] = andRI;

// INC/DEC r32 (40+r / 48+r).
function inc32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.arg];
  const r = (d + 1) | 0;
  cpu.regs[i.arg] = r;
  incDecFlags(cpu, d, r, 4, false);
}
function dec32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.arg];
  const r = (d - 1) | 0;
  cpu.regs[i.arg] = r;
  incDecFlags(cpu, d, r, 4, true);
}

// MOV r32, r32 / MOV r32, [mem] / MOV [mem], r32 (8B/89, 32-bit).
function movRR(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = cpu.regs[i.rm];
}
function movRM(cpu: Cpu, i: Insn): void {
  cpu.regs[i.reg] = cpu.rd32(i.seg, ea(cpu, i));
}
function movMR(cpu: Cpu, i: Insn): void {
  cpu.wr32(i.seg, ea(cpu, i), cpu.regs[i.reg]);
}

// Jcc rel with a 32-bit operand size, one handler per condition.
function target(cpu: Cpu, i: Insn): void {
  const t = (cpu.next + i.imm) >>> 0;
  if (t > cpu.segLimit[CS]) cpu.gp(0);
  cpu.next = t;
}
const JCC: Handler[] = [
  (c, i) => { if (c.getOF()) target(c, i); },
  (c, i) => { if (!c.getOF()) target(c, i); },
  (c, i) => { if (c.getCF()) target(c, i); },
  (c, i) => { if (!c.getCF()) target(c, i); },
  (c, i) => { if (c.getZF()) target(c, i); },
  (c, i) => { if (!c.getZF()) target(c, i); },
  (c, i) => { if (c.getCF() || c.getZF()) target(c, i); },
  (c, i) => { if (!(c.getCF() || c.getZF())) target(c, i); },
  (c, i) => { if (c.getSF()) target(c, i); },
  (c, i) => { if (!c.getSF()) target(c, i); },
  (c, i) => { if (c.getPF()) target(c, i); },
  (c, i) => { if (!c.getPF()) target(c, i); },
  (c, i) => { if (c.getSF() !== c.getOF()) target(c, i); },
  (c, i) => { if (c.getSF() === c.getOF()) target(c, i); },
  (c, i) => { if (c.getZF() || c.getSF() !== c.getOF()) target(c, i); },
  (c, i) => { if (!c.getZF() && c.getSF() === c.getOF()) target(c, i); },
];

// Shifts and rotates of a 32-bit register by a constant (C1 /n ib, D1 /n) with a nonzero count.
function rol32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], c = i.imm;
  const r = (d << c) | (d >>> (32 - c));
  cpu.regs[i.rm] = r;
  const cf = r & 1;
  cpu.lazy &= ~(CF | OF);
  cpu.flagsReg = (cpu.flagsReg & ~(CF | OF)) | cf | ((cf ^ (r >>> 31)) !== 0 ? OF : 0);
}
function ror32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], c = i.imm;
  const r = (d >>> c) | (d << (32 - c));
  cpu.regs[i.rm] = r;
  const cf = r >>> 31;
  cpu.lazy &= ~(CF | OF);
  cpu.flagsReg = (cpu.flagsReg & ~(CF | OF)) | cf | ((cf ^ ((r >>> 30) & 1)) !== 0 ? OF : 0);
}
function shiftFlags32(cpu: Cpu, r: number, cf: number, of: number): void {
  cpu.flagsReg = (cpu.flagsReg & ~ARITH_FLAGS) | cf | (of !== 0 ? OF : 0);
  cpu.lop = LAZY_LOGIC;
  cpu.lres = r;
  cpu.lsz = S32;
  cpu.lazy = ZF | SF | PF;
}
function shl32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], c = i.imm;
  const r = d << c;
  cpu.regs[i.rm] = r;
  const cf = (d >>> (32 - c)) & 1;
  shiftFlags32(cpu, r, cf, cf ^ (r >>> 31));
}
function shr32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], c = i.imm;
  const r = (d >>> c) | 0;
  cpu.regs[i.rm] = r;
  shiftFlags32(cpu, r, (d >>> (c - 1)) & 1, c === 1 ? d >>> 31 : 0);
}
function sar32(cpu: Cpu, i: Insn): void {
  const d = cpu.regs[i.rm], c = i.imm;
  const r = d >> c;
  cpu.regs[i.rm] = r;
  shiftFlags32(cpu, r, (d >> (c - 1)) & 1, 0);
}
const SHIFT_CONST: (Handler | undefined)[] = [rol32, ror32, undefined, undefined, shl32, shr32, shl32, sar32];

/** The constant-count 32-bit register forms; the count is folded into i.imm. */
function specializeShift(i: Insn): Handler | undefined {
  if (!i.os32 || i.isMem || i.arg === 2) return undefined;
  const count = (i.arg === 1 ? 1 : i.imm) & 31;
  const h = SHIFT_CONST[i.reg];
  if (count === 0 || h === undefined) return undefined;
  i.imm = count;
  return h;
}

export const SPECIALIZERS: Partial<Record<HandlerName, Specializer>> = {
  aluEvGv: (i) => (i.os32 && !i.isMem ? ALU_RR[i.arg] : undefined),
  aluEvIz: (i) => (i.os32 && !i.isMem ? ALU_RI[i.arg] : undefined),
  aluEvIb: (i) => (i.os32 && !i.isMem ? ALU_RI[i.arg] : undefined),
  incZv: (i) => (i.os32 ? inc32 : undefined),
  decZv: (i) => (i.os32 ? dec32 : undefined),
  movGvEv: (i) => (i.os32 ? (i.isMem ? movRM : movRR) : undefined),
  movEvGv: (i) => (i.os32 ? (i.isMem ? movMR : undefined) : undefined),
  jcc: (i) => (i.os32 ? JCC[i.arg] : undefined),
  shiftEv: specializeShift,
};
