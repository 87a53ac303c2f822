/**
 * Flags in translated code. A translated block keeps the CPU's lazy-flag state in eight locals
 * that mirror the Cpu fields one for one (fr = flagsReg, lz = lazy, lop, ld = ldst, ls = lsrc,
 * lr = lres, lsz, lci = lcin), so that whatever the block leaves behind is exactly what the
 * interpreter would have left. Each assignment to one of them is a "store" of one field; the
 * translator drops the stores no later reader needs (dead-flag elimination, see translate.ts).
 *
 * What the translator knows at compile time about the lazy state (which flags are lazy, which
 * operation and size produced them) lets a condition compile to a single comparison: after
 * `dec ecx`, `jnz` is `lr !== 0`. When nothing is known (flags from before the block, or after
 * an instruction the translator does not inline), the condition calls the generic helpers below,
 * which are the Cpu getters over the locals.
 */
import { CF, PF, AF, ZF, SF, OF } from '../constants';
import { LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC, PARITY } from '../cpu';

/** Flag fields (bit masks over the eight locals). */
export const F_FR = 1, F_LZ = 2, F_LOP = 4, F_LD = 8, F_LS = 16, F_LR = 32, F_LSZ = 64, F_LCI = 128;
export const F_ALL = 255;
/** The locals, in field-bit order, and the Cpu fields they mirror. */
export const FLAG_LOCALS = ['fr', 'lz', 'lop', 'ld', 'ls', 'lr', 'lsz', 'lci'] as const;
export const FLAG_FIELDS = ['flagsReg', 'lazy', 'lop', 'ldst', 'lsrc', 'lres', 'lsz', 'lcin'] as const;

/** Compile-time knowledge of the lazy state: a known constant, or null. */
export interface Known {
  lz: number | null;
  lop: number | null;
  lsz: number | null;
}

// Generic getters over the locals (the Cpu's getCF ... getOF), for unknown lazy state.
export function gCF(fr: number, lz: number, lop: number, ld: number, ls: number, lr: number, lci: number): boolean {
  if ((lz & CF) === 0) return (fr & CF) !== 0;
  const res = lr >>> 0, dst = ld >>> 0, src = ls >>> 0;
  switch (lop) {
    case LAZY_ADD: return res < dst;
    case LAZY_ADC: return lci !== 0 ? res <= dst : res < dst;
    case LAZY_SUB: return dst < src;
    case LAZY_SBB: return lci !== 0 ? dst <= src : dst < src;
    default: return false;
  }
}
export function gOF(fr: number, lz: number, lop: number, ld: number, ls: number, lr: number, lsz: number): boolean {
  if ((lz & OF) === 0) return (fr & OF) !== 0;
  switch (lop) {
    case LAZY_ADD:
    case LAZY_ADC:
      return ((ld ^ lr) & (ls ^ lr) & lsz) !== 0;
    case LAZY_SUB:
    case LAZY_SBB:
      return ((ld ^ ls) & (ld ^ lr) & lsz) !== 0;
    default:
      return false;
  }
}
export function gAF(fr: number, lz: number, lop: number, ld: number, ls: number, lr: number): boolean {
  if ((lz & AF) === 0) return (fr & AF) !== 0;
  return lop === LAZY_LOGIC ? false : ((ld ^ ls ^ lr) & 0x10) !== 0;
}

/** The helpers a translated block receives (names as used in the generated source). */
export const FLAG_HELPERS = { gCF, gOF, gAF, PARITY } as const;

/** Expression for CF (a boolean). */
export function cfExpr(k: Known): string {
  if (k.lz === null || k.lop === null) return k.lz !== null && (k.lz & CF) === 0 ? '((fr & 1) !== 0)' : 'gCF(fr, lz, lop, ld, ls, lr, lci)';
  if ((k.lz & CF) === 0) return '((fr & 1) !== 0)';
  switch (k.lop) {
    case LAZY_ADD: return '((lr >>> 0) < (ld >>> 0))';
    case LAZY_ADC: return '(lci !== 0 ? (lr >>> 0) <= (ld >>> 0) : (lr >>> 0) < (ld >>> 0))';
    case LAZY_SUB: return '((ld >>> 0) < (ls >>> 0))';
    case LAZY_SBB: return '(lci !== 0 ? (ld >>> 0) <= (ls >>> 0) : (ld >>> 0) < (ls >>> 0))';
    default: return 'false';
  }
}

export function zfExpr(k: Known): string {
  if (k.lz === null) return `((lz & ${ZF}) !== 0 ? lr === 0 : (fr & ${ZF}) !== 0)`;
  return (k.lz & ZF) !== 0 ? '(lr === 0)' : `((fr & ${ZF}) !== 0)`;
}

export function sfExpr(k: Known): string {
  if (k.lz === null) return `((lz & ${SF}) !== 0 ? (lr & lsz) !== 0 : (fr & ${SF}) !== 0)`;
  if ((k.lz & SF) === 0) return `((fr & ${SF}) !== 0)`;
  return k.lsz !== null ? `((lr & ${k.lsz}) !== 0)` : '((lr & lsz) !== 0)';
}

export function pfExpr(k: Known): string {
  if (k.lz === null) return `((lz & ${PF}) !== 0 ? PARITY[lr & 255] !== 0 : (fr & ${PF}) !== 0)`;
  return (k.lz & PF) !== 0 ? '(PARITY[lr & 255] !== 0)' : `((fr & ${PF}) !== 0)`;
}

export function ofExpr(k: Known): string {
  if (k.lz === null || k.lop === null) return k.lz !== null && (k.lz & OF) === 0 ? `((fr & ${OF}) !== 0)` : 'gOF(fr, lz, lop, ld, ls, lr, lsz)';
  if ((k.lz & OF) === 0) return `((fr & ${OF}) !== 0)`;
  const sz = k.lsz !== null ? String(k.lsz) : 'lsz';
  switch (k.lop) {
    case LAZY_ADD:
    case LAZY_ADC:
      return `(((ld ^ lr) & (ls ^ lr) & ${sz}) !== 0)`;
    case LAZY_SUB:
    case LAZY_SBB:
      return `(((ld ^ ls) & (ld ^ lr) & ${sz}) !== 0)`;
    default:
      return 'false';
  }
}

export function afExpr(k: Known): string {
  if (k.lz === null || k.lop === null) return k.lz !== null && (k.lz & AF) === 0 ? `((fr & ${AF}) !== 0)` : 'gAF(fr, lz, lop, ld, ls, lr)';
  if ((k.lz & AF) === 0) return `((fr & ${AF}) !== 0)`;
  return k.lop === LAZY_LOGIC ? 'false' : '(((ld ^ ls ^ lr) & 16) !== 0)';
}

/** Expression for condition code tttn (SDM B.1.4.7), as Cpu.cond evaluates it. */
export function condExpr(cc: number, k: Known): string {
  let r: string;
  switch (cc >> 1) {
    case 0: r = ofExpr(k); break;
    case 1: r = cfExpr(k); break;
    case 2: r = zfExpr(k); break;
    case 3: r = `(${cfExpr(k)} || ${zfExpr(k)})`; break;
    case 4: r = sfExpr(k); break;
    case 5: r = pfExpr(k); break;
    case 6: r = `(${sfExpr(k)} !== ${ofExpr(k)})`; break;
    default: r = `(${zfExpr(k)} || ${sfExpr(k)} !== ${ofExpr(k)})`; break;
  }
  return (cc & 1) === 0 ? r : `!${r}`;
}

/** Fields a condition may read. */
export const COND_READS = F_ALL;
