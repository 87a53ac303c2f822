/**
 * The translator's templates: for each `jit` template named in the opcode table's rows, the
 * inline JavaScript of the form's semantics, written to match the interpreter's handler (and its
 * specialized variant in ops/fast.ts) field for field, including the lazy-flag fields it leaves.
 *
 * A template returns false when it does not cover the decoded instance (16-bit operand or
 * address size, LOCK, a count in CL...): the translator then calls the handler instead.
 *
 * Ordering rule, which keeps exceptions precise: every access that can fault comes before the
 * first change to a register or flag local, so that when an access faults the locals still hold
 * the state before the instruction, which the exception handler writes back.
 */
import type { Insn } from '../insn';
import type { JitTemplate } from '../opcodes';
import { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_XOR, ALU_CMP } from '../opcodes';
import { LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, SIGN } from '../cpu';
import { CF, PF, ZF, SF, OF, DF, ARITH_FLAGS, SS, ES, ESP, ESI, EDI, EAX, ECX } from '../constants';
import { type Emitter } from './emit';
import { F_FR, F_LZ, F_LOP, F_LD, F_LS, F_LR, F_LSZ, F_LCI, COND_READS, condExpr, cfExpr } from './flags';

type Template = (g: Emitter, i: Insn) => boolean;

const LAZY_OF_ALU = [LAZY_ADD, LAZY_LOGIC, LAZY_ADC, LAZY_SBB, LAZY_LOGIC, LAZY_SUB, LAZY_LOGIC, LAZY_SUB];
const MASKS = ['', '255', '65535', '', '-1'];

/** Operand size of a letter in the operands string (b, w, v/z/d = 4 with a 32-bit operand size). */
function sizeOf(o: string): number {
  const c = o[o.length - 1];
  return c === 'b' || o === 'AL' ? 1 : c === 'w' ? 2 : 4;
}

/** Result expression of ALU operation `op` on d, s (and c: carry in) at `size`. */
function aluExpr(op: number, size: number): string {
  let e: string;
  switch (op) {
    case ALU_ADD: e = 'd + s'; break;
    case ALU_OR: e = 'd | s'; break;
    case ALU_ADC: e = 'd + s + c'; break;
    case ALU_SBB: e = 'd - s - c'; break;
    case ALU_AND: e = 'd & s'; break;
    case ALU_XOR: e = 'd ^ s'; break;
    default: e = 'd - s'; break;
  }
  return size === 4 ? `(${e}) | 0` : `(${e}) & ${MASKS[size]}`;
}

/** The lazy-flag stores of aluFlags (ops/alu.ts) / lazy32 (ops/fast.ts). */
function aluFlags(g: Emitter, lop: number, d: string, s: string, r: string, cin: string, size: number): void {
  g.store(F_LOP, 0, `lop = ${lop};`);
  g.store(F_LD, 0, `ld = ${d};`);
  g.store(F_LS, 0, `ls = ${s};`);
  g.store(F_LR, 0, `lr = ${r};`);
  g.store(F_LSZ, 0, `lsz = ${SIGN[size]};`);
  g.store(F_LCI, 0, `lci = ${cin};`);
  g.store(F_LZ, 0, `lz = ${ARITH_FLAGS};`);
  g.known = { lz: ARITH_FLAGS, lop, lsz: SIGN[size] };
}

/** Emits the read of the r/m operand into `d` (memory or register); for RMW, keeps `a`. */
function readE(g: Emitter, i: Insn, size: number, dst: string, rmw: boolean): void {
  if (i.isMem) g.code(g.read(size, i.seg, g.ea(i), dst, rmw));
  else g.code(`${dst} = ${g.reg(i.rm, size)};`);
}

// --- ALU and TEST ------------------------------------------------------------------------------

const alu: Template = (g, i) => {
  const f = i.form!;
  const op = i.arg;
  const [dOp, sOp] = f.operands.split(',');
  const size = sizeOf(dOp);
  const mem = i.isMem;
  g.code('{ let d = 0, s = 0, c = 0, r = 0;');
  if (mem) g.mayFault();
  // Source.
  if (sOp === 'Gb' || sOp === 'Gv') g.code(`s = ${g.reg(i.reg, size)};`);
  else if (sOp === 'Eb' || sOp === 'Ev') readE(g, i, size, 's', false);
  else g.code(`s = ${size === 1 ? i.imm & 0xff : i.imm | 0};`);
  if (op === ALU_ADC || op === ALU_SBB) g.code(`c = ${cfExpr(g.known)} ? 1 : 0;`, COND_READS);
  // Destination.
  const dReg = dOp === 'AL' || dOp === 'eAX' ? 0 : dOp === 'Gb' || dOp === 'Gv' ? i.reg : i.rm;
  const dMem = (dOp === 'Eb' || dOp === 'Ev') && mem;
  if (dMem) g.code(g.read(size, i.seg, g.ea(i), 'd', op !== ALU_CMP));
  else g.code(`d = ${g.reg(dReg, size)};`);
  g.code(`r = ${aluExpr(op, size)};`);
  if (op !== ALU_CMP) {
    if (dMem) g.code(g.writeLin(size, 'r'));
    else g.code(g.setReg(dReg, size, 'r'));
  }
  const lop = LAZY_OF_ALU[op];
  const cin = op === ALU_ADC || op === ALU_SBB ? 'c' : '0';
  // ops/fast.ts records a logic result of a 32-bit register form as (r, r, r).
  const fastLogic = size === 4 && !mem && ((f.operands === 'Ev,Gv' && (op === ALU_AND || op === ALU_OR || op === ALU_XOR)) ||
    ((f.operands === 'Ev,Iz' || f.operands === 'Ev,Ib') && op === ALU_AND));
  if (fastLogic) aluFlags(g, lop, 'r', 'r', 'r', '0', size);
  else aluFlags(g, lop, 'd', 's', 'r', cin, size);
  g.code('}');
  if (dMem || mem) g.brkCheck();
  return true;
};

const test: Template = (g, i) => {
  const f = i.form!;
  const [aOp, bOp] = f.operands.split(',');
  const size = sizeOf(aOp);
  g.code('{ let d = 0, s = 0;');
  if (i.isMem) g.mayFault();
  if (aOp === 'AL' || aOp === 'eAX') g.code(`d = ${g.reg(0, size)};`);
  else readE(g, i, size, 'd', false);
  if (bOp === 'Gb' || bOp === 'Gv') g.code(`s = ${g.reg(i.reg, size)};`);
  else g.code(`s = ${i.imm | 0};`);
  g.code(`d = d & s;`);
  aluFlags(g, LAZY_LOGIC, 'd', 'd', size === 4 ? 'd' : `d & ${MASKS[size]}`, '0', size);
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

// --- Moves -------------------------------------------------------------------------------------

const mov: Template = (g, i) => {
  const f = i.form!;
  const [dOp, sOp] = f.operands.split(',');
  const size = sizeOf(dOp);
  let src: string;
  g.code('{ let v = 0;');
  if (i.isMem) g.mayFault();
  if (sOp === 'Gb' || sOp === 'Gv') src = g.reg(i.reg, size);
  else if (sOp === 'Eb' || sOp === 'Ev') {
    readE(g, i, size, 'v', false);
    src = 'v';
  } else src = String(size === 4 ? i.imm | 0 : i.imm & 0xff);
  if (dOp === 'Zb' || dOp === 'Zv') g.code(g.setReg(i.arg, size, src));
  else if (dOp === 'Gb' || dOp === 'Gv') g.code(g.setReg(i.reg, size, src));
  else if (i.isMem) {
    g.code(`v = ${src};`);
    g.code(g.write(size, i.seg, g.ea(i), 'v'));
  } else g.code(g.setReg(i.rm, size, src));
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

const lea: Template = (g, i) => {
  g.code(g.setReg(i.reg, 4, g.ea(i)));
  return true;
};

const movx: Template = (g, i) => {
  const f = i.form!;
  const size = f.operands.endsWith('Eb') ? 1 : 2;
  const signed = f.mnemonic === 'movsx';
  g.code('{ let v = 0;');
  if (i.isMem) g.mayFault();
  readE(g, i, size, 'v', false);
  const shift = size === 1 ? 24 : 16;
  g.code(g.setReg(i.reg, 4, signed ? `(v << ${shift}) >> ${shift}` : 'v'));
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

const setcc: Template = (g, i) => {
  g.code(`{ const v = ${condExpr(i.arg, g.known)} ? 1 : 0;`, COND_READS);
  if (i.isMem) {
    g.mayFault();
    g.code(g.write(1, i.seg, g.ea(i), 'v'));
  } else g.code(g.setReg(i.rm, 1, 'v'));
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

const cmovcc: Template = (g, i) => {
  g.code('{ let v = 0;');
  if (i.isMem) g.mayFault();
  readE(g, i, 4, 'v', false);
  g.code(`if (${condExpr(i.arg, g.known)}) ${g.setReg(i.reg, 4, 'v')}`, COND_READS);
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

// --- Stack -------------------------------------------------------------------------------------

/** PUSH of the value in variable `v` (32-bit, ESP stack: translated blocks run with SS.B = 1). */
function push(g: Emitter, v: string): void {
  g.code(`o = (${g.reg(ESP, 4)} - 4) >>> 0; if (o < WLO[${SS}] || o + 3 > WHI[${SS}]) cpu.segFault(${SS}); a = (BASE[${SS}] + o) | 0;` + g.writeLin(4, v));
  g.code(g.setReg(ESP, 4, 'o'));
}

const pushT: Template = (g, i) => {
  g.mayFault();
  g.code('{ let v = 0;');
  const what = i.form!.operands;
  if (what === 'Zv') g.code(`v = ${g.reg(i.arg, 4)};`);
  else if (what === 'Iz' || what === 'Ib') g.code(`v = ${i.imm | 0};`);
  else readE(g, i, 4, 'v', false);
  push(g, 'v');
  g.code('}');
  g.brkCheck();
  return true;
};

const pop: Template = (g, i) => {
  g.mayFault();
  g.code(`{ let v = 0; o = ${g.reg(ESP, 4)} >>> 0; if (o < RLO[${SS}] || o + 3 > RHI[${SS}]) cpu.segFault(${SS}); a = (BASE[${SS}] + o) | 0;` + g.readLin(4, 'v'));
  g.code(g.setReg(ESP, 4, `${g.reg(ESP, 4)} + 4`));
  g.code(g.setReg(i.arg, 4, 'v'));
  g.code('}');
  g.brkCheck();
  return true;
};

// --- INC, DEC ----------------------------------------------------------------------------------

const incdec: Template = (g, i) => {
  const f = i.form!;
  const dec = f.mnemonic === 'dec';
  const size = f.operands === 'Eb' ? 1 : 4;
  const zv = f.operands === 'Zv';
  g.code('{ let d = 0, r = 0;');
  if (i.isMem) {
    g.mayFault();
    g.code(g.read(size, i.seg, g.ea(i), 'd', true));
  } else g.code(`d = ${g.reg(zv ? i.arg : i.rm, size)};`);
  g.code(`r = ${size === 4 ? `(d ${dec ? '-' : '+'} 1) | 0` : `(d ${dec ? '-' : '+'} 1) & 255`};`);
  if (i.isMem) g.code(g.writeLin(size, 'r'));
  else g.code(g.setReg(zv ? i.arg : i.rm, size, 'r'));
  // incDecFlags: CF keeps its value, so a lazy CF is made concrete first.
  const k = g.known;
  if (k.lz === null) g.store(F_FR, F_FR | F_LZ | F_LOP | F_LD | F_LS | F_LR | F_LCI, `if ((lz & ${CF}) !== 0) fr = (fr & -2) | (${cfExpr(k)} ? 1 : 0);`);
  else if ((k.lz & CF) !== 0) g.store(F_FR, F_FR | F_LZ | F_LOP | F_LD | F_LS | F_LR | F_LCI, `fr = (fr & -2) | (${cfExpr(k)} ? 1 : 0);`);
  g.store(F_LOP, 0, `lop = ${dec ? LAZY_SUB : LAZY_ADD};`);
  g.store(F_LD, 0, 'ld = d;');
  g.store(F_LS, 0, 'ls = 1;');
  g.store(F_LR, 0, 'lr = r;');
  g.store(F_LSZ, 0, `lsz = ${SIGN[size]};`);
  g.store(F_LZ, 0, `lz = ${ARITH_FLAGS & ~CF};`);
  g.known = { lz: ARITH_FLAGS & ~CF, lop: dec ? LAZY_SUB : LAZY_ADD, lsz: SIGN[size] };
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

// --- Shifts (the 32-bit register forms, by a constant or by CL; ops/shift.ts at 32 bits) ------

/**
 * Statement computing r (result), c (CF) and of (OF) of shift or rotate `kind` (ModRM.reg) of
 * the register value d by `n`, a nonzero count in 1..31: a number, or the name of a local.
 */
function shiftResult(kind: number, n: number | string): string {
  switch (kind) {
    case 0: return `r = (d << ${n}) | (d >>> (32 - ${n})); c = r & 1; of = c ^ (r >>> 31);`;
    case 1: return `r = (d >>> ${n}) | (d << (32 - ${n})); c = r >>> 31; of = c ^ ((r >>> 30) & 1);`;
    case 4:
    case 6: return `r = d << ${n}; c = (d >>> (32 - ${n})) & 1; of = c ^ (r >>> 31);`;
    case 5: return `r = (d >>> ${n}) | 0; c = (d >>> (${n} - 1)) & 1; of = ((r >>> 31) ^ (r >>> 30)) & 1;`;
    default: return `r = d >> ${n}; c = (d >> (${n} - 1)) & 1; of = 0;`;
  }
}

const shift: Template = (g, i) => {
  const kind = i.reg;
  if (i.isMem || kind === 2 || kind === 3) return false;
  if (i.arg === 2) return shiftByCl(g, i);
  const count = (i.arg === 1 ? 1 : i.imm) & 31;
  if (count === 0) return false;
  g.code(`{ const d = ${g.reg(i.rm, 4)}; let r = 0, c = 0, of = 0;`);
  g.code(shiftResult(kind, count));
  g.code(g.setReg(i.rm, 4, 'r'));
  if (kind === 0 || kind === 1) {
    // Rotates: CF and OF only; the other flags keep their lazy source.
    const k = g.known;
    if (k.lz !== null) g.store(F_LZ, 0, `lz = ${k.lz & ~(CF | OF)};`);
    else g.store(F_LZ, F_LZ, `lz &= ${~(CF | OF)};`);
    g.store(F_FR, F_FR, `fr = (fr & ${~(CF | OF)}) | c | (of << 11);`);
    g.known = { ...k, lz: k.lz === null ? null : k.lz & ~(CF | OF) };
  } else {
    g.store(F_FR, F_FR, `fr = (fr & ${~ARITH_FLAGS}) | c | (of << 11);`);
    g.store(F_LOP, 0, `lop = ${LAZY_LOGIC};`);
    g.store(F_LR, 0, 'lr = r;');
    g.store(F_LSZ, 0, `lsz = ${SIGN[4]};`);
    g.store(F_LZ, 0, `lz = ${ZF | SF | PF};`);
    g.known = { lz: ZF | SF | PF, lop: LAZY_LOGIC, lsz: SIGN[4] };
  }
  g.code('}');
  return true;
};

/**
 * The forms with the count in CL: known only at run time, and a masked count of 0 changes
 * neither the register nor a flag, so the flag fields are updated on the nonzero path only
 * (Emitter.update).
 */
function shiftByCl(g: Emitter, i: Insn): boolean {
  const kind = i.reg;
  g.code(`{ const n = ${g.reg(ECX, 4)} & 31; if (n !== 0) { const d = ${g.reg(i.rm, 4)}; let r = 0, c = 0, of = 0;`);
  g.code(shiftResult(kind, 'n'));
  g.code(g.setReg(i.rm, 4, 'r'));
  if (kind === 0 || kind === 1) g.update(F_LZ | F_FR, `lz &= ${~(CF | OF)}; fr = (fr & ${~(CF | OF)}) | c | (of << 11);`);
  else g.update(F_FR | F_LOP | F_LR | F_LSZ | F_LZ, `fr = (fr & ${~ARITH_FLAGS}) | c | (of << 11); lop = ${LAZY_LOGIC}; lr = r; lsz = ${SIGN[4]}; lz = ${ZF | SF | PF};`);
  g.code('} }');
  g.known = { lz: null, lop: null, lsz: null };
  return true;
}

// --- IMUL (two and three operands, 32-bit) -----------------------------------------------------

const imul: Template = (g, i) => {
  const three = i.form!.operands.split(',').length === 3; // IMUL Gv,Ev,Iz / Gv,Ev,Ib
  g.code('{ let x = 0, y = 0;');
  if (i.isMem) g.mayFault();
  readE(g, i, 4, three ? 'x' : 'y', false);
  if (three) g.code(`y = ${i.imm | 0};`);
  else g.code(`x = ${g.reg(i.reg, 4)};`);
  // The product overflows 32 bits exactly when the (possibly rounded) double differs from its low half.
  g.code('const lo = Math.imul(x, y); const ov = x * y !== lo;');
  g.code(g.setReg(i.reg, 4, 'lo'));
  g.store(F_FR, F_FR, `fr = (fr & ${~ARITH_FLAGS}) | (ov ? ${CF | OF} : 0);`);
  g.store(F_LOP, 0, `lop = ${LAZY_LOGIC};`);
  g.store(F_LR, 0, 'lr = lo;');
  g.store(F_LSZ, 0, `lsz = ${SIGN[4]};`);
  g.store(F_LZ, 0, `lz = ${ZF | SF | PF};`);
  g.known = { lz: ZF | SF | PF, lop: LAZY_LOGIC, lsz: SIGN[4] };
  g.code('}');
  if (i.isMem) g.brkCheck();
  return true;
};

// --- Control transfers (the last instruction of a block) ---------------------------------------

const jcond: Template = (g, i) => {
  const k = g.k;
  const rel = g.off[k + 1] + i.imm;
  if (rel !== 0) g.mayFault(); // a branch elsewhere checks the CS limit
  g.code(`if (${condExpr(i.arg, g.known)}) ${g.branch(rel, k + 1)}`, COND_READS);
  g.code(g.exitNext(k), COND_READS);
  return true;
};

const jmp: Template = (g, i) => {
  if (g.off[g.k + 1] + i.imm !== 0) g.mayFault();
  g.code(g.branch(g.off[g.k + 1] + i.imm, g.k + 1), COND_READS);
  return true;
};

const call: Template = (g, i) => {
  const k = g.k;
  g.mayFault();
  g.code(`{ t = (e0 + ${g.off[k + 1] + i.imm}) >>> 0; if (t > SEGLIMIT[1]) cpu.gp(0); const v = (e0 + ${g.off[k + 1]}) | 0;`);
  push(g, 'v');
  g.code(`${g.exit(k + 1, 't')} }`, COND_READS);
  return true;
};

const ret: Template = (g, i) => {
  const k = g.k;
  g.mayFault();
  g.code(`{ let v = 0; o = ${g.reg(ESP, 4)} >>> 0; if (o < RLO[${SS}] || o + 3 > RHI[${SS}]) cpu.segFault(${SS}); a = (BASE[${SS}] + o) | 0;` + g.readLin(4, 'v'));
  g.code('t = v >>> 0; if (t > SEGLIMIT[1]) cpu.gp(0);');
  g.code(g.setReg(ESP, 4, `${g.reg(ESP, 4)} + ${4 + i.imm}`));
  g.code(`${g.exit(k + 1, 't')} }`, COND_READS);
  return true;
};

// --- MOVS, STOS, LODS without REP (ops/string.ts: movsOne, stosOne, lodsOne) -----------------

const string: Template = (g, i) => {
  if (i.rep !== 0) return false; // REP: the handler's budgeted loop
  const size = i.arg !== 0 ? i.arg : 4;
  const m = i.form!.mnemonic.replace(/b$/, '');
  g.mayFault();
  g.code(`{ let v = 0; const dl = (fr & ${DF}) !== 0 ? ${-size} : ${size};`, F_FR);
  if (m !== 'stos') g.code(g.read(size, i.seg, `(${g.reg(ESI, 4)} >>> 0)`, 'v'));
  else g.code(`v = ${g.reg(EAX, size)};`);
  if (m !== 'lods') g.code(g.write(size, ES, `(${g.reg(EDI, 4)} >>> 0)`, 'v'));
  else g.code(g.setReg(EAX, size, 'v'));
  if (m !== 'stos') g.code(g.setReg(ESI, 4, `${g.reg(ESI, 4)} + dl`));
  if (m !== 'lods') g.code(g.setReg(EDI, 4, `${g.reg(EDI, 4)} + dl`));
  g.code('}');
  g.brkCheck();
  return true;
};

const nop: Template = () => true;

/** Templates by name (the `jit` field of the opcode table's rows). */
export const TEMPLATES: Record<JitTemplate, Template> = {
  alu, test, mov, lea, push: pushT, pop, incdec, shift, jcond, jmp, call, ret, movx, setcc, cmovcc, imul, nop, string,
};

/** Whether a template may cover this decoded instance at all (32-bit sizes, no LOCK). */
export function coverable(i: Insn): boolean {
  return i.form !== null && i.form.jit !== '' && i.os32 && i.as32 && !i.lock;
}
