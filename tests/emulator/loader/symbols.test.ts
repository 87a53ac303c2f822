import { describe, expect, it } from 'vitest';
import { LABEL_REACH, SymbolTable } from '../../../emulator/loader/symbols';
import { ImageError } from '../../../emulator/loader/types';
import { buildElf, buildElfDetailed, pattern } from './elf-builder';

const BASE = 0x100000;

function table(): SymbolTable {
  return SymbolTable.fromElf(
    buildElf({
      entry: BASE,
      segments: [{ paddr: BASE, data: pattern(0x40) }],
      symbols: [
        { name: 'kernel.c', value: 0, type: 'file', bind: 'local', shndx: 0xfff1 },
        { name: '', value: BASE, type: 'section', bind: 'local' },
        { name: 'start', value: BASE, type: 'notype' },
        { name: 'start.loop', value: BASE + 8, type: 'notype', bind: 'local' },
        { name: 'kmain', value: BASE + 0x10, size: 0x20, type: 'func' },
        { name: 'entry_alias', value: BASE + 0x10, type: 'notype' },
        { name: 'buffer', value: BASE + 0x2000, size: 0x100, type: 'object' },
        { name: 'helper', value: BASE + 0x3000, size: 0x10, type: 'func', bind: 'local' },
        { name: 'helper', value: BASE + 0x4000, size: 0x10, type: 'func', bind: 'global' },
        { name: 'weakling', value: BASE + 0x5000, size: 4, type: 'func', bind: 'weak' },
        { name: 'far_label', value: 0x200000, type: 'notype' },
        { name: '.hidden', value: BASE + 0x20, type: 'notype' },
        { name: 'undefined_ext', value: 0, type: 'func', shndx: 0 },
        { name: 'CONSTANT', value: 0x1234, type: 'notype', shndx: 0xfff1 },
        { name: 'common_var', value: 4, size: 4, type: 'object', shndx: 0xfff2 },
      ],
    }),
  );
}

describe('SymbolTable', () => {
  const t = table();

  it('keeps FUNC/OBJECT/NOTYPE symbols defined in a section, skips the rest', () => {
    const names = t.entries().map((e) => e.name);
    expect(names).toEqual([
      'start',
      'start.loop',
      'kmain',
      'entry_alias',
      'buffer',
      'helper',
      'helper',
      'weakling',
      'far_label',
    ]);
    expect(t.size).toBe(9);
    expect(t.entries()[2]).toEqual({ name: 'kmain', address: BASE + 0x10, size: 0x20, kind: 'func', binding: 'global' });
    expect(t.entries()[4].kind).toBe('object');
    expect(t.entries()[0].kind).toBe('label');
  });

  it('finds the nearest symbol at or below an address', () => {
    expect(t.lookup(BASE)).toEqual({ name: 'start', offset: 0 });
    expect(t.lookup(BASE + 4)).toEqual({ name: 'start', offset: 4 });
    expect(t.lookup(BASE + 9)).toEqual({ name: 'start.loop', offset: 1 });
    expect(t.lookup(BASE + 0x2c)).toEqual({ name: 'kmain', offset: 0x1c });
    expect(t.lookup(BASE + 0x20ff)).toEqual({ name: 'buffer', offset: 0xff });
    expect(t.lookup(BASE - 1)).toBeUndefined();
  });

  it('prefers a sized function over a label at the same address', () => {
    expect(t.lookup(BASE + 0x10)?.name).toBe('kmain');
  });

  it('respects sizes and the 64 KiB reach of size-0 labels', () => {
    expect(t.lookup(BASE + 0x30)).toBeUndefined(); // past kmain's 0x20 bytes
    expect(t.lookup(BASE + 0x2100)).toBeUndefined(); // past buffer
    expect(t.lookup(0x200000 + LABEL_REACH - 1)).toEqual({ name: 'far_label', offset: 0xffff });
    expect(t.lookup(0x200000 + LABEL_REACH)).toBeUndefined();
  });

  it('formats addresses', () => {
    expect(t.format(BASE + 0x2c)).toBe('kmain+0x1c');
    expect(t.format(BASE + 0x10)).toBe('kmain');
    expect(t.format(BASE + 0x30)).toBe('0x00100030');
  });

  it('resolves names, preferring global over weak over local definitions', () => {
    expect(t.addressOf('kmain')).toBe(BASE + 0x10);
    expect(t.addressOf('helper')).toBe(BASE + 0x4000);
    expect(t.addressOf('weakling')).toBe(BASE + 0x5000);
    expect(t.addressOf('CONSTANT')).toBeUndefined();
    expect(t.addressOf('.hidden')).toBeUndefined();
  });

  it('is empty for an image without .symtab and for the empty table', () => {
    const t2 = SymbolTable.fromElf(buildElf({ entry: BASE, segments: [{ paddr: BASE, data: pattern(4) }] }));
    expect(t2.size).toBe(0);
    expect(t2.lookup(BASE)).toBeUndefined();
    expect(SymbolTable.empty().format(0xdeadbeef)).toBe('0xdeadbeef');
  });

  it('handles addresses at the top of the 32-bit space', () => {
    const t3 = new SymbolTable([{ name: 'top', address: 0xfffffff0, size: 0, kind: 'label', binding: 'global' }]);
    expect(t3.lookup(0xffffffff)).toEqual({ name: 'top', offset: 15 });
    expect(t3.lookup(-1)).toEqual({ name: 'top', offset: 15 });
  });

  it('rejects a symbol table that lies outside the file', () => {
    const built = buildElfDetailed({
      entry: BASE,
      segments: [{ paddr: BASE, data: pattern(4) }],
      symbols: [{ name: 'a', value: BASE }],
    });
    const bytes = built.bytes.slice();
    new DataView(bytes.buffer).setUint32(built.shoff + 2 * 40 + 16, 0x100000, true); // .symtab sh_offset
    expect(() => SymbolTable.fromElf(bytes)).toThrow(ImageError);
    expect(() => SymbolTable.fromElf(bytes)).toThrow('bad image: ELF section 2 (.symtab) extends past the end of the file');
  });

  it('rejects a symbol table whose string table is not SHT_STRTAB', () => {
    const built = buildElfDetailed({
      entry: BASE,
      segments: [{ paddr: BASE, data: pattern(4) }],
      symbols: [{ name: 'a', value: BASE }],
    });
    const bytes = built.bytes.slice();
    new DataView(bytes.buffer).setUint32(built.shoff + 2 * 40 + 24, 1, true); // .symtab sh_link -> .text
    expect(() => SymbolTable.fromElf(bytes)).toThrow(
      "bad image: the ELF symbol table's string table (section 1) is not a string table",
    );
  });
});
