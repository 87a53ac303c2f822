/**
 * Shifts and rotates: group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) and the double-precision
 * shifts SHLD/SHRD. The count is masked to 5 bits; a masked count of 0 changes neither the
 * destination nor any flag.
 *
 * Undefined flags (the SDM leaves them undefined; ringside's deterministic choice, matching
 * what Intel P6/Core parts and Bochs do where known):
 * - OF for counts other than 1 is computed with the count-1 formula applied to the final result:
 *   ROL/RCL/SHL/SHLD: OF = CF XOR MSB(result); ROR/RCR/SHR/SHRD: OF = MSB(result) XOR
 *   MSB-1(result) (for SHR that is 0 whenever the count is 2 or more); SAR: OF = 0.
 * - AF after SHL/SHR/SAR/SHLD/SHRD with a nonzero count: 0.
 * - CF when SHL/SHR/SAR shift an 8- or 16-bit operand by at least its width: the last bit
 *   shifted out of the operand extended without bound (0 for SHL/SHR, the sign for SAR).
 * - SHLD/SHRD on 16 bits with counts 17-31 (result, CF and OF undefined): the P6 behaviour, a
 *   48-bit shift of DEST:SRC:DEST (SHLD) or DEST:SRC:DEST taken from the right (SHRD); CF is the
 *   last bit shifted out of that 48-bit value, OF as above.
 * - RCL/RCR on 8/16 bits whose masked count is a nonzero multiple of 9/17: the value and CF are
 *   unchanged (as the SDM's loop gives) and OF is set by the formula above.
 * With a memory destination and a masked count of 0 the operand is still read (and its segment
 * checked for writing), but not written.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { LAZY_LOGIC, MASK, SIGN } from '../cpu';
import { CF, OF, ZF, SF, PF, ARITH_FLAGS } from '../constants';
import { ea, getReg, setReg, readLin, writeLin } from './operands';

/** Byte offset of CL in the register file's byte view. */
const CL = 4;

export const SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_RCL = 2, SHIFT_RCR = 3, SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAL = 6, SHIFT_SAR = 7;

/** Side output of shiftResult/shiftDoubleResult: the new CF and OF as EFLAGS bits. */
export const shiftOut = { cfof: 0 };

/**
 * Group-2 operation `op` (ModRM.reg: 0 ROL ... 7 SAR) on `d` at `size` bytes by `count`, the
 * count already masked to 5 bits and nonzero; `cfIn` is the carry (0/1) for RCL/RCR. Returns
 * the result (masked to the size; int32 for 32 bits) and leaves the new CF|OF in shiftOut.cfof.
 * ROL/ROR/RCL/RCR change only CF and OF; the shifts also set SF/ZF/PF from the result, AF = 0.
 */
export function shiftResult(op: number, d: number, count: number, cfIn: number, size: number): number {
  const w = size << 3; // width in bits
  const msb = w - 1;
  const m = MASK[size];
  d &= m;
  let r: number, cf: number, of: number;
  switch (op) {
    case SHIFT_ROL: {
      const c = count & msb;
      r = c === 0 ? d : ((d << c) | (d >>> (w - c))) & m;
      cf = r & 1;
      of = cf ^ ((r >>> msb) & 1);
      break;
    }
    case SHIFT_ROR: {
      const c = count & msb;
      r = c === 0 ? d : ((d >>> c) | (d << (w - c))) & m;
      cf = (r >>> msb) & 1;
      of = cf ^ ((r >>> (msb - 1)) & 1);
      break;
    }
    case SHIFT_RCL: {
      // Rotates the (w+1)-bit value CF:d. (d >>> (w - c)) >>> 1 avoids a JS shift by 32.
      const c = w === 32 ? count : count % (w + 1);
      if (c === 0) {
        r = d;
        cf = cfIn;
      } else {
        r = ((d << c) | (cfIn << (c - 1)) | ((d >>> (w - c)) >>> 1)) & m;
        cf = (d >>> (w - c)) & 1;
      }
      of = cf ^ ((r >>> msb) & 1);
      break;
    }
    case SHIFT_RCR: {
      const c = w === 32 ? count : count % (w + 1);
      if (c === 0) {
        r = d;
        cf = cfIn;
      } else {
        r = ((d >>> c) | (cfIn << (w - c)) | ((d << (w - c)) << 1)) & m;
        cf = (d >>> (c - 1)) & 1;
      }
      of = ((r >>> msb) ^ (r >>> (msb - 1))) & 1;
      break;
    }
    case SHIFT_SHR: {
      r = (d >>> count) & m; // d < 2^w: counts >= w give 0
      cf = (d >>> (count - 1)) & 1;
      of = ((r >>> msb) ^ (r >>> (msb - 1))) & 1; // MSB(original) for count 1, else 0
      break;
    }
    case SHIFT_SAR: {
      const ds = (d << (32 - w)) >> (32 - w); // sign-extended to int32
      r = (ds >> count) & m;
      cf = (ds >> (count - 1)) & 1;
      of = 0;
      break;
    }
    default: {
      // SHL, SAL
      r = (d << count) & m;
      cf = count <= w ? (d >>> (w - count)) & 1 : 0;
      of = cf ^ ((r >>> msb) & 1);
      break;
    }
  }
  shiftOut.cfof = (cf !== 0 ? CF : 0) | (of !== 0 ? OF : 0);
  return r;
}

/**
 * SHLD (`right` false) or SHRD (true) of `d` with bits from `s` at `size` (2 or 4) bytes by
 * `count` (masked to 5 bits, nonzero). Returns the result; CF|OF in shiftOut.cfof.
 */
export function shiftDoubleResult(d: number, s: number, count: number, size: number, right: boolean): number {
  let r: number, cf: number, of: number;
  if (size === 4) {
    if (!right) {
      r = (d << count) | (s >>> (32 - count));
      cf = (d >>> (32 - count)) & 1;
      of = cf ^ (r >>> 31);
    } else {
      r = (d >>> count) | (s << (32 - count));
      cf = (d >>> (count - 1)) & 1;
      of = ((r >>> 31) ^ (r >>> 30)) & 1;
    }
  } else {
    d &= 0xffff;
    s &= 0xffff;
    // The 48-bit value V = d:s:d (bits 47-32 d, 31-16 s, 15-0 d) shifted as a whole.
    if (!right) {
      if (count <= 16) {
        const t = (d << 16) | s;
        r = ((t << count) >>> 16) & 0xffff;
        cf = (t >>> (32 - count)) & 1;
      } else {
        const t = (s << 16) | d; // V's low 32 bits
        r = (t >>> (32 - count)) & 0xffff;
        cf = (t >>> (48 - count)) & 1;
      }
      of = cf ^ ((r >>> 15) & 1);
    } else {
      if (count <= 16) {
        const t = (s << 16) | d;
        r = (t >>> count) & 0xffff;
        cf = (t >>> (count - 1)) & 1;
      } else {
        const t = (d << 16) | s; // V >> 16
        r = (t >>> (count - 16)) & 0xffff;
        cf = (t >>> (count - 17)) & 1;
      }
      of = ((r >>> 15) ^ (r >>> 14)) & 1;
    }
  }
  shiftOut.cfof = (cf !== 0 ? CF : 0) | (of !== 0 ? OF : 0);
  return r;
}

/** Flags of a shift (not a rotate): CF/OF from shiftOut, AF = 0, SF/ZF/PF lazily from `r`. */
function shiftFlags(cpu: Cpu, r: number, size: number): void {
  cpu.flagsReg = (cpu.flagsReg & ~ARITH_FLAGS) | shiftOut.cfof;
  cpu.lop = LAZY_LOGIC;
  cpu.lres = r;
  cpu.lsz = SIGN[size];
  cpu.lazy = ZF | SF | PF;
}

/** Flags of a rotate: CF and OF only. */
function rotateFlags(cpu: Cpu): void {
  cpu.lazy &= ~(CF | OF);
  cpu.flagsReg = (cpu.flagsReg & ~(CF | OF)) | shiftOut.cfof;
}

function shiftE(cpu: Cpu, i: Insn, size: number, count: number): void {
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  if (count === 0) return;
  const op = i.reg;
  const rotate = op < SHIFT_SHL;
  const cin = (op === SHIFT_RCL || op === SHIFT_RCR) && cpu.getCF() ? 1 : 0;
  const r = shiftResult(op, d, count, cin, size);
  if (i.isMem) writeLin(cpu, lin, size, r);
  else setReg(cpu, i.rm, size, r);
  if (rotate) rotateFlags(cpu);
  else shiftFlags(cpu, r, size);
}

function shiftCount(cpu: Cpu, i: Insn): number {
  return (i.arg === 0 ? i.imm : i.arg === 1 ? 1 : cpu.regs8[CL]) & 0x1f;
}

// C0 /n ib, D0 /n, D2 /n: ROL..SAR Eb,Ib / Eb,1 / Eb,CL
export function shiftEb(cpu: Cpu, i: Insn): void {
  shiftE(cpu, i, 1, shiftCount(cpu, i));
}
// C1 /n ib, D1 /n, D3 /n: ROL..SAR Ev,Ib / Ev,1 / Ev,CL
export function shiftEv(cpu: Cpu, i: Insn): void {
  const count = shiftCount(cpu, i);
  if (i.os32 && !i.isMem && count !== 0) {
    // Register 32-bit SHL/SHR/SAR: the common case, without the generic dispatch.
    const op = i.reg;
    if (op <= SHIFT_ROR) {
      // Register 32-bit ROL/ROR: only CF and OF change.
      const d = cpu.regs[i.rm];
      const c = count & 31;
      let r: number, cf: number, of: number;
      if (op === SHIFT_ROL) {
        r = c === 0 ? d : (d << c) | (d >>> (32 - c));
        cf = r & 1;
        of = cf ^ (r >>> 31);
      } else {
        r = c === 0 ? d : (d >>> c) | (d << (32 - c));
        cf = r >>> 31;
        of = cf ^ ((r >>> 30) & 1);
      }
      cpu.regs[i.rm] = r;
      cpu.lazy &= ~(CF | OF);
      cpu.flagsReg = (cpu.flagsReg & ~(CF | OF)) | (cf !== 0 ? CF : 0) | (of !== 0 ? OF : 0);
      return;
    }
    if (op >= SHIFT_SHL) {
      const d = cpu.regs[i.rm];
      let r: number, cf: number, of: number;
      if (op === SHIFT_SHR) {
        r = d >>> count;
        cf = (d >>> (count - 1)) & 1;
        of = count === 1 ? d >>> 31 : 0;
      } else if (op === SHIFT_SAR) {
        r = d >> count;
        cf = (d >> (count - 1)) & 1;
        of = 0;
      } else {
        r = d << count;
        cf = (d >>> (32 - count)) & 1;
        of = cf ^ (r >>> 31);
      }
      r |= 0;
      cpu.regs[i.rm] = r;
      shiftOut.cfof = (cf !== 0 ? CF : 0) | (of !== 0 ? OF : 0);
      shiftFlags(cpu, r, 4);
      return;
    }
  }
  shiftE(cpu, i, i.os32 ? 4 : 2, count);
}

function shiftDouble(cpu: Cpu, i: Insn, right: boolean): void {
  const size = i.os32 ? 4 : 2;
  const count = (i.arg === 0 ? i.imm : cpu.regs8[CL]) & 0x1f;
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  if (count === 0) return;
  const r = shiftDoubleResult(d, getReg(cpu, i.reg, size), count, size, right);
  if (i.isMem) writeLin(cpu, lin, size, r);
  else setReg(cpu, i.rm, size, r);
  shiftFlags(cpu, r, size);
}

// 0F A4 /r ib, 0F A5 /r: SHLD Ev,Gv,Ib / Ev,Gv,CL
export function shldEvGv(cpu: Cpu, i: Insn): void {
  shiftDouble(cpu, i, false);
}
// 0F AC /r ib, 0F AD /r: SHRD Ev,Gv,Ib / Ev,Gv,CL
export function shrdEvGv(cpu: Cpu, i: Insn): void {
  shiftDouble(cpu, i, true);
}
