/**
 * ELF32 parsing (little-endian, i386), as much as the loaders and the symbol table need.
 * Every structural problem is reported as a one-line ImageError; nothing here writes RAM.
 */
import { ImageError } from './types';

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_EXEC = 2;
export const EM_386 = 3;
export const EM_X86_64 = 62;
export const PT_LOAD = 1;
export const PF_X = 1;
export const SHT_NULL = 0;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;

const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;

const TYPE_NAMES: Record<number, string> = { 0: 'ET_NONE', 1: 'ET_REL', 2: 'ET_EXEC', 3: 'ET_DYN', 4: 'ET_CORE' };
const MACHINE_NAMES: Record<number, string> = { 3: 'i386', 8: 'MIPS', 20: 'PowerPC', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

export interface Elf32ProgramHeader {
  index: number;
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface Elf32SectionHeader {
  index: number;
  nameOffset: number;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface Elf32File {
  type: number;
  machine: number;
  entry: number;
  flags: number;
  programHeaders: Elf32ProgramHeader[];
  sectionHeaders: Elf32SectionHeader[];
  shstrndx: number;
}

/** True when the image starts with the ELF magic "\x7fELF". */
export function hasElfMagic(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

/**
 * Parses and validates an ELF32 little-endian i386 file: header, program header table
 * (every PT_LOAD's file data must lie inside the file) and section header table.
 * It does not check e_type: the Multiboot loader requires ET_EXEC itself.
 */
export function parseElf32(image: Uint8Array): Elf32File {
  if (image.length === 0) throw new ImageError('bad image: the file is empty');
  if (!hasElfMagic(image)) throw new ImageError('bad image: not an ELF file (no \\x7fELF magic)');
  if (image.length < 16) throw new ImageError(`bad image: ELF identification truncated (the file has ${image.length} bytes)`);
  const cls = image[4];
  if (cls === ELFCLASS64) throw new ImageError('bad image: 64-bit ELF (ELFCLASS64); ringside loads 32-bit IA-32 kernels only');
  if (cls !== ELFCLASS32) throw new ImageError(`bad image: invalid ELF class ${cls}`);
  if (image[5] !== ELFDATA2LSB) {
    throw new ImageError(image[5] === 2 ? 'bad image: big-endian ELF; IA-32 kernels are little-endian' : `bad image: invalid ELF data encoding ${image[5]}`);
  }
  if (image[6] !== EV_CURRENT) throw new ImageError(`bad image: ELF version ${image[6]} is not EV_CURRENT (1)`);
  if (image.length < EHDR_SIZE) {
    throw new ImageError(`bad image: ELF header truncated (the file has ${image.length} bytes, the header needs ${EHDR_SIZE})`);
  }
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);

  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_386) {
    throw new ImageError(`bad image: ELF machine ${machine} (${machineName(machine)}) is not EM_386 (i386)`);
  }
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const flags = u32(36);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  let shnum = u16(48);
  let shstrndx = u16(50);

  const programHeaders: Elf32ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize !== PHDR_SIZE) throw new ImageError(`bad image: ELF program header size ${phentsize} is not ${PHDR_SIZE}`);
    if (phoff + phnum * PHDR_SIZE > image.length) {
      throw new ImageError('bad image: ELF program header table extends past the end of the file');
    }
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * PHDR_SIZE;
      const ph: Elf32ProgramHeader = {
        index: i,
        type: u32(o),
        offset: u32(o + 4),
        vaddr: u32(o + 8),
        paddr: u32(o + 12),
        filesz: u32(o + 16),
        memsz: u32(o + 20),
        flags: u32(o + 24),
        align: u32(o + 28),
      };
      if (ph.type === PT_LOAD && ph.filesz > 0 && ph.offset + ph.filesz > image.length) {
        throw new ImageError(`bad image: ELF program header ${i} extends past the end of the file`);
      }
      programHeaders.push(ph);
    }
  }

  const sectionHeaders: Elf32SectionHeader[] = [];
  if (shoff !== 0) {
    if (shentsize !== SHDR_SIZE) throw new ImageError(`bad image: ELF section header size ${shentsize} is not ${SHDR_SIZE}`);
    if (shoff + SHDR_SIZE > image.length) {
      throw new ImageError('bad image: ELF section header table extends past the end of the file');
    }
    // Extended numbering: e_shnum = 0 and e_shstrndx = SHN_XINDEX keep the real values in section 0.
    if (shnum === 0) shnum = u32(shoff + 20);
    if (shstrndx === 0xffff) shstrndx = u32(shoff + 24);
    if (shoff + shnum * SHDR_SIZE > image.length) {
      throw new ImageError('bad image: ELF section header table extends past the end of the file');
    }
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * SHDR_SIZE;
      sectionHeaders.push({
        index: i,
        nameOffset: u32(o),
        type: u32(o + 4),
        flags: u32(o + 8),
        addr: u32(o + 12),
        offset: u32(o + 16),
        size: u32(o + 20),
        link: u32(o + 24),
        info: u32(o + 28),
        addralign: u32(o + 32),
        entsize: u32(o + 36),
      });
    }
    if (shnum > 0 && shstrndx >= shnum) {
      throw new ImageError(`bad image: ELF section name table index ${shstrndx} is out of range (${shnum} sections)`);
    }
  }

  return { type, machine, entry, flags, programHeaders, sectionHeaders, shstrndx };
}

/** The file bytes of a section (empty for SHT_NOBITS); ImageError if they lie outside the file. */
export function sectionData(image: Uint8Array, elf: Elf32File, sh: Elf32SectionHeader): Uint8Array {
  if (sh.type === SHT_NOBITS || sh.type === SHT_NULL) return image.subarray(0, 0);
  if (sh.offset + sh.size > image.length) {
    throw new ImageError(`bad image: ELF section ${sh.index} (${sectionName(image, elf, sh)}) extends past the end of the file`);
  }
  return image.subarray(sh.offset, sh.offset + sh.size);
}

/** The name of a section from the section name table, or "#n" when it has none. */
export function sectionName(image: Uint8Array, elf: Elf32File, sh: Elf32SectionHeader): string {
  const names = elf.sectionHeaders[elf.shstrndx];
  if (elf.shstrndx === 0 || names === undefined || names.offset + names.size > image.length || sh.nameOffset >= names.size) {
    return `#${sh.index}`;
  }
  return cString(image.subarray(names.offset, names.offset + names.size), sh.nameOffset) || `#${sh.index}`;
}

const latin1 = new TextDecoder('latin1');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The NUL-terminated string at `offset` in `table` (UTF-8; invalid sequences as Latin-1). */
export function cString(table: Uint8Array, offset: number): string {
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  const bytes = table.subarray(offset, end);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return decodeUtf8(bytes);
  return latin1.decode(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}
