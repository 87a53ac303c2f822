/**
 * Multiboot v1 loader, mirroring `qemu -kernel` (hw/i386/multiboot.c plus the
 * pc-bios/optionrom/multiboot.S option ROM that fills in the memory fields).
 *
 * Header: the first 4-byte-aligned offset i < 8192 - 48 holding magic 0x1BADB002 whose
 * checksum makes magic + flags + checksum = 0 (QEMU scans exactly this range; the Multiboot
 * spec allows a header up to 8192 - 12 without address fields, QEMU does not find it).
 *
 * Flags (requirements, bits 0-15):
 *   bit 0 (page-aligned modules) and bit 1 (memory information) are always honoured;
 *   bit 2 (video mode) is ignored, as QEMU does ("multiboot knows VBE. we don't");
 *   bits 3-15 are undefined requirements: the spec says a boot loader that does not
 *   understand one must fail, so ringside rejects them (QEMU ignores them).
 *   bit 16 selects the a.out-kludge address fields; otherwise the file must be an ELF32
 *   i386 ET_EXEC (QEMU does not check e_type; ringside does).
 *
 * ELF: every PT_LOAD with p_memsz > 0 is copied to p_paddr and its p_memsz - p_filesz tail
 * zeroed. As in QEMU's load_elf: if a segment's zero-fill tail overlaps another segment, the
 * segment is truncated to p_filesz; segments that still overlap are an error (QEMU's "rom:
 * requested regions overlap"); the entry point is e_entry, translated to a physical address
 * when it lies in an executable segment whose p_vaddr differs from p_paddr. Segments with
 * p_memsz = 0 are skipped (QEMU still counts their address in the kernel's low/high bounds).
 *
 * a.out kludge: exactly QEMU's arithmetic and checks: text offset = i - (header_addr -
 * load_addr); load_end_addr = 0 means "to the end of the file"; bss_end_addr = 0 means no
 * bss; the load part must lie inside the file.
 *
 * Memory placement (QEMU's):
 *   0x9000  memory map (at most 0x500 bytes), 0x9500  the 88-byte Multiboot information.
 *           Nothing is refused for overlapping them: as QEMU's option ROM, ringside writes
 *           the map and the information first, then the kernel's bytes, then the area after
 *           the kernel (module list, command lines, modules); what is written later wins.
 *           EBX is 0x9500 whatever lies there. (QEMU's ROM also copies the gaps between
 *           segments as zeros; ringside leaves them as they are.)
 *   info    the area after the kernel is written as whole pages, zero-filled to the end of
 *           its last page, as QEMU's.
 *   kernel  [low, high) as loaded (low = lowest segment / load_addr).
 *   info    at low + align4K(high - low): the module list (16 bytes each; mods_addr points
 *           here even with no module, as QEMU), then the module command lines (each module's
 *           name), the kernel command line, and the boot loader name "ringside".
 *   modules each at the next 4 KiB-aligned physical address after the previous item.
 *           (QEMU aligns relative to `low`; this is the same when the kernel starts on a
 *           page boundary, and keeps flags bit 0's promise when it does not.)
 * Everything must lie inside RAM. Low memory other than the two info areas is untouched.
 *
 * Information structure (flags 0x24F = MEM | BOOTDEV | CMDLINE | MODS | MMAP | LOADER):
 *   mem_lower = 639: QEMU's option ROM stores INT 12h, which SeaBIOS answers with 639 KiB
 *               (the top KiB of conventional memory is the EBDA, reserved in the map below).
 *   mem_upper = KiB of contiguous RAM from 1 MiB (the option ROM's scan of the map). RAM of
 *               0xE0000000 bytes or more is reported as QEMU's pc machine splits it: 3 GiB
 *               below 4 GiB (the rest would sit above 4 GiB, unreachable without PAE, and is
 *               not listed).
 *   boot_device = 0x8000FFFF (QEMU's constant); cmdline = the given string (QEMU passes the
 *               kernel file name, a space and the arguments; ringside passes exactly the
 *               given string, "" when none, always through a valid pointer).
 *   mmap        (size, base_lo, base_hi, length_lo, length_hi, type) entries, size = 20:
 *               [0, 0x9FC00) RAM, [0x9FC00, 0xA0000) reserved (EBDA), [0xF0000, 0x100000)
 *               reserved (BIOS), [0x100000, RAM end - 128 KiB) RAM, [RAM end - 128 KiB, RAM end)
 *               reserved (ACPI tables), [0xFFFC0000, 4 GiB) reserved (BIOS ROM): QEMU's E820
 *               map. (With less than 2 MiB of RAM there is no ACPI area; RAM runs to its end.)
 *   boot_loader_name = "ringside".
 */
import { ET_EXEC, type Elf32File, PF_X, PT_LOAD, hasElfMagic, parseElf32, typeName } from './elf';
import { SymbolTable } from './symbols';
import { ImageError, type LoadedImage, hex } from './types';
import { BASE_MEMORY_KIB } from '../firmware/bios-data-area';
import { EBDA_ADDRESS, acpiAreaBase, highRamEnd, lowRamTop } from '../firmware/layout';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** QEMU scans header offsets below 8192 - 48 (the longest header is 48 bytes). */
export const MULTIBOOT_SEARCH_END = 8192 - 48;

export const MMAP_ADDRESS = 0x9000;
export const MBI_ADDRESS = 0x9500;
export const MBI_SIZE = 88;
/** Physical range reserved for the memory map and the information structure. */
export const BOOT_INFO_AREA = { start: MMAP_ADDRESS, end: MBI_ADDRESS + MBI_SIZE } as const;

export const MEM_LOWER_KIB = BASE_MEMORY_KIB;
export const BOOT_DEVICE = 0x8000ffff;
export const BOOT_LOADER_NAME = 'ringside';

export const MBI_FLAG_MEM = 1 << 0;
export const MBI_FLAG_BOOTDEV = 1 << 1;
export const MBI_FLAG_CMDLINE = 1 << 2;
export const MBI_FLAG_MODS = 1 << 3;
export const MBI_FLAG_MMAP = 1 << 6;
export const MBI_FLAG_LOADER = 1 << 9;
const MBI_FLAGS = MBI_FLAG_MEM | MBI_FLAG_BOOTDEV | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER;

// Header flags: bit 0 (page-align modules) and bit 1 (memory info) are always honoured,
// bit 2 (video mode) is ignored like QEMU, bits 3-15 are rejected.
const HEADER_ADDRESS = 1 << 16;
const HEADER_UNSUPPORTED = 0xfff8; // requirement bits 3-15

const PAGE = 0x1000;
const MIB = 0x100000;
const FOUR_GIB = 0x100000000;

export const MMAP_TYPE_RAM = 1;
export const MMAP_TYPE_RESERVED = 2;

export interface MultibootHeader {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  /** The a.out-kludge fields (meaningful when flags bit 16 is set). */
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface MultibootModule {
  name: string;
  data: Uint8Array;
}

export interface MultibootOptions {
  cmdline: string;
  modules: readonly MultibootModule[];
}

export interface MemoryMapEntry {
  base: number;
  length: number;
  type: number;
}

interface Segment {
  index: number; // program header index (for messages)
  start: number; // physical address
  fileOffset: number;
  filesz: number;
  memsz: number;
}

/** The Multiboot header QEMU would find in `image`, or undefined. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(MULTIBOOT_SEARCH_END, image.length - 12 + 1);
  for (let i = 0; i < limit; i += 4) {
    if (dv.getUint32(i, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = dv.getUint32(i + 4, true);
    const checksum = dv.getUint32(i + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) continue;
    const field = (k: number) => (i + 12 + 4 * k + 4 <= image.length ? dv.getUint32(i + 12 + 4 * k, true) : 0);
    return {
      offset: i,
      flags,
      headerAddr: field(0),
      loadAddr: field(1),
      loadEndAddr: field(2),
      bssEndAddr: field(3),
      entryAddr: field(4),
    };
  }
  return undefined;
}

/** The memory map given to the kernel for a RAM of `ramSize` bytes. */
export function memoryMap(ramSize: number): MemoryMapEntry[] {
  const end = highRamEnd(ramSize);
  const acpi = acpiAreaBase(ramSize);
  const map: MemoryMapEntry[] = [
    { base: 0, length: EBDA_ADDRESS, type: MMAP_TYPE_RAM },
    { base: EBDA_ADDRESS, length: 0xa0000 - EBDA_ADDRESS, type: MMAP_TYPE_RESERVED },
    { base: 0xf0000, length: 0x10000, type: MMAP_TYPE_RESERVED },
  ];
  if (end > MIB) map.push({ base: MIB, length: end - MIB, type: MMAP_TYPE_RAM });
  if (acpi !== undefined) map.push({ base: acpi, length: lowRamTop(ramSize) - acpi, type: MMAP_TYPE_RESERVED });
  map.push({ base: 0xfffc0000, length: 0x40000, type: MMAP_TYPE_RESERVED });
  return map;
}

/** mem_upper of the Multiboot information: KiB of RAM from 1 MiB to the first hole. */
export function memUpperKiB(ramSize: number): number {
  const end = highRamEnd(ramSize);
  return end > MIB ? Math.floor((end - MIB) / 1024) : 0;
}

/** Loads a Multiboot v1 kernel into `ram` and builds its boot information. */
export function loadMultiboot(image: Uint8Array, ram: Uint8Array, opts: MultibootOptions): LoadedImage {
  if (image.length === 0) throw new ImageError('bad image: the file is empty');
  if (ram.length < MIB) throw new ImageError(`bad configuration: RAM of ${ram.length} bytes is below the 1 MiB minimum`);
  const header = findMultibootHeader(image);
  if (header === undefined) throw new ImageError('not a Multiboot kernel: no Multiboot header in the first 8192 bytes');
  const unsupported = header.flags & HEADER_UNSUPPORTED;
  if (unsupported !== 0) {
    throw new ImageError(`bad image: the Multiboot header requires features ringside does not know (flags bits ${hex(unsupported)})`);
  }

  // ---- plan the kernel segments (nothing is written before everything is checked)
  let kind: LoadedImage['kind'];
  let segments: Segment[];
  let entry: number;
  let symbols = SymbolTable.empty();
  if (header.flags & HEADER_ADDRESS) {
    kind = 'multiboot-aout';
    const plan = planAout(image, header);
    segments = [plan.segment];
    entry = plan.entry;
    symbols = optionalElfSymbols(image);
  } else {
    kind = 'multiboot-elf';
    if (!hasElfMagic(image)) {
      throw new ImageError('bad image: the Multiboot header has no address fields (flags bit 16 clear) and the file is not an ELF');
    }
    const elf = parseElf32(image);
    if (elf.type !== ET_EXEC) {
      throw new ImageError(`bad image: ELF type ${elf.type} (${typeName(elf.type)}) is not ET_EXEC; link the kernel as an executable`);
    }
    const plan = planElf(elf);
    segments = plan.segments;
    entry = plan.entry;
    symbols = SymbolTable.fromElf(image, elf);
  }

  for (const s of segments) checkPlacement(`${segmentLabel(kind, s)} [${hex(s.start)}-${hex(s.start + s.memsz)})`, s.start, s.start + s.memsz, ram.length);
  let low = Infinity;
  let high = 0;
  for (const s of segments) {
    low = Math.min(low, s.start);
    high = Math.max(high, s.start + s.memsz);
  }

  // ---- plan the information placed after the kernel (QEMU's mb_buf layout)
  const encoder = new TextEncoder();
  const infoBase = low + alignUp(high - low, PAGE);
  const modsAddr = infoBase;
  let cursor = modsAddr + 16 * opts.modules.length;
  const modCmdlines = opts.modules.map((m) => {
    const bytes = encoder.encode(m.name);
    const at = cursor;
    cursor += bytes.length + 1;
    return { at, bytes };
  });
  const cmdlineBytes = encoder.encode(opts.cmdline);
  const cmdlineAddr = cursor;
  cursor += cmdlineBytes.length + 1;
  const loaderBytes = encoder.encode(BOOT_LOADER_NAME);
  const loaderAddr = cursor;
  cursor += loaderBytes.length + 1;
  const infoEnd = cursor;
  checkPlacement('the Multiboot command-line and module-list area after the kernel', infoBase, infoEnd, ram.length);
  cursor = alignUp(infoEnd, PAGE);
  const modPlaces = opts.modules.map((m) => {
    const start = cursor;
    cursor = alignUp(start + m.data.length, PAGE);
    checkPlacement(`module "${m.name}" [${hex(start)}-${hex(start + m.data.length)})`, start, start + m.data.length, ram.length);
    return start;
  });

  // ---- write, in the order of QEMU's option ROM: the memory map and the information
  // structure, then the kernel, then the area after it (later writes win where they overlap)
  const ranges: { start: number; end: number }[] = [];
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const map = memoryMap(ram.length);
  for (let i = 0; i < map.length; i++) {
    const o = MMAP_ADDRESS + 24 * i;
    dv.setUint32(o, 20, true);
    dv.setUint32(o + 4, map[i].base % FOUR_GIB, true);
    dv.setUint32(o + 8, Math.floor(map[i].base / FOUR_GIB), true);
    dv.setUint32(o + 12, map[i].length % FOUR_GIB, true);
    dv.setUint32(o + 16, Math.floor(map[i].length / FOUR_GIB), true);
    dv.setUint32(o + 20, map[i].type, true);
  }
  ram.fill(0, MBI_ADDRESS, MBI_ADDRESS + MBI_SIZE);
  dv.setUint32(MBI_ADDRESS + 0, MBI_FLAGS, true);
  dv.setUint32(MBI_ADDRESS + 4, MEM_LOWER_KIB, true);
  dv.setUint32(MBI_ADDRESS + 8, memUpperKiB(ram.length), true);
  dv.setUint32(MBI_ADDRESS + 12, BOOT_DEVICE, true);
  dv.setUint32(MBI_ADDRESS + 16, cmdlineAddr, true);
  dv.setUint32(MBI_ADDRESS + 20, opts.modules.length, true);
  dv.setUint32(MBI_ADDRESS + 24, modsAddr, true);
  dv.setUint32(MBI_ADDRESS + 44, 24 * map.length, true);
  dv.setUint32(MBI_ADDRESS + 48, MMAP_ADDRESS, true);
  dv.setUint32(MBI_ADDRESS + 64, loaderAddr, true);

  for (const s of segments) {
    ram.set(image.subarray(s.fileOffset, s.fileOffset + s.filesz), s.start);
    ram.fill(0, s.start + s.filesz, s.start + s.memsz);
    ranges.push({ start: s.start, end: s.start + s.memsz });
  }

  ram.fill(0, infoBase, alignUp(infoEnd, PAGE)); // QEMU's area is whole pages, zero-filled
  opts.modules.forEach((m, i) => {
    const start = modPlaces[i];
    dv.setUint32(modsAddr + 16 * i, start, true);
    dv.setUint32(modsAddr + 16 * i + 4, start + m.data.length, true);
    dv.setUint32(modsAddr + 16 * i + 8, modCmdlines[i].at, true);
    ram.set(modCmdlines[i].bytes, modCmdlines[i].at);
  });
  ram.set(cmdlineBytes, cmdlineAddr);
  ram.set(loaderBytes, loaderAddr);
  ranges.push({ start: infoBase, end: infoEnd });
  opts.modules.forEach((m, i) => {
    ram.set(m.data, modPlaces[i]);
    ranges.push({ start: modPlaces[i], end: modPlaces[i] + m.data.length });
  });

  ranges.push({ start: MMAP_ADDRESS, end: MMAP_ADDRESS + 24 * map.length });
  ranges.push({ start: MBI_ADDRESS, end: MBI_ADDRESS + MBI_SIZE });

  return { kind, entry: entry >>> 0, eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: MBI_ADDRESS, symbols, ranges };
}

function segmentLabel(kind: LoadedImage['kind'], s: Segment): string {
  return kind === 'multiboot-elf' ? `ELF program header ${s.index}` : 'the a.out-kludge kernel';
}

/** Errors when [start, end) is not inside RAM. */
function checkPlacement(what: string, start: number, end: number, ramSize: number): void {
  if (end > FOUR_GIB) throw new ImageError(`bad image: ${what} wraps around the 4 GiB address space`);
  if (end > ramSize) throw new ImageError(`bad image: ${what} lies outside RAM (${hex(ramSize)} bytes)`);
}

function planAout(image: Uint8Array, h: MultibootHeader): { segment: Segment; entry: number } {
  if (h.offset + 32 > image.length) throw new ImageError('bad image: the Multiboot header address fields extend past the end of the file');
  if (h.headerAddr < h.loadAddr) {
    throw new ImageError(`bad image: Multiboot header_addr ${hex(h.headerAddr)} is below load_addr ${hex(h.loadAddr)}`);
  }
  if (h.headerAddr - h.loadAddr > h.offset) {
    throw new ImageError(
      `bad image: Multiboot header_addr ${hex(h.headerAddr)} - load_addr ${hex(h.loadAddr)} exceeds the header's file offset ${hex(h.offset)}`,
    );
  }
  const textOffset = h.offset - (h.headerAddr - h.loadAddr);
  let loadSize: number;
  if (h.loadEndAddr !== 0) {
    if (h.loadEndAddr < h.loadAddr) {
      throw new ImageError(`bad image: Multiboot load_end_addr ${hex(h.loadEndAddr)} is below load_addr ${hex(h.loadAddr)}`);
    }
    loadSize = h.loadEndAddr - h.loadAddr;
  } else {
    loadSize = image.length - textOffset;
  }
  if (textOffset + loadSize > image.length) {
    throw new ImageError(
      `bad image: Multiboot load_end_addr ${hex(h.loadEndAddr)} asks for ${hex(loadSize)} bytes from file offset ${hex(textOffset)}, past the end of the file`,
    );
  }
  if (h.loadAddr + loadSize > FOUR_GIB - 1) throw new ImageError('bad image: the a.out-kludge kernel does not fit in the 4 GiB address space');
  let kernelSize = loadSize;
  if (h.bssEndAddr !== 0) {
    if (h.bssEndAddr < h.loadAddr + loadSize) {
      throw new ImageError(`bad image: Multiboot bss_end_addr ${hex(h.bssEndAddr)} is below the end of the loaded part ${hex(h.loadAddr + loadSize)}`);
    }
    kernelSize = h.bssEndAddr - h.loadAddr;
  }
  return {
    segment: { index: 0, start: h.loadAddr, fileOffset: textOffset, filesz: loadSize, memsz: kernelSize },
    entry: h.entryAddr,
  };
}

function planElf(elf: Elf32File): { segments: Segment[]; entry: number } {
  const loads = elf.programHeaders.filter((p) => p.type === PT_LOAD);
  let entry = elf.entry;
  for (const p of loads) {
    if (p.vaddr !== p.paddr && entry >= p.vaddr && entry < p.vaddr + p.filesz && p.flags & PF_X) {
      entry = entry - p.vaddr + p.paddr;
    }
  }
  const segments: Segment[] = [];
  for (const p of loads) {
    if (p.memsz === 0) continue;
    if (p.filesz > p.memsz) {
      throw new ImageError(`bad image: ELF program header ${p.index} has p_filesz ${hex(p.filesz)} larger than p_memsz ${hex(p.memsz)}`);
    }
    if (p.paddr + p.memsz > FOUR_GIB) throw new ImageError(`bad image: ELF program header ${p.index} wraps around the 4 GiB address space`);
    let memsz = p.memsz;
    if (memsz > p.filesz) {
      const zeroStart = p.paddr + p.filesz;
      const zeroEnd = p.paddr + p.memsz;
      for (const q of loads) {
        if (q !== p && q.paddr < zeroEnd && zeroStart < q.paddr + q.memsz) {
          memsz = p.filesz; // QEMU: the zero-fill overlaps another segment, load p_filesz only
          break;
        }
      }
    }
    if (memsz > 0) segments.push({ index: p.index, start: p.paddr, fileOffset: p.offset, filesz: p.filesz, memsz });
  }
  if (segments.length === 0) throw new ImageError('bad image: the ELF has no loadable (PT_LOAD) segment');
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (b.start < a.start + a.memsz) {
      const [x, y] = a.index < b.index ? [a, b] : [b, a];
      throw new ImageError(`bad image: ELF program headers ${x.index} and ${y.index} overlap at ${hex(b.start)}`);
    }
  }
  return { segments, entry };
}

/** Symbols of an a.out-kludge kernel that is also an ELF32 file; empty otherwise. */
function optionalElfSymbols(image: Uint8Array): SymbolTable {
  if (!hasElfMagic(image)) return SymbolTable.empty();
  try {
    return SymbolTable.fromElf(image);
  } catch (e) {
    if (e instanceof ImageError) return SymbolTable.empty(); // the ELF side is incidental here
    throw e;
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
