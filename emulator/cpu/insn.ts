import type { OpForm } from './opcodes';
import type { Cpu } from './cpu';

/** An instruction handler: executes one decoded instruction on the CPU. */
export type Handler = (cpu: Cpu, i: Insn) => void;

/** Byte offsets of the eight 8-bit registers (AL CL DL BL AH CH DH BH) in the register file's byte view. */
export const REG8_OFFSET = [0, 4, 8, 12, 1, 5, 9, 13] as const;

/**
 * One decoded instruction. Decoding happens once per instruction per code page; the record is
 * then executed many times, so every field a handler needs is precomputed here.
 */
export class Insn {
  exec: Handler = noHandler; // what runs the instruction
  form: OpForm | null = null; // table entry (null when the encoding is invalid)
  len = 0; // length in bytes
  os32 = true; // operand size is 32 bits
  as32 = true; // address size is 32 bits
  seg = 3; // segment of the memory operand after overrides and the SS default (DS = 3)
  segPrefix = -1; // explicit segment override, -1 when none
  rep = 0; // 0 none, 1 REP/REPE (F3), 2 REPNE (F2)
  lock = false; // LOCK prefix present
  mod = 0; // ModRM.mod
  reg = 0; // ModRM.reg (register operand or group digit)
  rm = 0; // ModRM.rm register number when mod = 3
  isMem = false; // the r/m operand is in memory
  base = -1; // base register of the effective address, -1 none
  index = -1; // index register, -1 none
  scale = 0; // index shift count (0-3)
  disp = 0; // displacement, sign-extended to 32 bits
  imm = 0; // first immediate (sign- or zero-extended as the form says; rel branches: the displacement)
  imm2 = 0; // second immediate: far pointer selector, ENTER nesting level
  arg = 0; // the form's constant
  g8 = 0; // byte offset of ModRM.reg as an 8-bit register
  e8 = 0; // byte offset of ModRM.rm as an 8-bit register
  fault = 0; // for invalid encodings: the vector to raise (#UD, or #GP for over-long instructions)
}

function noHandler(): void {
  throw new Error('instruction executed before decoding');
}
