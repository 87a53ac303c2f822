/**
 * Memory as plain data for the debugger: address expressions, hex+ASCII rows and the stack.
 * Memory and registers are the guest's as it sees them (emulator/guest-view.ts: under a
 * monitor, its virtual CPU and its own page tables), read without side effects; a byte that is
 * not mapped (or not RAM) is -1.
 *
 * Address expressions: a number (`0x1000`, `4096`), a symbol (`main`, `main.wait+0x4`), a
 * register (`esp`, `eip` as CS base + EIP, `eax-8`), and `[expr]`, the dword stored at expr
 * (`[esp]` is the return address on the stack at a function's entry). Terms add and subtract.
 */
import type { Machine } from '../../emulator/machine';
import { readGuest, guestRegisters } from '../../emulator/guest-view';
import { REG32_NAMES, SS, CS, ESP } from '../../emulator/cpu/constants';

/** An expression that does not name an address; its message is one line for the user. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

export function readBytes(m: Machine, linear: number, n: number): number[] {
  return readGuest(m, linear >>> 0, n);
}

/** The dword at `linear`, or undefined when any of its bytes is unreadable. */
export function readDword(m: Machine, linear: number): number | undefined {
  const b = readBytes(m, linear, 4);
  if (b.includes(-1)) return undefined;
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

function term(m: Machine, t: string): number {
  const g = guestRegisters(m);
  const s = t.trim();
  if (s === '') throw new ExpressionError('empty address expression');
  if (s.startsWith('[') && s.endsWith(']')) {
    const at = resolveAddress(m, s.slice(1, -1));
    const v = readDword(m, at);
    if (v === undefined) throw new ExpressionError(`[${s.slice(1, -1)}]: 0x${at.toString(16)} is not mapped`);
    return v;
  }
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  if (/^\d+$/.test(s)) return Number(s);
  const reg = (REG32_NAMES as readonly string[]).indexOf(s.toLowerCase());
  if (reg >= 0) return g.regs[reg] >>> 0;
  if (s.toLowerCase() === 'eip') return (g.segBase[CS] + g.eip) >>> 0;
  const sym = m.symbols.addressOf(s);
  if (sym !== undefined) return sym >>> 0;
  if (/^[0-9a-f]+$/i.test(s)) return parseInt(s, 16); // bare hex, as gdb's x/ shows addresses
  throw new ExpressionError(`'${s}' is not a number, a register or a symbol of this guest`);
}

/** The linear address an expression names (see the header); throws ExpressionError. */
export function resolveAddress(m: Machine, expr: string): number {
  // Split on + and - outside brackets.
  const parts: { sign: number; text: string }[] = [];
  let depth = 0, start = 0, sign = 1;
  const s = expr.trim();
  for (let k = 0; k <= s.length; k++) {
    const c = s[k];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (k === s.length || (depth === 0 && (c === '+' || c === '-') && k > 0)) {
      parts.push({ sign, text: s.slice(start, k) });
      sign = c === '-' ? -1 : 1;
      start = k + 1;
    }
  }
  if (depth !== 0) throw new ExpressionError(`unbalanced brackets in '${expr}'`);
  return parts.reduce((sum, p) => sum + p.sign * term(m, p.text), 0) >>> 0;
}

/** `func+0x1c` for an address a symbol names, else the address in hex. */
export function symbolize(m: Machine, address: number): string {
  return m.symbols.format(address >>> 0);
}

export interface MemoryRow {
  address: number;
  bytes: number[]; // -1: unreadable
  ascii: string; // printable bytes, '.' otherwise, ' ' for unreadable
}

export function memoryRows(m: Machine, address: number, rows: number, perRow = 16): MemoryRow[] {
  const out: MemoryRow[] = [];
  for (let r = 0; r < rows; r++) {
    const at = (address + r * perRow) >>> 0;
    const bytes = readBytes(m, at, perRow);
    const ascii = bytes.map((b) => (b < 0 ? ' ' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push({ address: at, bytes, ascii });
  }
  return out;
}

export interface StackEntry {
  address: number; // linear address of the dword
  offset: number; // from ESP
  value: number | undefined; // undefined: not mapped
  symbol: string; // the symbol naming the value when one does (a return address), else ''
}

/** `count` dwords from SS:ESP up. */
export function stackView(m: Machine, count: number): StackEntry[] {
  const g = guestRegisters(m);
  const top = (g.segBase[SS] + g.regs[ESP]) >>> 0;
  const out: StackEntry[] = [];
  for (let k = 0; k < count; k++) {
    const address = (top + 4 * k) >>> 0;
    const value = readDword(m, address);
    const loc = value === undefined ? undefined : m.symbols.lookup(value);
    out.push({ address, offset: 4 * k, value, symbol: loc === undefined ? '' : m.symbols.format(value!) });
  }
  return out;
}
