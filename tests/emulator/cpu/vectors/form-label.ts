/** The label of an instruction's bytes (hex): its form's mnemonic and operands, in 32-bit code. */
import { decode } from '../../../../emulator/cpu/decoder';
import { Insn } from '../../../../emulator/cpu/insn';

const insn = new Insn();

export function formLabel(hex: string): string {
  const bytes = Uint8Array.from(hex.match(/../g)!.map((b) => parseInt(b, 16)));
  const len = decode(bytes, 0, bytes.length, true, insn);
  if (len <= 0 || insn.form === null) return 'INVALID';
  const prefix = insn.os32 ? '' : 'o16 ';
  return `${prefix}${insn.form.mnemonic}${insn.form.operands === '' ? '' : ' ' + insn.form.operands}`;
}
