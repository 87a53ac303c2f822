/**
 * The CPU's flags: the lazy arithmetic flags (computed from the last operation only when read),
 * EFLAGS as a whole, and condition codes. Methods of Cpu (installed on its prototype by cpu.ts).
 */
import type { Cpu } from './cpu';
import { LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, PARITY, MASK, SIGN } from './cpu';
import { CF, PF, AF, ZF, SF, OF, FIXED1, IF, TF } from './constants';

export const flagMethods = {
  getCF(this: Cpu): boolean {
    if ((this.lazy & CF) === 0) return (this.flagsReg & CF) !== 0;
    const res = this.lres >>> 0, dst = this.ldst >>> 0, src = this.lsrc >>> 0;
    switch (this.lop) {
      case LAZY_ADD: return res < dst;
      case LAZY_ADC: return this.lcin !== 0 ? res <= dst : res < dst;
      case LAZY_SUB: return dst < src;
      case LAZY_SBB: return this.lcin !== 0 ? dst <= src : dst < src;
      default: return false;
    }
  },

  getZF(this: Cpu): boolean {
    return (this.lazy & ZF) !== 0 ? this.lres === 0 : (this.flagsReg & ZF) !== 0;
  },

  getSF(this: Cpu): boolean {
    return (this.lazy & SF) !== 0 ? (this.lres & this.lsz) !== 0 : (this.flagsReg & SF) !== 0;
  },

  getPF(this: Cpu): boolean {
    return (this.lazy & PF) !== 0 ? PARITY[this.lres & 0xff] !== 0 : (this.flagsReg & PF) !== 0;
  },

  getAF(this: Cpu): boolean {
    if ((this.lazy & AF) === 0) return (this.flagsReg & AF) !== 0;
    return this.lop === LAZY_LOGIC ? false : ((this.ldst ^ this.lsrc ^ this.lres) & 0x10) !== 0;
  },

  getOF(this: Cpu): boolean {
    if ((this.lazy & OF) === 0) return (this.flagsReg & OF) !== 0;
    switch (this.lop) {
      case LAZY_ADD:
      case LAZY_ADC:
        return ((this.ldst ^ this.lres) & (this.lsrc ^ this.lres) & this.lsz) !== 0;
      case LAZY_SUB:
      case LAZY_SBB:
        return ((this.ldst ^ this.lsrc) & (this.ldst ^ this.lres) & this.lsz) !== 0;
      default:
        return false;
    }
  },

  /** The whole EFLAGS register. */
  getFlags(this: Cpu): number {
    const lz = this.lazy;
    return lz === 0 ? this.flagsReg : (this.flagsReg & ~lz) | lazyValues(this, lz);
  },

  /** Replaces EFLAGS wholesale (callers apply privilege rules first). */
  setFlags(this: Cpu, f: number): void {
    const before = this.flagsReg;
    this.flagsReg = (f & 0x003f7fd5) | FIXED1;
    this.lazy = 0;
    if ((before ^ this.flagsReg) & (IF | TF)) this.brk = true;
  },

  /** Makes the given lazy flags concrete in flagsReg (before an instruction keeps some of them). */
  materialize(this: Cpu, which: number): void {
    const lz = this.lazy & which;
    if (lz === 0) return;
    this.flagsReg = (this.flagsReg & ~lz) | lazyValues(this, lz);
    this.lazy &= ~lz;
  },

  /**
   * Sets the arithmetic flags in `which` eagerly (`set` holds their new values); the others
   * keep their lazy source, which stays valid because lop/ldst/lsrc/lres are untouched.
   */
  setArith(this: Cpu, which: number, set: number): void {
    this.lazy &= ~which;
    this.flagsReg = (this.flagsReg & ~which) | (set & which);
  },

  /** ZF, SF, PF of a result, computed now; the other arithmetic flags are given. */
  flagsOfResult(this: Cpu, res: number, size: number): number {
    const m = res & MASK[size];
    return (m === 0 ? ZF : 0) | ((m & SIGN[size]) !== 0 ? SF : 0) | PARITY[m & 0xff];
  },

  /** Evaluates condition code tttn (SDM appendix B.1.4.7). */
  cond(this: Cpu, cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF(); break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() || this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() !== this.getOF(); break;
      default: r = this.getZF() || this.getSF() !== this.getOF(); break;
    }
    return (cc & 1) === 0 ? r : !r;
  },

  iopl(this: Cpu): number {
    return (this.flagsReg >> 12) & 3;
  },
};

/** The values of the lazy flags in `lz`, computed from the recorded operation. */
function lazyValues(cpu: Cpu, lz: number): number {
  let f = 0;
  if (lz & CF && cpu.getCF()) f |= CF;
  if (lz & PF && cpu.getPF()) f |= PF;
  if (lz & AF && cpu.getAF()) f |= AF;
  if (lz & ZF && cpu.getZF()) f |= ZF;
  if (lz & SF && cpu.getSF()) f |= SF;
  if (lz & OF && cpu.getOF()) f |= OF;
  return f;
}

export type FlagMethods = typeof flagMethods;
