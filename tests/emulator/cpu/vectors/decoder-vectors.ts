/**
 * The decoder vector file (decoder.txt): one line per case, `bytes form length` or
 * `bytes INVALID`, in 32-bit code. The first part is generated from the opcode table (one
 * encoding per form, and every one- and two-byte opcode the table lacks); lines below the
 * `# found by the iced-x86 comparison` marker are kept forever: every mismatch the random
 * comparison with iced-x86 reports is added there once fixed. `npx tsx
 * tests/emulator/cpu/vectors/decoder-vectors.ts` rewrites the generated part.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { OPCODE_FORMS, type OpForm } from '../../../../emulator/cpu/opcodes';
import { decode } from '../../../../emulator/cpu/decoder';
import { Insn } from '../../../../emulator/cpu/insn';

export const FILE = new URL('./decoder.txt', import.meta.url);
export const KEPT = '# found by the iced-x86 comparison';
const IMM_BYTES: Record<string, number> = { '': 0, Ib: 1, Ibs: 1, Iw: 2, Iz: 4, Jb: 1, Jz: 4, Ap: 6, O: 4, IwIb: 3 };
const insn = new Insn();

/** One encoding of a form: register operands (mod 3) unless it needs memory ([EAX], mod 0); its own ModRM byte if it has one. */
export function encode(f: OpForm): number[] {
  const b = f.code > 0xff ? [0x0f, f.code & 0xff] : [f.code];
  if (f.modrmByte >= 0) b.push(f.modrmByte);
  else if (f.modrm) b.push((f.rm === 'mem' ? 0x00 : 0xc0) | (Math.max(f.reg, 0) << 3));
  for (let k = 0; k < IMM_BYTES[f.imm]; k++) b.push(0x11 * (k + 1));
  return b;
}

const hex = (b: number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join('');

/** What ringside's decoder makes of `bytes`: `form length` or INVALID. */
export function decodeLine(bytes: number[]): string {
  const buf = Uint8Array.from([...bytes, ...new Array(16).fill(0)]);
  const len = decode(buf, 0, buf.length, true, insn);
  if (len <= 0 || insn.form === null) return 'INVALID';
  return `${insn.form.mnemonic}${insn.form.operands === '' ? '' : ':' + insn.form.operands} ${len}`;
}

/** The generated part of the file. */
export function generated(): string[] {
  const lines: string[] = [];
  for (const f of OPCODE_FORMS) {
    const b = encode(f);
    lines.push(`${hex(b)} ${decodeLine(b)}`);
  }
  const known = new Set(OPCODE_FORMS.map((f) => f.code));
  const prefixes = new Set([0x0f, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
  for (let c = 0; c < 0x100; c++) if (!known.has(c) && !prefixes.has(c)) lines.push(`${hex([c, 0xc0])} ${decodeLine([c, 0xc0])}`);
  for (let c = 0; c < 0x100; c++) if (!known.has(0x0f00 | c)) lines.push(`${hex([0x0f, c, 0xc0])} ${decodeLine([0x0f, c, 0xc0])}`);
  return lines;
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const kept = readFileSync(FILE, 'utf8').split(`${KEPT}\n`)[1] ?? '';
  writeFileSync(FILE, `${generated().join('\n')}\n${KEPT}\n${kept}`);
}
