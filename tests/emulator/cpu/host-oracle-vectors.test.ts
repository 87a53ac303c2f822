import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bareCpu, execOne, hexBytes } from '../../helpers/bare-cpu';
import { ARITH_FLAGS, FIXED1 } from '../../../emulator/cpu/constants';
import { formLabel } from './vectors/form-label';
import { decode } from '../../../emulator/cpu/decoder';
import { Insn } from '../../../emulator/cpu/insn';

const REG_ORDER = [0, 1, 2, 3, 5, 6, 7];
const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

/**
 * Vectors produced by running each instruction on the host processor
 * (tests/emulator/cpu/vectors/host-oracle.c), each labelled with its form (`# mnemonic operands`):
 * results must match, and so must every arithmetic flag except those the form leaves undefined
 * (its row's flags, as iced-x86 records them: a flag the form does not touch must be kept); the
 * label must be the decoded form. (The generator's own per-line mask, the last output column, is
 * not used.)
 */
describe('integer instructions against the host processor', () => {
  const lines = readFileSync(new URL('./vectors/host-oracle.txt', import.meta.url), 'utf8').trim().split('\n');

  it(`match ${lines.length} host-generated vectors`, () => {
    expect(lines.length).toBeGreaterThan(3000);
    const cpu = bareCpu();
    const insn = new Insn();
    const failures: string[] = [];
    for (const line of lines) {
      const [data, label] = line.split(' # ');
      const [lhs, rhs] = data.split(' : ');
      const inp = lhs.split(' ');
      const out = rhs.split(' ');
      const bytes = hexBytes(inp[0]);
      REG_ORDER.forEach((r, k) => (cpu.regs[r] = parseInt(inp[1 + k], 16) | 0));
      cpu.setFlags(parseInt(inp[8], 16) | FIXED1);
      cpu.eip = 0x1000;
      const fault = execOne(cpu, bytes);
      const problems: string[] = [];
      if (label !== formLabel(inp[0])) problems.push(`labelled '${label}', decodes as '${formLabel(inp[0])}'`);
      if (fault >= 0) problems.push(`fault ${fault}`);
      REG_ORDER.forEach((r, k) => {
        const want = parseInt(out[k], 16) >>> 0;
        if (cpu.regs[r] >>> 0 !== want) problems.push(`${NAMES[r]}=${(cpu.regs[r] >>> 0).toString(16)} want ${want.toString(16)}`);
      });
      decode(Uint8Array.from(bytes), 0, bytes.length, true, insn);
      const mask = ARITH_FLAGS & ~(insn.form?.flags.undefined ?? ARITH_FLAGS);
      const flags = cpu.getFlags() & ARITH_FLAGS & mask;
      const wantFlags = parseInt(out[7], 16) & mask;
      if (flags !== wantFlags) problems.push(`flags=${flags.toString(16)} want ${wantFlags.toString(16)} (mask ${mask.toString(16)})`);
      if (problems.length) failures.push(`${line}\n    ${problems.join(', ')}`);
    }
    expect(failures.slice(0, 15)).toEqual([]);
  });
});
