/**
 * Disassembly text for the debugger: iced-x86 formats the instructions (Intel syntax) and
 * ringside's own decoder decides lengths and validity, so what is shown is what executes.
 * Bytes are read without side effects (no accessed bits, no MMIO reads, no faults).
 */
import iced from 'iced-x86';
import type { Machine } from './machine';
import { decode, DECODE_TRUNCATED } from './cpu/decoder';
import { Insn } from './cpu/insn';
import { probeTranslate } from './cpu/paging';
import { CS } from './cpu/constants';

export interface DisasmLine {
  address: number; // linear address
  eip: number; // offset in CS
  bytes: string; // hex bytes
  text: string; // instruction text (with symbols for direct targets)
  symbol: string; // symbol+offset of the address, or ''
}

const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = iced;
let formatter: InstanceType<typeof Formatter> | null = null;

/** Reads `n` bytes at a linear address without side effects; unreadable bytes are -1. */
export function peekLinear(m: Machine, lin: number, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = probeTranslate(m.cpu, (lin + k) | 0);
    out.push(p >= 0 && p < m.cpu.ramSize ? m.cpu.ram[p] : -1);
  }
  return out;
}

/** Disassembles `count` instructions from CS:`eip` (default: the current instruction). */
export function disassemble(m: Machine, count: number, eip = m.cpu.eip): DisasmLine[] {
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const cpu = m.cpu;
  const lines: DisasmLine[] = [];
  const insn = new Insn();
  let off = eip >>> 0;
  for (let k = 0; k < count; k++) {
    const lin = (cpu.segBase[CS] + off) >>> 0;
    const raw = peekLinear(m, lin, 15);
    let avail = raw.indexOf(-1);
    if (avail < 0) avail = 15;
    const bytes = Uint8Array.from(raw.slice(0, avail));
    const len = avail === 0 ? DECODE_TRUNCATED : decode(bytes, 0, avail, cpu.cs32, insn);
    const symbol = m.symbols.format(lin);
    if (len === DECODE_TRUNCATED) {
      lines.push({ address: lin, eip: off, bytes: '', text: '(not readable)', symbol });
      break;
    }
    let text: string;
    if (insn.form === null) text = insn.fault === 13 ? '(bad: longer than 15 bytes)' : '(bad)';
    else {
      const d = new Decoder(cpu.cs32 ? 32 : 16, bytes.subarray(0, len), DecoderOptions.None);
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
