/**
 * Makes emulator/cpu/form-flags.ts: the flags each form of the opcode table reads, writes and
 * leaves undefined, as iced-x86 records them (its instruction info for one encoding of the form,
 * the same encoding the decoder vector file uses). `npx tsx tests/emulator/cpu/vectors/form-flags.ts`
 * rewrites the file; a test checks that it is current.
 */
import { writeFileSync } from 'node:fs';
import iced from 'iced-x86';
import { OPCODE_FORMS, formKey } from '../../../../emulator/cpu/opcodes';
import { encode } from './decoder-vectors';
import { AF, CF, DF, IF, OF, PF, SF, ZF } from '../../../../emulator/cpu/constants';

const { Decoder, DecoderOptions, Code, RflagsBits } = iced;

export const FILE = new URL('../../../../emulator/cpu/form-flags.ts', import.meta.url);

/** iced's RflagsBits to EFLAGS bits. */
const BITS: [number, number][] = [
  [RflagsBits.OF, OF], [RflagsBits.SF, SF], [RflagsBits.ZF, ZF], [RflagsBits.AF, AF],
  [RflagsBits.CF, CF], [RflagsBits.PF, PF], [RflagsBits.DF, DF], [RflagsBits.IF, IF],
];
const eflags = (r: number): number => BITS.reduce((m, [i, e]) => ((r & i) !== 0 ? m | e : m), 0);
const hex = (n: number): string => '0x' + n.toString(16).padStart(3, '0');

/** The file's text: one entry per form key, `[read, written, undefined]` in EFLAGS bits. */
export function formFlagsSource(): string {
  const rows = new Map<string, string>();
  const problems: string[] = [];
  for (const f of OPCODE_FORMS) {
    if (f.handler === 'fpuEscape') continue; // x87 escapes only raise #NM/#UD here
    const bytes = Uint8Array.from([...encode(f), ...new Array(8).fill(0)]);
    const d = new Decoder(32, bytes, DecoderOptions.None);
    const ins = d.decode();
    if (ins.code === Code.INVALID) problems.push(`${formKey(f)} ${f.mnemonic} ${f.operands}: iced cannot decode its encoding`);
    // Written: every flag given a defined value (written, cleared or set); undefined apart.
    const entry = `[${hex(eflags(ins.rflagsRead))}, ${hex(eflags(ins.rflagsWritten | ins.rflagsCleared | ins.rflagsSet))}, ${hex(eflags(ins.rflagsUndefined))}]`;
    ins.free();
    d.free();
    const key = formKey(f);
    const before = rows.get(key);
    if (before !== undefined && before !== entry) problems.push(`${key}: two forms with different flags`);
    rows.set(key, entry);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return [
    '// Generated from iced-x86 by tests/emulator/cpu/vectors/form-flags.ts; do not edit.',
    '// The flags each form reads, writes (a defined value) and leaves undefined, by form key',
    "// (opcode/ModRM.reg, see formKey in opcodes.ts), as EFLAGS bits: [read, written, undefined].",
    'export const FORM_FLAGS: Readonly<Record<string, readonly [number, number, number]>> = {',
    ...[...rows].map(([k, v]) => `  '${k}': ${v},`),
    '};',
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) writeFileSync(FILE, formFlagsSource());
