import { describe, expect, it } from 'vitest';
import {
  BOOT_INFO_AREA,
  MBI_ADDRESS,
  MMAP_ADDRESS,
  findMultibootHeader,
  loadMultiboot,
  memoryMap,
  memUpperKiB,
} from '../../../emulator/loader/multiboot';
import { ImageError } from '../../../emulator/loader/types';
import { entryEdx } from '../../../emulator/firmware/entry-state';
import { buildElf, buildElfDetailed, concat, multibootHeader, pattern } from './elf-builder';

const MIB = 0x100000;
const NO_OPTS = { cmdline: '', modules: [] };

function u32(ram: Uint8Array, addr: number): number {
  return new DataView(ram.buffer, ram.byteOffset).getUint32(addr, true);
}

function cstr(ram: Uint8Array, addr: number): string {
  let end = addr;
  while (ram[end] !== 0) end++;
  return new TextDecoder().decode(ram.subarray(addr, end));
}

/** A two-segment kernel: text (with the Multiboot header) and data+bss. */
function twoSegmentKernel(base: number) {
  const text = concat(multibootHeader(0x3), pattern(0x100, 0x10));
  const data = pattern(0x20, 0x80);
  return buildElfDetailed({
    entry: base + 12,
    segments: [
      { paddr: base, data: text },
      { paddr: base + 0x1000, data, memsz: 0x300, flags: 6 },
    ],
  });
}

describe('Multiboot header search', () => {
  it('finds a 4-byte-aligned header with a valid checksum', () => {
    const img = concat(new Uint8Array(0x40), multibootHeader(0x10003));
    expect(findMultibootHeader(img)?.offset).toBe(0x40);
    expect(findMultibootHeader(img)?.flags).toBe(0x10003);
  });

  it('ignores a bad checksum, a misaligned magic and offsets QEMU does not scan', () => {
    const bad = multibootHeader(3);
    bad[8] ^= 1;
    expect(findMultibootHeader(concat(new Uint8Array(16), bad))).toBeUndefined();
    expect(findMultibootHeader(concat(new Uint8Array(18), multibootHeader(3)))).toBeUndefined();
    expect(findMultibootHeader(concat(new Uint8Array(8144), multibootHeader(3)))).toBeUndefined();
    expect(findMultibootHeader(concat(new Uint8Array(8140), multibootHeader(3)))?.offset).toBe(8140);
  });
});

describe('loadMultiboot: ELF kernels', () => {
  it('copies PT_LOAD segments to p_paddr and zeroes the bss', () => {
    const ram = new Uint8Array(16 * MIB).fill(0xaa);
    const { bytes } = twoSegmentKernel(MIB);
    const img = loadMultiboot(bytes, ram, NO_OPTS);
    expect(img.kind).toBe('multiboot-elf');
    expect(img.entry).toBe(MIB + 12);
    expect(img.eax).toBe(0x2badb002);
    expect(img.ebx).toBe(MBI_ADDRESS);
    expect(ram.subarray(MIB + 12, MIB + 12 + 0x100)).toEqual(pattern(0x100, 0x10));
    expect(ram.subarray(MIB + 0x1000, MIB + 0x1020)).toEqual(pattern(0x20, 0x80));
    expect(ram.subarray(MIB + 0x1020, MIB + 0x1300).every((b) => b === 0)).toBe(true);
    expect(ram[MIB + 0x1300]).toBe(0xaa); // past memsz: untouched
    expect(img.ranges.slice(0, 2)).toEqual([
      { start: MIB, end: MIB + 12 + 0x100 },
      { start: MIB + 0x1000, end: MIB + 0x1300 },
    ]);
    expect(img.symbols.size).toBe(0);
  });

  it('loads a kernel at an address other than 1 MiB (low memory and 4 MiB)', () => {
    for (const base of [0x20000, 0x400000]) {
      const ram = new Uint8Array(16 * MIB);
      const { bytes } = twoSegmentKernel(base);
      const img = loadMultiboot(bytes, ram, { cmdline: 'x', modules: [] });
      expect(img.entry).toBe(base + 12);
      expect(ram.subarray(base + 12, base + 12 + 0x100)).toEqual(pattern(0x100, 0x10));
      // info after the kernel: low + align4K(high - low) = base + 0x2000
      expect(u32(ram, MBI_ADDRESS + 24)).toBe(base + 0x2000);
      expect(cstr(ram, u32(ram, MBI_ADDRESS + 16))).toBe('x');
    }
  });

  it('translates a virtual entry point through an executable segment (QEMU load_elf)', () => {
    const ram = new Uint8Array(8 * MIB);
    const bytes = buildElf({
      entry: 0xc0100010,
      segments: [{ paddr: MIB, vaddr: 0xc0100000, data: concat(multibootHeader(0), pattern(0x40)) }],
    });
    expect(loadMultiboot(bytes, ram, NO_OPTS).entry).toBe(MIB + 0x10);
  });

  it('keeps e_entry when it is not inside an executable segment', () => {
    const ram = new Uint8Array(8 * MIB);
    const bytes = buildElf({
      entry: 0xc0100010,
      segments: [{ paddr: MIB, vaddr: 0xc0100000, data: concat(multibootHeader(0), pattern(0x40)), flags: 6 }],
    });
    expect(loadMultiboot(bytes, ram, NO_OPTS).entry).toBe(0xc0100010);
  });

  it('truncates a bss that overlaps another segment to p_filesz, as QEMU', () => {
    const ram = new Uint8Array(8 * MIB);
    const bytes = buildElf({
      entry: MIB,
      segments: [
        { paddr: MIB, data: concat(multibootHeader(0), pattern(4)), memsz: 0x2000 },
        { paddr: MIB + 0x1000, data: pattern(8, 0x50) },
      ],
    });
    const img = loadMultiboot(bytes, ram, NO_OPTS);
    expect(ram.subarray(MIB + 0x1000, MIB + 0x1008)).toEqual(pattern(8, 0x50));
    expect(img.ranges[0]).toEqual({ start: MIB, end: MIB + 16 });
  });

  it('skips segments with p_memsz 0 and non-PT_LOAD headers', () => {
    const ram = new Uint8Array(8 * MIB);
    const bytes = buildElf({
      entry: MIB,
      segments: [
        { paddr: 0x7000000, data: new Uint8Array(0) },
        { paddr: 0x7000000, data: pattern(16), type: 4 },
        { paddr: MIB, data: concat(multibootHeader(0), pattern(4)) },
      ],
    });
    const img = loadMultiboot(bytes, ram, NO_OPTS);
    expect(img.ranges[0]).toEqual({ start: MIB, end: MIB + 16 });
  });

  it('reads the ELF symbols', () => {
    const ram = new Uint8Array(8 * MIB);
    const bytes = buildElf({
      entry: MIB,
      segments: [{ paddr: MIB, data: concat(multibootHeader(0), pattern(0x40)) }],
      symbols: [{ name: 'kmain', value: MIB + 0x10, size: 0x20, type: 'func' }],
    });
    const img = loadMultiboot(bytes, ram, NO_OPTS);
    expect(img.symbols.format(MIB + 0x14)).toBe('kmain+0x4');
  });
});

describe('loadMultiboot: a.out kludge', () => {
  it('loads header_addr/load_addr/load_end_addr/bss_end_addr/entry_addr as QEMU', () => {
    const ram = new Uint8Array(8 * MIB).fill(0xaa);
    const load = 0x200000;
    // file: 0x40 bytes of prefix, header at 0x40, code after; the prefix is loaded too
    const body = pattern(0x80, 0x30);
    const header = multibootHeader(0x10000, {
      headerAddr: load + 0x40,
      loadAddr: load,
      loadEndAddr: load + 0x40 + 32 + body.length,
      bssEndAddr: load + 0x1000,
      entryAddr: load + 0x60,
    });
    const file = concat(pattern(0x40, 0x90), header, body, pattern(0x10, 0xee) /* not loaded */);
    const img = loadMultiboot(file, ram, NO_OPTS);
    expect(img.kind).toBe('multiboot-aout');
    expect(img.entry).toBe(load + 0x60);
    expect(ram.subarray(load, load + 0x40)).toEqual(pattern(0x40, 0x90));
    expect(ram.subarray(load + 0x60, load + 0xe0)).toEqual(body);
    expect(ram.subarray(load + 0xe0, load + 0x1000).every((b) => b === 0)).toBe(true);
    expect(img.ranges[0]).toEqual({ start: load, end: load + 0x1000 });
    expect(u32(ram, MBI_ADDRESS + 24)).toBe(load + 0x1000);
  });

  it('loads to the end of the file when load_end_addr is 0, without bss when bss_end_addr is 0', () => {
    const ram = new Uint8Array(8 * MIB).fill(0xaa);
    const load = MIB;
    const file = concat(
      multibootHeader(0x10000, { headerAddr: load, loadAddr: load, loadEndAddr: 0, bssEndAddr: 0, entryAddr: load + 32 }),
      pattern(0x21),
    );
    const img = loadMultiboot(file, ram, NO_OPTS);
    expect(img.ranges[0]).toEqual({ start: load, end: load + file.length });
    expect(ram.subarray(load, load + file.length)).toEqual(file);
    expect(ram[load + file.length]).toBe(0xaa);
  });

  it('takes the kludge fields over ELF program headers when flags bit 16 is set, keeping ELF symbols', () => {
    const ram = new Uint8Array(8 * MIB);
    const seg = concat(
      multibootHeader(0x10000, { headerAddr: 0x300000, loadAddr: 0x300000, loadEndAddr: 0x300040, bssEndAddr: 0, entryAddr: 0x300020 }),
      pattern(0x20),
    );
    const built = buildElfDetailed({
      entry: MIB,
      segments: [{ paddr: MIB, data: seg }],
      symbols: [{ name: 'start', value: 0x300020, type: 'func', size: 4 }],
    });
    const img = loadMultiboot(built.bytes, ram, NO_OPTS);
    expect(img.kind).toBe('multiboot-aout');
    expect(img.entry).toBe(0x300020);
    expect(ram.subarray(0x300000, 0x300040)).toEqual(built.bytes.subarray(built.segmentOffsets[0], built.segmentOffsets[0] + 0x40));
    expect(img.symbols.addressOf('start')).toBe(0x300020);
  });
});

describe('loadMultiboot: boot information', () => {
  const RAM = 128 * MIB;
  const ram = new Uint8Array(RAM);
  const modA = pattern(0x1234, 7);
  const modB = pattern(10, 0x40);
  const img = loadMultiboot(twoSegmentKernel(MIB).bytes, ram, {
    cmdline: 'console=ttyS0 debug',
    modules: [
      { name: 'initrd.img', data: modA },
      { name: 'second arg1', data: modB },
    ],
  });
  const mbi = MBI_ADDRESS;

  it('sets flags, mem_lower, mem_upper and boot_device like QEMU for 128 MiB', () => {
    expect(img.ebx).toBe(0x9500);
    expect(u32(ram, mbi)).toBe(0x24f);
    expect(u32(ram, mbi + 4)).toBe(639);
    expect(u32(ram, mbi + 8)).toBe(129920); // QEMU 7.2 -m 128: RAM to 0x7FE0000, then the ACPI area
    expect(u32(ram, mbi + 12)).toBe(0x8000ffff);
  });

  it('points cmdline and boot_loader_name at their strings', () => {
    expect(cstr(ram, u32(ram, mbi + 16))).toBe('console=ttyS0 debug');
    expect(cstr(ram, u32(ram, mbi + 64))).toBe('ringside');
  });

  it('lists the modules page-aligned after the kernel with their names as command lines', () => {
    expect(u32(ram, mbi + 20)).toBe(2);
    const mods = u32(ram, mbi + 24);
    expect(mods).toBe(MIB + 0x2000);
    const [s0, e0, c0] = [u32(ram, mods), u32(ram, mods + 4), u32(ram, mods + 8)];
    const [s1, e1, c1] = [u32(ram, mods + 16), u32(ram, mods + 20), u32(ram, mods + 24)];
    expect(s0 % 0x1000).toBe(0);
    expect(s1 % 0x1000).toBe(0);
    expect(s0).toBe(MIB + 0x3000);
    expect(e0 - s0).toBe(modA.length);
    expect(s1).toBe(MIB + 0x5000);
    expect(e1 - s1).toBe(modB.length);
    expect(ram.subarray(s0, e0)).toEqual(modA);
    expect(ram.subarray(s1, e1)).toEqual(modB);
    expect(cstr(ram, c0)).toBe('initrd.img');
    expect(cstr(ram, c1)).toBe('second arg1');
    expect(u32(ram, mods + 12)).toBe(0);
  });

  it('writes the e820-like memory map at 0x9000 with the Multiboot v1 size field', () => {
    expect(u32(ram, mbi + 48)).toBe(MMAP_ADDRESS);
    const len = u32(ram, mbi + 44);
    expect(len).toBe(6 * 24);
    const entries: [number, number, number][] = [];
    for (let o = MMAP_ADDRESS; o < MMAP_ADDRESS + len; ) {
      const size = u32(ram, o);
      expect(size).toBe(20);
      expect(u32(ram, o + 8)).toBe(0); // base high
      expect(u32(ram, o + 16)).toBe(0); // length high
      entries.push([u32(ram, o + 4), u32(ram, o + 12), u32(ram, o + 20)]);
      o += size + 4;
    }
    expect(entries).toEqual([
      [0, 0x9fc00, 1],
      [0x9fc00, 0x400, 2],
      [0xf0000, 0x10000, 2],
      [0x100000, RAM - 0x20000 - 0x100000, 1],
      [RAM - 0x20000, 0x20000, 2],
      [0xfffc0000, 0x40000, 2],
    ]);
  });

  it('leaves the unused fields zero and reports every written range', () => {
    for (const off of [28, 32, 36, 40, 52, 56, 60, 68, 72, 76, 80, 84]) expect(u32(ram, mbi + off)).toBe(0);
    expect(img.ranges).toContainEqual({ start: MBI_ADDRESS, end: MBI_ADDRESS + 88 });
    expect(img.ranges).toContainEqual({ start: MMAP_ADDRESS, end: MMAP_ADDRESS + 144 });
    expect(img.ranges).toContainEqual({ start: MIB + 0x3000, end: MIB + 0x3000 + modA.length });
  });

  it('passes a valid pointer to an empty string when there is no command line, and mods_addr with no module', () => {
    const r = new Uint8Array(8 * MIB).fill(0x55);
    loadMultiboot(twoSegmentKernel(MIB).bytes, r, NO_OPTS);
    const p = u32(r, MBI_ADDRESS + 16);
    expect(p).toBeGreaterThan(MIB);
    expect(p).toBeLessThan(r.length);
    expect(r[p]).toBe(0);
    expect(u32(r, MBI_ADDRESS + 20)).toBe(0);
    expect(u32(r, MBI_ADDRESS + 24)).toBe(MIB + 0x2000);
    expect(u32(r, MBI_ADDRESS + 8)).toBe(7 * 1024 - 128);
  });

  it('reports large RAM like QEMU pc: 3 GiB below 4 GiB from 0xE0000000 bytes on', () => {
    expect(memoryMap(0xe0000000)[3]).toEqual({ base: MIB, length: 0xc0000000 - 0x20000 - MIB, type: 1 });
    expect(memoryMap(0xe0000000)[4]).toEqual({ base: 0xc0000000 - 0x20000, length: 0x20000, type: 2 });
    expect(memoryMap(0xdff00000)[3]).toEqual({ base: MIB, length: 0xdff00000 - 0x20000 - MIB, type: 1 });
    expect(memoryMap(MIB).map((e) => e.base)).toEqual([0, 0x9fc00, 0xf0000, 0xfffc0000]);
  });

  it('gives mem_upper and EDX at entry as QEMU does for the sizes measured on QEMU 7.2', () => {
    // [-m in MiB, mem_upper read from QEMU's Multiboot information, EDX at the kernel's entry]
    const measured: [number, number, number][] = [
      [16, 15232, 0x511], [128, 129920, 0x10511], [1025, 1048448, 0xf0511], [1026, 1049472, 0x100511],
    ];
    for (const [m, upper, edx] of measured) {
      expect(memUpperKiB(m * MIB)).toBe(upper);
      expect(entryEdx(memUpperKiB(m * MIB))).toBe(edx);
    }
  });
});

describe('loadMultiboot: bad images', () => {
  const ram = new Uint8Array(16 * MIB);
  const mb = (flags = 0) => concat(multibootHeader(flags), pattern(16));

  function expectImageError(f: () => unknown, message: string) {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message).not.toContain('\n');
  }

  it('rejects an empty file and a file without a header', () => {
    expectImageError(() => loadMultiboot(new Uint8Array(0), ram, NO_OPTS), 'bad image: the file is empty');
    expectImageError(
      () => loadMultiboot(pattern(100), ram, NO_OPTS),
      'not a Multiboot kernel: no Multiboot header in the first 8192 bytes',
    );
  });

  it('rejects unknown requirement flags (bits 3-15) but ignores the video-mode request', () => {
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb(0x8) }] }), ram, NO_OPTS),
      'bad image: the Multiboot header requires features ringside does not know (flags bits 0x00000008)',
    );
    expect(loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb(0x7) }] }), ram, NO_OPTS).entry).toBe(MIB);
  });

  it('rejects a non-ELF file without address fields', () => {
    expectImageError(
      () => loadMultiboot(mb(0), ram, NO_OPTS),
      'bad image: the Multiboot header has no address fields (flags bit 16 clear) and the file is not an ELF',
    );
  });

  it('rejects the wrong ELF class, encoding, machine, type and a truncated header', () => {
    const seg = [{ paddr: MIB, data: mb() }];
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: seg, elfClass: 2 }), ram, NO_OPTS),
      'bad image: 64-bit ELF (ELFCLASS64); ringside loads 32-bit IA-32 kernels only',
    );
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: seg, dataEncoding: 2 }), ram, NO_OPTS),
      'bad image: big-endian ELF; IA-32 kernels are little-endian',
    );
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: seg, machine: 62 }), ram, NO_OPTS),
      'bad image: ELF machine 62 (x86-64) is not EM_386 (i386)',
    );
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: seg, type: 3 }), ram, NO_OPTS),
      'bad image: ELF type 3 (ET_DYN) is not ET_EXEC; link the kernel as an executable',
    );
    const truncated = concat(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]), new Uint8Array(8), multibootHeader(0));
    expectImageError(
      () => loadMultiboot(truncated, ram, NO_OPTS),
      'bad image: ELF header truncated (the file has 28 bytes, the header needs 52)',
    );
  });

  it('rejects a program header table or segment data past the end of the file', () => {
    const good = buildElfDetailed({ entry: MIB, segments: [{ paddr: MIB, data: mb() }, { paddr: 2 * MIB, data: pattern(64) }] });
    const phTruncated = good.bytes.slice();
    new DataView(phTruncated.buffer).setUint16(44, 400, true); // e_phnum
    expectImageError(
      () => loadMultiboot(phTruncated, ram, NO_OPTS),
      'bad image: ELF program header table extends past the end of the file',
    );
    expectImageError(
      () => loadMultiboot(good.bytes.subarray(0, good.segmentOffsets[1] + 10), ram, NO_OPTS),
      'bad image: ELF program header 1 extends past the end of the file',
    );
  });

  it('rejects a truncated section header table', () => {
    const built = buildElfDetailed({
      entry: MIB,
      segments: [{ paddr: MIB, data: mb() }],
      symbols: [{ name: 'a', value: MIB }],
    });
    expectImageError(
      () => loadMultiboot(built.bytes.subarray(0, built.bytes.length - 8), ram, NO_OPTS),
      'bad image: ELF section header table extends past the end of the file',
    );
  });

  it('rejects p_filesz > p_memsz, no loadable segment, overlapping segments', () => {
    const d = buildElfDetailed({ entry: MIB, segments: [{ paddr: MIB, data: mb() }, { paddr: 2 * MIB, data: pattern(64) }] });
    const big = d.bytes.slice();
    new DataView(big.buffer).setUint32(d.phoff + 32 + 20, 16, true); // ph1.p_memsz
    expectImageError(
      () => loadMultiboot(big, ram, NO_OPTS),
      'bad image: ELF program header 1 has p_filesz 0x00000040 larger than p_memsz 0x00000010',
    );
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb(), type: 4 }] }), ram, NO_OPTS),
      'bad image: the ELF has no loadable (PT_LOAD) segment',
    );
    expectImageError(
      () =>
        loadMultiboot(
          buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb() }, { paddr: MIB + 8, data: pattern(8) }] }),
          ram,
          NO_OPTS,
        ),
      'bad image: ELF program headers 0 and 1 overlap at 0x00100008',
    );
  });

  it('rejects segments outside RAM or past 4 GiB', () => {
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: 16 * MIB - 8, data: mb() }] }), ram, NO_OPTS),
      'bad image: ELF program header 0 [0x00fffff8-0x01000014) lies outside RAM (0x01000000 bytes)',
    );
    expectImageError(
      () => loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: 0xfffffff0, data: mb() }] }), ram, NO_OPTS),
      'bad image: ELF program header 0 wraps around the 4 GiB address space',
    );
  });

  it('loads a segment over the boot information area as QEMU does: the kernel bytes are written after the map and the information', () => {
    expect(BOOT_INFO_AREA).toEqual({ start: 0x9000, end: 0x9558 });
    const r = new Uint8Array(16 * MIB);
    const img = loadMultiboot(buildElf({ entry: 0x9000, segments: [{ paddr: 0x8ff0, data: mb() }] }), r, NO_OPTS);
    expect(img.ebx).toBe(MBI_ADDRESS);
    expect(Array.from(r.subarray(0x8ff0, 0x900c))).toEqual(Array.from(mb()));
  });

  it('rejects boot information or modules that do not fit', () => {
    expectImageError(
      () =>
        loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb() }] }), ram, {
          cmdline: '',
          modules: [{ name: 'huge', data: new Uint8Array(15 * MIB) }],
        }),
      'bad image: module "huge" [0x00102000-0x01002000) lies outside RAM (0x01000000 bytes)',
    );
  });

  it('rejects inconsistent a.out-kludge fields', () => {
    const aout = (f: Partial<{ headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number }>, pad = 0) =>
      concat(
        new Uint8Array(pad),
        multibootHeader(0x10000, { headerAddr: MIB + pad, loadAddr: MIB, loadEndAddr: 0, bssEndAddr: 0, entryAddr: MIB, ...f }),
        pattern(32),
      );
    expectImageError(
      () => loadMultiboot(aout({ headerAddr: MIB - 4 }), ram, NO_OPTS),
      'bad image: Multiboot header_addr 0x000ffffc is below load_addr 0x00100000',
    );
    expectImageError(
      () => loadMultiboot(aout({ headerAddr: MIB + 0x100 }, 16), ram, NO_OPTS),
      "bad image: Multiboot header_addr 0x00100100 - load_addr 0x00100000 exceeds the header's file offset 0x00000010",
    );
    expectImageError(
      () => loadMultiboot(aout({ loadEndAddr: MIB - 1 }), ram, NO_OPTS),
      'bad image: Multiboot load_end_addr 0x000fffff is below load_addr 0x00100000',
    );
    expectImageError(
      () => loadMultiboot(aout({ loadEndAddr: MIB + 0x1000 }), ram, NO_OPTS),
      'bad image: Multiboot load_end_addr 0x00101000 asks for 0x00001000 bytes from file offset 0x00000000, past the end of the file',
    );
    expectImageError(
      () => loadMultiboot(aout({ loadEndAddr: MIB + 0x20, bssEndAddr: MIB + 0x10 }), ram, NO_OPTS),
      'bad image: Multiboot bss_end_addr 0x00100010 is below the end of the loaded part 0x00100020',
    );
    expectImageError(
      () => loadMultiboot(aout({ loadEndAddr: MIB + 0x20, bssEndAddr: 32 * MIB }), ram, NO_OPTS),
      'bad image: the a.out-kludge kernel [0x00100000-0x02000000) lies outside RAM (0x01000000 bytes)',
    );
  });

  it('writes nothing to RAM when the image is rejected', () => {
    const r = new Uint8Array(2 * MIB);
    expect(() =>
      loadMultiboot(buildElf({ entry: MIB, segments: [{ paddr: MIB, data: mb() }, { paddr: 3 * MIB, data: pattern(4) }] }), r, NO_OPTS),
    ).toThrow(ImageError);
    expect(r.every((b) => b === 0)).toBe(true);
  });
});
