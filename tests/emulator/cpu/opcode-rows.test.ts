import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OPCODE_FORMS, INTERCEPTS, TRAP_KINDS } from '../../../emulator/cpu/opcodes';
import { HANDLERS } from '../../../emulator/cpu/ops';
import { INTERVENTIONS } from '../../../emulator/monitors/sw/monitor';
import * as flag from '../../../emulator/cpu/ops/flag';
import * as segment from '../../../emulator/cpu/ops/segment';
import * as model from '../../../emulator/cpu/ops/model';

const ROOT = join(import.meta.dirname, '../../..');
const TABLE = 'emulator/cpu/opcodes.ts';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|tsx|mjs)$/.test(name)) out.push(rel);
  }
  return out;
}
const FILES = ['emulator', 'cli', 'recorder', 'bench'].flatMap(sources).filter((f) => f !== TABLE);
const TEXT = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

describe('the opcode table rows', () => {
  it('every row names a handler that an instruction family defines', () => {
    expect(OPCODE_FORMS.filter((f) => HANDLERS[f.handler] === undefined).map((f) => f.handler)).toEqual([]);
  });

  it('no handler name appears as a string outside the table (the rows carry the facts)', () => {
    const words = new Set<string>([...OPCODE_FORMS.map((f) => f.mnemonic), ...INTERCEPTS, ...TRAP_KINDS]);
    const names = [...new Set(OPCODE_FORMS.map((f) => f.handler))].filter((h) => !words.has(h));
    const found: string[] = [];
    for (const [file, text] of TEXT) {
      for (const h of names) if (text.includes(`'${h}'`) || text.includes(`"${h}"`)) found.push(`${relative(ROOT, join(ROOT, file))}: ${h}`);
    }
    expect(found).toEqual([]);
  });

  it('every field of a row is read outside the table (by the code, or by the decoder tests)', () => {
    const readers = [...TEXT.values(), ...sources('tests').filter((f) => !f.endsWith('opcode-rows.test.ts')).map((f) => readFileSync(join(ROOT, f), 'utf8'))];
    const unread = Object.keys(OPCODE_FORMS[0]).filter((k) => !readers.some((t) => new RegExp(`\\.${k}\\b`).test(t)));
    expect(unread).toEqual([]);
  });

  it('every intercept and trap kind is offered by some row, and trap kinds are monitor interventions', () => {
    expect(INTERCEPTS.filter((k) => !OPCODE_FORMS.some((f) => f.intercept === k))).toEqual([]);
    expect(TRAP_KINDS.filter((k) => !OPCODE_FORMS.some((f) => f.trap === k))).toEqual([]);
    expect(TRAP_KINDS.filter((k) => !(INTERVENTIONS as readonly string[]).includes(k))).toEqual([]);
  });

  it('only the string instructions repeat, and no pure form ends a block or is offered to a monitor', () => {
    const repeating = [...new Set(OPCODE_FORMS.filter((f) => f.repeats).map((f) => f.mnemonic.replace(/b$/, '')))].sort();
    expect(repeating).toEqual(['cmps', 'ins', 'lods', 'movs', 'outs', 'scas', 'stos']);
    expect(OPCODE_FORMS.filter((f) => f.pure && (f.endsBlock || f.intercept !== '' || f.trap !== '' || f.repeats))).toEqual([]);
  });

  it('handlers are named after their form', () => {
    const at = (code: number, reg = -1) => OPCODE_FORMS.find((f) => f.code === code && f.reg === reg)!.handler;
    expect([at(0x0f01, 2), at(0x0f01, 3), at(0x0f01, 0), at(0x0f01, 1)]).toEqual(['lgdt', 'lidt', 'sgdt', 'sidt']);
    expect([at(0x83, 0), at(0x98), at(0x99), at(0x0f08), at(0x0f09), at(0xc3)]).toEqual(['aluEvIb', 'cwde', 'cdq', 'invd', 'wbinvd', 'retNear']);
  });

  it('instruction families follow one rule: flag control, segment-register loads, CPUID and MSRs each in one file', () => {
    const handlersOf = (m: string[]) => [...new Set(OPCODE_FORMS.filter((f) => m.includes(f.mnemonic)).map((f) => f.handler))];
    const sreg = OPCODE_FORMS.filter((f) => /S[wS]|^[CDEFGS]S$/.test(f.operands) || ['les', 'lds', 'lss', 'lfs', 'lgs'].includes(f.mnemonic));
    for (const h of handlersOf(['clc', 'stc', 'cmc', 'cld', 'std', 'cli', 'sti', 'pushf', 'popf', 'lahf', 'sahf', 'clac', 'stac'])) expect(Object.keys(flag)).toContain(h);
    for (const h of new Set(sreg.map((f) => f.handler))) expect(Object.keys(segment)).toContain(h);
    for (const h of handlersOf(['cpuid', 'rdtsc', 'rdtscp', 'rdpid', 'rdpmc', 'rdmsr', 'wrmsr'])) expect(Object.keys(model)).toContain(h);
  });
});
