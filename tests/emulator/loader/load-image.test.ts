import { describe, expect, it } from 'vitest';
import { loadFlat } from '../../../emulator/loader/flat';
import { loadImage } from '../../../emulator/loader/load-image';
import { ImageError } from '../../../emulator/loader/types';
import { buildElf, concat, multibootHeader, pattern } from './elf-builder';

const MIB = 0x100000;

describe('loadFlat', () => {
  it('copies the file to the load address and enters there with EAX = EBX = 0', () => {
    const ram = new Uint8Array(2 * MIB);
    const img = loadFlat(pattern(100), ram, 0x7c00);
    expect(img).toMatchObject({ kind: 'flat', entry: 0x7c00, eax: 0, ebx: 0, ranges: [{ start: 0x7c00, end: 0x7c00 + 100 }] });
    expect(ram.subarray(0x7c00, 0x7c00 + 100)).toEqual(pattern(100));
    expect(img.symbols.size).toBe(0);
  });

  it('rejects an empty file, a bad address and an image past the end of RAM', () => {
    const ram = new Uint8Array(MIB);
    expect(() => loadFlat(new Uint8Array(0), ram, 0)).toThrow('bad image: the file is empty');
    expect(() => loadFlat(pattern(4), ram, -1)).toThrow('bad image: flat load address -1 is not a 32-bit physical address');
    expect(() => loadFlat(pattern(4), ram, 1.5)).toThrow(ImageError);
    expect(() => loadFlat(pattern(16), ram, MIB - 8)).toThrow(
      'bad image: the flat image [0x000ffff8-0x00100008) lies outside RAM (0x00100000 bytes)',
    );
  });
});

describe('loadImage', () => {
  const elf = buildElf({ entry: MIB, segments: [{ paddr: MIB, data: concat(multibootHeader(0), pattern(16)) }] });

  it('detects Multiboot first, even when a flat address is given', () => {
    const ram = new Uint8Array(4 * MIB);
    const img = loadImage(elf, ram, { flatAddress: 0x8000, cmdline: 'hello' });
    expect(img.kind).toBe('multiboot-elf');
    expect(img.eax).toBe(0x2badb002);
  });

  it('loads a flat binary only when flatAddress is given', () => {
    const ram = new Uint8Array(4 * MIB);
    expect(loadImage(pattern(32), ram, { flatAddress: 0x10000 }).kind).toBe('flat');
    expect(() => loadImage(pattern(32), ram)).toThrow('not a Multiboot kernel: no Multiboot header in the first 8192 bytes');
    expect(() => loadImage(pattern(32), ram, { flatAddress: 0x10000, modules: [{ name: 'm', data: pattern(1) }] })).toThrow(
      'bad image: a flat binary takes no command line or modules (they need a Multiboot kernel)',
    );
  });

  it('rejects an empty file and an ELF without a Multiboot header', () => {
    const ram = new Uint8Array(4 * MIB);
    expect(() => loadImage(new Uint8Array(0), ram)).toThrow('bad image: the file is empty');
    const plain = buildElf({ entry: MIB, segments: [{ paddr: MIB, data: pattern(16) }] });
    let err: unknown;
    try {
      loadImage(plain, ram);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).name).toBe('ImageError');
    expect((err as ImageError).message).toBe('not a Multiboot kernel: no Multiboot header in the first 8192 bytes');
  });

  it('names a Multiboot 2 kernel: only Multiboot 1 is supported', () => {
    const ram = new Uint8Array(4 * MIB);
    const image = new Uint8Array(4096);
    const v = new DataView(image.buffer);
    // A Multiboot 2 header at offset 64: magic, architecture 0 (i386), length 24, checksum, end tag.
    v.setUint32(64, 0xe85250d6, true);
    v.setUint32(68, 0, true);
    v.setUint32(72, 24, true);
    v.setUint32(76, (-(0xe85250d6 + 0 + 24)) >>> 0, true);
    v.setUint32(80, 0, true);
    v.setUint32(84, 8, true);
    expect(() => loadImage(image, ram)).toThrow(
      'not a Multiboot kernel: no Multiboot header in the first 8192 bytes (it has a Multiboot 2 header: only Multiboot 1 is supported)',
    );
    // The magic alone, with a wrong checksum, is not a header: no hint.
    v.setUint32(76, 0, true);
    expect(() => loadImage(image, ram)).toThrow(/first 8192 bytes$/);
  });

  it('passes the command line and modules to the Multiboot loader', () => {
    const ram = new Uint8Array(4 * MIB);
    const img = loadImage(elf, ram, { cmdline: 'a b', modules: [{ name: 'mod', data: pattern(5) }] });
    const dv = new DataView(ram.buffer);
    expect(dv.getUint32(img.ebx + 20, true)).toBe(1);
  });
});
