/** The flags of each form (emulator/cpu/form-flags.ts, made from iced-x86) and the rows that carry them. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { OPCODE_FORMS, formKey } from '../../../emulator/cpu/opcodes';
import { FORM_FLAGS } from '../../../emulator/cpu/form-flags';
import { AF, CF, DF, IF, OF, PF, SF, ZF } from '../../../emulator/cpu/constants';
import { FILE, formFlagsSource } from './vectors/form-flags';

const row = (mnemonic: string, operands: string) => OPCODE_FORMS.find((f) => f.mnemonic === mnemonic && f.operands === operands)!;

describe('flags per form', () => {
  it('form-flags.ts is what iced-x86 says today (rewrite it with npx tsx tests/emulator/cpu/vectors/form-flags.ts)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(formFlagsSource());
  });

  it('every form but the x87 escapes has its flags, and each row carries its own', () => {
    for (const f of OPCODE_FORMS) {
      if (f.handler === 'fpuEscape') continue;
      const [read, written, undef] = FORM_FLAGS[formKey(f)];
      expect(f.flags, `${f.mnemonic} ${f.operands}`).toEqual({ read, written, undefined: undef });
      expect(written & undef, `${f.mnemonic} ${f.operands}: a flag both written and undefined`).toBe(0);
    }
  });

  it('records what the SDM says of a few well-known forms', () => {
    const arith = OF | SF | ZF | AF | CF | PF;
    expect(row('add', 'Ev,Gv').flags).toEqual({ read: 0, written: arith, undefined: 0 });
    expect(row('adc', 'Ev,Gv').flags.read).toBe(CF);
    expect(row('and', 'Ev,Gv').flags).toEqual({ read: 0, written: arith & ~AF, undefined: AF });
    expect(row('bt', 'Ev,Gv').flags).toEqual({ read: 0, written: CF, undefined: OF | SF | AF | PF }); // ZF unaffected
    expect(row('mul', 'Ev').flags).toEqual({ read: 0, written: OF | CF, undefined: SF | ZF | AF | PF });
    expect(row('inc', 'Zv').flags.written).toBe(arith & ~CF);
    expect(row('cld', '').flags.written).toBe(DF);
    expect(row('sti', '').flags.written).toBe(IF);
    expect(row('mov', 'Ev,Gv').flags).toEqual({ read: 0, written: 0, undefined: 0 });
    expect(row('jb', 'Jb').flags.read).toBe(CF);
  });
});
