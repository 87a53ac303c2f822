/**
 * The code emitter of the block translator: what the templates (templates.ts) build a
 * translated block from. It knows how the generated function holds guest state:
 *
 *  - the eight GPRs in locals r0..r7 (loaded at entry for the registers the block uses,
 *    written back at every exit for the ones it writes);
 *  - the lazy-flag state in eight locals mirroring the Cpu fields (see flags.ts);
 *  - `e0` the EIP the block was entered at, `ic` the icount at the start of the current pass,
 *    `pc` the index of the instruction that may fault next (read by the exception handler).
 *
 * Each instruction is a list of items: code, and flag-field stores that the translator drops
 * when no later reader needs them. Placeholders (%STORE%, %LOAD%) stand for the write-back and
 * reload of the guest state; they are expanded once the block's register and flag sets are known.
 */
import type { Insn } from '../insn';
import { CS } from '../constants';
import { F_ALL, type Known } from './flags';

/** One piece of generated code. */
export interface Item {
  s: string; // source
  w: number; // flag fields it writes (a store: dropped when none of them is live afterwards)
  r: number; // flag fields it reads
  store: boolean; // droppable
}

export const STORE = '%STORE%';
/** The write-back of the registers in `mask` (those written so far) and of the flag fields. */
export function storeOf(mask: number): string {
  return `%STORE${mask}%`;
}
export const LOAD = '%LOAD%';

/** Per-block emitter state; one instruction at a time. */
export class Emitter {
  readonly items: Item[][] = [];
  cur: Item[] = [];
  used = 0; // registers read or written (bit per register)
  written = 0; // registers written
  known: Known = { lz: null, lop: null, lsz: null };
  fallback: boolean[] = []; // per instruction: runs the interpreter's handler (state synced before)
  k = 0; // index of the instruction being emitted
  off: number[]; // byte offset of each instruction in the block (and the block's length at [n])
  selfLoop = false; // a branch back to the block's start was compiled as a loop
  loops = false; // the block may branch back to its start (set before emitting): then every
  // write-back covers every register the block writes, since a later pass follows an earlier one

  constructor(off: number[]) {
    this.off = off;
  }

  begin(k: number): void {
    this.k = k;
    this.cur = [];
    this.fallback[k] = false;
  }

  end(): void {
    this.items[this.k] = this.cur;
  }

  code(s: string, r = 0): void {
    this.cur.push({ s, w: 0, r, store: false });
  }

  /** Assigns flag field(s) `w`; `r` the fields the expression reads. */
  store(w: number, r: number, s: string): void {
    this.cur.push({ s, w, r, store: true });
  }

  /**
   * Assigns flag field(s) `w` on some paths only (a conditional update): never dropped, and
   * every field stays live before it (the paths that skip it keep the earlier values).
   */
  update(w: number, s: string): void {
    this.cur.push({ s, w, r: F_ALL, store: false });
  }

  /** The next instruction may fault: the exception handler must know which one it is. */
  mayFault(): void {
    this.code(`pc = ${this.k};`);
  }

  // --- Registers -------------------------------------------------------------------------------

  /** A register operand read at `size` bytes (8-bit numbers: AL CL DL BL AH CH DH BH). */
  reg(n: number, size: number): string {
    if (size === 1) {
      const r = n & 3;
      this.used |= 1 << r;
      return n < 4 ? `(r${r} & 255)` : `((r${r} >> 8) & 255)`;
    }
    this.used |= 1 << n;
    return size === 4 ? `r${n}` : `(r${n} & 65535)`;
  }

  /** Statement writing `v` (an expression) to a register at `size` bytes. */
  setReg(n: number, size: number, v: string): string {
    if (size === 1) {
      const r = n & 3;
      this.used |= 1 << r;
      this.written |= 1 << r;
      return n < 4 ? `r${r} = (r${r} & -256) | ((${v}) & 255);` : `r${r} = (r${r} & -65281) | (((${v}) & 255) << 8);`;
    }
    this.used |= 1 << n;
    this.written |= 1 << n;
    return size === 4 ? `r${n} = (${v}) | 0;` : `r${n} = (r${n} & -65536) | ((${v}) & 65535);`;
  }

  /** The effective address of the memory operand (uint32; 32-bit addressing only). */
  ea(i: Insn): string {
    const parts: string[] = [];
    if (i.disp !== 0 || (i.base < 0 && i.index < 0)) parts.push(String(i.disp | 0));
    if (i.base >= 0) parts.push(this.reg(i.base, 4));
    if (i.index >= 0) parts.push(i.scale === 0 ? this.reg(i.index, 4) : `(${this.reg(i.index, 4)} << ${i.scale})`);
    return `((${parts.join(' + ')}) >>> 0)`;
  }

  // --- State hand-over -----------------------------------------------------------------------

  /** Statement: the guest state in the Cpu as the interpreter has it before instruction k. */
  sync(k: number): string {
    return `${this.loops ? STORE : storeOf(this.written)} cpu.eip = (e0 + ${this.off[k]}) >>> 0; cpu.next = (e0 + ${this.off[k + 1]}) >>> 0; cpu.icount = ic + ${k};`;
  }

  /** Statement: leave the block with `retired` instructions of this pass done, at `eip`. */
  exit(retired: number, eip: string): string {
    return `{ ${this.loops ? STORE : storeOf(this.written)} cpu.eip = ${eip}; cpu.next = cpu.eip; cpu.icount = ic + ${retired}; return; }`;
  }

  /** Exit after instruction k at the next instruction. */
  exitNext(k: number): string {
    return this.exit(k + 1, `(e0 + ${this.off[k + 1]}) >>> 0`);
  }

  /** After an instruction that touched memory: a slow path may have asked to leave (cpu.brk). */
  brkCheck(): void {
    this.code(`if (cpu.brk) ${this.exitNext(this.k)}`, F_ALL);
  }

  /** A branch to the block-relative displacement `rel` (from the block's start): taken. */
  branch(rel: number, retired: number): string {
    const n = this.off.length - 1;
    if (rel === 0) {
      // Back to the block's own start (a loop): keep going while a whole pass fits the limit.
      // At most PASSES passes per call: V8 optimizes a function called many times far better
      // than a long-running loop it has to replace on the stack (OSR code ran 5x slower).
      this.selfLoop = true;
      return `{ ic += ${retired}; if (ic + ${n} <= limit && --passes !== 0) continue; ${this.exit(0, 'e0')} }`;
    }
    return `{ t = (e0 + ${rel}) >>> 0; if (t > SEGLIMIT[${CS}]) cpu.gp(0); ${this.exit(retired, 't')} }`;
  }

  // --- Memory ----------------------------------------------------------------------------------

  /**
   * Statements reading `size` bytes at offset expression `off` in segment `seg` into `dst`,
   * leaving the linear address in `a`. `rmw`: the destination of a read-modify-write (the
   * segment's write rights are checked, as the interpreter's linW). The TLB fast path is the
   * interpreter's (Cpu.readL8/16/32): the entry's flags under the CPL's mask; anything else
   * goes through Cpu.readSlow with the state synced, exactly as the interpreter would.
   */
  read(size: number, seg: number, off: string, dst: string, rmw = false): string {
    const lo = rmw ? 'WLO' : 'RLO', hi = rmw ? 'WHI' : 'RHI';
    let s = `o = ${off}; if (o < ${lo}[${seg}] || o${size > 1 ? ` + ${size - 1}` : ''} > ${hi}[${seg}]) cpu.segFault(${seg}); a = (BASE[${seg}] + o) | 0;`;
    s += this.readLin(size, dst);
    return s;
  }

  /** Reads `size` bytes at linear address `a` into `dst`. */
  readLin(size: number, dst: string): string {
    let v: string;
    if (size === 4) v = '(p & 3) === 0 ? RAM32[p >> 2] : (RAM[p] | (RAM[p + 1] << 8) | (RAM[p + 2] << 16) | (RAM[p + 3] << 24))';
    else if (size === 2) v = 'RAM[p] | (RAM[p + 1] << 8)';
    else v = 'RAM[p]';
    return ` e = TLB[a >>> 12]; if ((e & cpu.rdMask) === cpu.rdWant && (a & 4095) <= ${4096 - size}) { p = (e & -4096) | (a & 4095); ${dst} = ${v}; }` +
      ` else { ${this.sync(this.k)} ${dst} = cpu.readSlow(a, ${size}, cpu.cpl === 3); }`;
  }

  /** Statements writing `v` (a variable) of `size` bytes at offset `off` in `seg`. */
  write(size: number, seg: number, off: string, v: string): string {
    return `o = ${off}; if (o < WLO[${seg}] || o${size > 1 ? ` + ${size - 1}` : ''} > WHI[${seg}]) cpu.segFault(${seg}); a = (BASE[${seg}] + o) | 0;` + this.writeLin(size, v);
  }

  /** Writes `v` (a variable) of `size` bytes at linear address `a` (Cpu.writeL8/16/32). */
  writeLin(size: number, v: string): string {
    let w: string;
    if (size === 4) w = `if ((p & 3) === 0) RAM32[p >> 2] = ${v}; else { RAM[p] = ${v}; RAM[p + 1] = ${v} >> 8; RAM[p + 2] = ${v} >> 16; RAM[p + 3] = ${v} >> 24; }`;
    else if (size === 2) w = `RAM[p] = ${v}; RAM[p + 1] = ${v} >> 8;`;
    else w = `RAM[p] = ${v};`;
    return ` e = TLB[a >>> 12]; if ((e & cpu.wrMask) === cpu.wrWant && (a & 4095) <= ${4096 - size}) { p = (e & -4096) | (a & 4095); ${w} }` +
      ` else { ${this.sync(this.k)} cpu.writeSlow(a, ${size}, ${v}, cpu.cpl === 3); }`;
  }
}
