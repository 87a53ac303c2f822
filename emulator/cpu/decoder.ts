/**
 * The instruction decoder: turns bytes into an Insn record, driven by the opcode table.
 *
 * It reads from a byte array between `pos` and `end` and never touches the machine, so the
 * same function decodes guest code, disassembles traces and is fuzzed against iced-x86 in the
 * tests. Prefix, ModRM, SIB, displacement and immediate rules follow Intel SDM vol. 2 ch. 2.
 */
import { OPCODE_FORMS, type OpForm } from './opcodes';
import { Insn, REG8_OFFSET, type Handler } from './insn';
import { DS, SS, EBP, ESP, EBX, ESI, EDI, GP_VECTOR, UD_VECTOR } from './constants';

/** Decoding ran past `end`: the caller must supply more bytes. */
export const DECODE_TRUNCATED = -1;
/** The architectural limit on instruction length (SDM 2.3.11): longer raises #GP(0). */
export const MAX_INSN_LENGTH = 15;

type Slot = OpForm | (OpForm | undefined)[] | undefined;
const table: Slot[] = new Array(0x1000);
/** Forms that are one register ModRM byte of a group opcode, by (code << 8) | ModRM. */
const byModrm = new Map<number, OpForm>();
const hasByModrm = new Uint8Array(0x1000);
for (const f of OPCODE_FORMS) {
  if (f.modrmByte >= 0) {
    if (byModrm.has((f.code << 8) | f.modrmByte)) throw new Error(`opcode table: duplicate form ${f.code.toString(16)} ${f.modrmByte.toString(16)}`);
    byModrm.set((f.code << 8) | f.modrmByte, f);
    hasByModrm[f.code] = 1;
    if (table[f.code] === undefined) table[f.code] = new Array(8);
  } else if (f.reg < 0) {
    if (table[f.code] !== undefined) throw new Error(`opcode table: duplicate form ${f.code.toString(16)}`);
    table[f.code] = f;
  } else {
    let g = table[f.code];
    if (g === undefined) table[f.code] = g = new Array(8);
    if (!Array.isArray(g)) throw new Error(`opcode table: ${f.code.toString(16)} is both group and form`);
    if (g[f.reg] !== undefined) throw new Error(`opcode table: duplicate group form ${f.code.toString(16)}/${f.reg}`);
    g[f.reg] = f;
  }
}

/** The handler table, filled by emulator/cpu/ops before the first decode. */
let handlers: Record<string, Handler> = {};
let invalidHandler: Handler = () => {};
/**
 * Specializers: for some handlers, a faster variant chosen from the decoded operands (e.g. the
 * 32-bit register-to-register form of ADD). They return undefined to keep the general handler.
 */
export type Specializer = (i: Insn) => Handler | undefined;
let specializers: Partial<Record<string, Specializer>> = {};
export function installHandlers(h: Record<string, Handler>, invalid: Handler, spec: Partial<Record<string, Specializer>> = {}): void {
  handlers = h;
  invalidHandler = invalid;
  specializers = spec;
}

/** 16-bit addressing: base and index registers of each ModRM.rm value (SDM table 2-1). */
const EA16_BASE = [EBX, EBX, EBP, EBP, ESI, EDI, EBP, EBX];
const EA16_INDEX = [ESI, EDI, ESI, EDI, -1, -1, -1, -1];

function invalid(i: Insn, len: number, vector: number): number {
  i.form = null;
  i.exec = invalidHandler;
  i.fault = vector;
  i.len = len;
  return len;
}

/**
 * Decodes one instruction at bytes[pos] (reading no byte at or past `end`) into `i`.
 * `def32` is the code segment's default size (CS.D). Returns the length, or DECODE_TRUNCATED.
 * An invalid encoding still returns a length (the bytes consumed) with i.exec raising i.fault.
 */
export function decode(bytes: Uint8Array, pos: number, end: number, def32: boolean, i: Insn): number {
  let p = pos;
  let os32 = def32;
  let as32 = def32;
  let segPrefix = -1;
  let rep = 0;
  let lock = false;
  let b: number;
  // Prefixes: any number, any order, last segment override wins.
  for (;;) {
    if (p >= end) return DECODE_TRUNCATED;
    if (p - pos >= MAX_INSN_LENGTH) return invalid(i, MAX_INSN_LENGTH, GP_VECTOR);
    b = bytes[p];
    if (b === 0x66) os32 = !def32;
    else if (b === 0x67) as32 = !def32;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf3) rep = 1;
    else if (b === 0xf2) rep = 2;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) segPrefix = (b >> 3) & 3;
    else if (b === 0x64) segPrefix = 4;
    else if (b === 0x65) segPrefix = 5;
    else break;
    p++;
  }
  let code = b;
  p++;
  if (code === 0x0f) {
    if (p >= end) return DECODE_TRUNCATED;
    code = 0x0f00 | bytes[p++];
  }
  let slot = table[code];
  i.os32 = os32;
  i.as32 = as32;
  i.segPrefix = segPrefix;
  i.rep = rep;
  i.lock = lock;
  i.isMem = false;
  i.base = -1;
  i.index = -1;
  i.scale = 0;
  i.disp = 0;
  i.imm = 0;
  i.imm2 = 0;
  i.mod = 3;
  i.reg = 0;
  i.rm = 0;
  i.seg = segPrefix >= 0 ? segPrefix : DS;
  if (slot === undefined) return invalid(i, p - pos, UD_VECTOR);
  let form: OpForm | undefined;
  const needsModrm = Array.isArray(slot) || slot.modrm;
  if (needsModrm) {
    if (p >= end) return DECODE_TRUNCATED;
    const modrm = bytes[p++];
    const mod = modrm >> 6;
    const reg = (modrm >> 3) & 7;
    const rm = modrm & 7;
    form = (mod === 3 && hasByModrm[code] !== 0 ? byModrm.get((code << 8) | modrm) : undefined) ?? (Array.isArray(slot) ? slot[reg] : slot);
    i.mod = mod;
    i.reg = reg;
    i.rm = rm;
    i.g8 = REG8_OFFSET[reg];
    i.e8 = REG8_OFFSET[rm];
    if (form === undefined) return invalid(i, p - pos, UD_VECTOR);
    if (mod !== 3 && form.rm !== 'reg') {
      i.isMem = true;
      if (as32) {
        let base = rm;
        if (rm === 4) {
          if (p >= end) return DECODE_TRUNCATED;
          const sib = bytes[p++];
          const index = (sib >> 3) & 7;
          base = sib & 7;
          if (index !== 4) {
            i.index = index;
            i.scale = sib >> 6;
          }
          if (base === 5 && mod === 0) {
            base = -1;
            if (p + 4 > end) return DECODE_TRUNCATED;
            i.disp = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
            p += 4;
          }
        } else if (rm === 5 && mod === 0) {
          base = -1;
          if (p + 4 > end) return DECODE_TRUNCATED;
          i.disp = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
          p += 4;
        }
        i.base = base;
        if (mod === 1) {
          if (p >= end) return DECODE_TRUNCATED;
          i.disp = (bytes[p++] << 24) >> 24;
        } else if (mod === 2) {
          if (p + 4 > end) return DECODE_TRUNCATED;
          i.disp = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
          p += 4;
        }
        if (segPrefix < 0 && (base === ESP || base === EBP)) i.seg = SS;
      } else {
        if (mod === 0 && rm === 6) {
          if (p + 2 > end) return DECODE_TRUNCATED;
          i.disp = bytes[p] | (bytes[p + 1] << 8);
          p += 2;
        } else {
          i.base = EA16_BASE[rm];
          i.index = EA16_INDEX[rm];
          if (mod === 1) {
            if (p >= end) return DECODE_TRUNCATED;
            i.disp = (bytes[p++] << 24) >> 24;
          } else if (mod === 2) {
            if (p + 2 > end) return DECODE_TRUNCATED;
            i.disp = ((bytes[p] | (bytes[p + 1] << 8)) << 16) >> 16;
            p += 2;
          }
          if (segPrefix < 0 && i.base === EBP) i.seg = SS;
        }
      }
    }
    if (form.rm === 'mem' && mod === 3) return invalid(i, p - pos, UD_VECTOR);
    if (form.rm === 'regonly' && mod !== 3) return invalid(i, p - pos, UD_VECTOR);
  } else {
    form = slot as OpForm;
  }
  // Immediates.
  switch (form.imm) {
    case '':
      break;
    case 'Ib':
      if (p >= end) return DECODE_TRUNCATED;
      i.imm = bytes[p++];
      break;
    case 'Ibs':
    case 'Jb':
      if (p >= end) return DECODE_TRUNCATED;
      i.imm = (bytes[p++] << 24) >> 24;
      break;
    case 'Iw':
      if (p + 2 > end) return DECODE_TRUNCATED;
      i.imm = bytes[p] | (bytes[p + 1] << 8);
      p += 2;
      break;
    case 'Iz':
    case 'Jz':
      if (os32) {
        if (p + 4 > end) return DECODE_TRUNCATED;
        i.imm = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
        p += 4;
      } else {
        if (p + 2 > end) return DECODE_TRUNCATED;
        i.imm = bytes[p] | (bytes[p + 1] << 8);
        if (form.imm === 'Jz') i.imm = (i.imm << 16) >> 16;
        p += 2;
      }
      break;
    case 'O':
      if (as32) {
        if (p + 4 > end) return DECODE_TRUNCATED;
        i.disp = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
        p += 4;
      } else {
        if (p + 2 > end) return DECODE_TRUNCATED;
        i.disp = bytes[p] | (bytes[p + 1] << 8);
        p += 2;
      }
      i.isMem = true;
      break;
    case 'Ap':
      if (os32) {
        if (p + 6 > end) return DECODE_TRUNCATED;
        i.imm = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
        p += 4;
      } else {
        if (p + 4 > end) return DECODE_TRUNCATED;
        i.imm = bytes[p] | (bytes[p + 1] << 8);
        p += 2;
      }
      i.imm2 = bytes[p] | (bytes[p + 1] << 8);
      p += 2;
      break;
    case 'IwIb':
      if (p + 3 > end) return DECODE_TRUNCATED;
      i.imm = bytes[p] | (bytes[p + 1] << 8);
      i.imm2 = bytes[p + 2];
      p += 3;
      break;
  }
  const len = p - pos;
  if (len > MAX_INSN_LENGTH) return invalid(i, MAX_INSN_LENGTH, GP_VECTOR);
  // LOCK is legal only on the lockable forms with a memory destination (SDM LOCK: #UD otherwise).
  if (lock && !(form.lockable && i.isMem)) return invalid(i, len, UD_VECTOR);
  i.form = form;
  i.arg = form.arg;
  i.len = len;
  i.fault = 0;
  const h = handlers[form.handler];
  const spec = specializers[form.handler];
  i.exec = h === undefined ? invalidHandler : (spec !== undefined ? spec(i) : undefined) ?? h;
  return len;
}

/** The table slot of an opcode (for tests and disassembly metadata). */
export function formsOf(code: number): readonly OpForm[] {
  const s = table[code];
  if (s === undefined) return [];
  const fixedForms = OPCODE_FORMS.filter((f) => f.code === code && f.modrmByte >= 0);
  return [...(Array.isArray(s) ? (s.filter((f) => f !== undefined) as OpForm[]) : [s]), ...fixedForms];
}
