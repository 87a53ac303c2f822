/**
 * Disassembly text for the debugger: iced-x86 formats the instructions (Intel syntax) and
 * ringside's own decoder decides lengths and validity, so what is shown is what executes.
 * Bytes are read as the guest sees them (guest-view.ts): through the guest's own page tables,
 * also under a monitor, without side effects (no accessed bits, no MMIO reads, no faults).
 */
import { createRequire } from 'node:module';
import type Iced from 'iced-x86';
import type { Machine } from './machine';
import { decode, DECODE_TRUNCATED } from './cpu/decoder';
import { Insn } from './cpu/insn';
import { CS } from './cpu/constants';
import { readGuest, guestRegisters } from './guest-view';

export interface DisasmLine {
  address: number; // linear address
  eip: number; // offset in CS
  bytes: string; // hex bytes
  text: string; // instruction text (with symbols for direct targets)
  symbol: string; // symbol+offset of the address, or ''
}

// iced-x86 is loaded on the first disassembly, not when the CLI starts (it costs more start-up
// time than the rest of ringside together).
let iced: typeof Iced | null = null;
let formatter: InstanceType<typeof Iced.Formatter> | null = null;

/** Disassembles `count` instructions from the guest's CS:`eip` (default: its current instruction). */
export function disassemble(m: Machine, count: number, eip?: number): DisasmLine[] {
  iced ??= createRequire(import.meta.url)('iced-x86') as typeof Iced;
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = iced;
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const g = guestRegisters(m);
  const csBase = g.segBase[CS];
  const cs32 = (g.segAR[CS] & 0x400000) !== 0;
  const lines: DisasmLine[] = [];
  const insn = new Insn();
  let off = (eip ?? g.eip) >>> 0;
  for (let k = 0; k < count; k++) {
    const lin = (csBase + off) >>> 0;
    const raw = readGuest(m, lin, 15);
    let avail = raw.indexOf(-1);
    if (avail < 0) avail = 15;
    const bytes = Uint8Array.from(raw.slice(0, avail));
    const len = avail === 0 ? DECODE_TRUNCATED : decode(bytes, 0, avail, cs32, insn);
    const symbol = m.symbols.format(lin);
    if (len === DECODE_TRUNCATED) {
      lines.push({ address: lin, eip: off, bytes: '', text: '(not readable)', symbol });
      break;
    }
    let text: string;
    if (insn.form === null) text = insn.fault === 13 ? '(bad: longer than 15 bytes)' : '(bad)';
    else {
      const d = new Decoder(cs32 ? 32 : 16, bytes.subarray(0, len), DecoderOptions.None);
      d.ip = BigInt(lin);
      const ins = d.decode();
      text = formatter.format(ins);
      const target = ins.nearBranchTarget;
      if (target !== 0n) {
        const name = m.symbols.format(Number(target));
        if (name && !/^0x/.test(name)) text += ` <${name}>`;
      }
      ins.free();
      d.free();
    }
    lines.push({ address: lin, eip: off, bytes: Array.from(bytes.subarray(0, len), (b) => b.toString(16).padStart(2, '0')).join(' '), text, symbol });
    off = (off + len) >>> 0;
  }
  return lines;
}
