/**
 * A tiny ELF32 (i386, little-endian) writer for loader tests.
 *
 * Layout: ELF header, program headers, segment data (each at a 16-byte-aligned offset, in
 * order), then .symtab/.strtab/.shstrtab and the section header table when symbols are
 * given. Section 1 is ".text", covering the first segment's data, so symbols with the
 * default shndx 1 are "defined in a section".
 */

export interface SegmentSpec {
  paddr: number;
  vaddr?: number; // defaults to paddr
  data: Uint8Array;
  memsz?: number; // defaults to data.length
  flags?: number; // defaults to PF_R|PF_X (5)
  type?: number; // defaults to PT_LOAD
}

export interface SymbolSpec {
  name: string;
  value: number;
  size?: number;
  type?: 'notype' | 'object' | 'func' | 'section' | 'file';
  bind?: 'local' | 'global' | 'weak';
  shndx?: number; // defaults to 1 (.text)
}

export interface ElfSpec {
  entry: number;
  segments: SegmentSpec[];
  symbols?: SymbolSpec[];
  machine?: number; // default 3 (EM_386)
  type?: number; // default 2 (ET_EXEC)
  elfClass?: number; // default 1 (ELFCLASS32)
  dataEncoding?: number; // default 1 (little-endian)
}

const TYPES = { notype: 0, object: 1, func: 2, section: 3, file: 4 } as const;
const BINDS = { local: 0, global: 1, weak: 2 } as const;

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export interface BuiltElf {
  bytes: Uint8Array;
  /** File offset of each segment's data. */
  segmentOffsets: number[];
  /** Offset of the program header table and of the section header table (0 if none). */
  phoff: number;
  shoff: number;
}

export function buildElfDetailed(spec: ElfSpec): BuiltElf {
  const enc = new TextEncoder();
  const phoff = 52;
  let cursor = phoff + 32 * spec.segments.length;
  const segmentOffsets: number[] = [];
  for (const s of spec.segments) {
    cursor = align(cursor, 16);
    segmentOffsets.push(cursor);
    cursor += s.data.length;
  }

  // Symbol and string tables.
  let symtab = new Uint8Array(0);
  let strtab = new Uint8Array(0);
  let shstrtab = new Uint8Array(0);
  const shNames: number[] = [];
  if (spec.symbols !== undefined) {
    const strs: number[] = [0];
    const symBytes = new Uint8Array(16 * (spec.symbols.length + 1));
    const sdv = new DataView(symBytes.buffer);
    spec.symbols.forEach((sym, i) => {
      const nameOff = strs.length;
      for (const b of enc.encode(sym.name)) strs.push(b);
      strs.push(0);
      const o = 16 * (i + 1);
      sdv.setUint32(o, sym.name === '' ? 0 : nameOff, true);
      sdv.setUint32(o + 4, sym.value >>> 0, true);
      sdv.setUint32(o + 8, sym.size ?? 0, true);
      symBytes[o + 12] = (BINDS[sym.bind ?? 'global'] << 4) | TYPES[sym.type ?? 'notype'];
      sdv.setUint16(o + 14, sym.shndx ?? 1, true);
    });
    symtab = symBytes;
    strtab = new Uint8Array(strs);
    const names = ['', '.text', '.symtab', '.strtab', '.shstrtab'];
    const sh: number[] = [];
    for (const n of names) {
      shNames.push(sh.length);
      for (const b of enc.encode(n)) sh.push(b);
      sh.push(0);
    }
    shstrtab = new Uint8Array(sh);
  }
  const symtabOff = align(cursor, 4);
  const strtabOff = symtabOff + symtab.length;
  const shstrtabOff = strtabOff + strtab.length;
  const shoff = spec.symbols !== undefined ? align(shstrtabOff + shstrtab.length, 4) : 0;
  const total = spec.symbols !== undefined ? shoff + 40 * 5 : cursor;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, spec.elfClass ?? 1, spec.dataEncoding ?? 1, 1]);
  dv.setUint16(16, spec.type ?? 2, true);
  dv.setUint16(18, spec.machine ?? 3, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, spec.entry >>> 0, true);
  dv.setUint32(28, spec.segments.length > 0 ? phoff : 0, true);
  dv.setUint32(32, shoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, spec.segments.length, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, spec.symbols !== undefined ? 5 : 0, true);
  dv.setUint16(50, spec.symbols !== undefined ? 4 : 0, true);

  spec.segments.forEach((s, i) => {
    const o = phoff + 32 * i;
    dv.setUint32(o, s.type ?? 1, true);
    dv.setUint32(o + 4, segmentOffsets[i], true);
    dv.setUint32(o + 8, (s.vaddr ?? s.paddr) >>> 0, true);
    dv.setUint32(o + 12, s.paddr >>> 0, true);
    dv.setUint32(o + 16, s.data.length, true);
    dv.setUint32(o + 20, s.memsz ?? s.data.length, true);
    dv.setUint32(o + 24, s.flags ?? 5, true);
    dv.setUint32(o + 28, 0x1000, true);
    out.set(s.data, segmentOffsets[i]);
  });

  if (spec.symbols !== undefined) {
    out.set(symtab, symtabOff);
    out.set(strtab, strtabOff);
    out.set(shstrtab, shstrtabOff);
    const first = spec.segments[0];
    const sections = [
      null,
      { type: 1, flags: 6, addr: first?.vaddr ?? first?.paddr ?? 0, offset: segmentOffsets[0] ?? 0, size: first?.data.length ?? 0, link: 0, info: 0, entsize: 0 },
      { type: 2, flags: 0, addr: 0, offset: symtabOff, size: symtab.length, link: 3, info: 1, entsize: 16 },
      { type: 3, flags: 0, addr: 0, offset: strtabOff, size: strtab.length, link: 0, info: 0, entsize: 0 },
      { type: 3, flags: 0, addr: 0, offset: shstrtabOff, size: shstrtab.length, link: 0, info: 0, entsize: 0 },
    ];
    sections.forEach((s, i) => {
      if (s === null) return;
      const o = shoff + 40 * i;
      dv.setUint32(o, shNames[i], true);
      dv.setUint32(o + 4, s.type, true);
      dv.setUint32(o + 8, s.flags, true);
      dv.setUint32(o + 12, s.addr >>> 0, true);
      dv.setUint32(o + 16, s.offset, true);
      dv.setUint32(o + 20, s.size, true);
      dv.setUint32(o + 24, s.link, true);
      dv.setUint32(o + 28, s.info, true);
      dv.setUint32(o + 32, 4, true);
      dv.setUint32(o + 36, s.entsize, true);
    });
  }
  return { bytes: out, segmentOffsets, phoff, shoff };
}

export function buildElf(spec: ElfSpec): Uint8Array {
  return buildElfDetailed(spec).bytes;
}

export interface AoutFields {
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

/** A Multiboot v1 header (12 bytes, or 32 with the a.out-kludge fields). */
export function multibootHeader(flags: number, aout?: AoutFields): Uint8Array {
  const out = new Uint8Array(aout ? 32 : 12);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x1badb002, true);
  dv.setUint32(4, flags >>> 0, true);
  dv.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  if (aout) {
    dv.setUint32(12, aout.headerAddr >>> 0, true);
    dv.setUint32(16, aout.loadAddr >>> 0, true);
    dv.setUint32(20, aout.loadEndAddr >>> 0, true);
    dv.setUint32(24, aout.bssEndAddr >>> 0, true);
    dv.setUint32(28, aout.entryAddr >>> 0, true);
  }
  return out;
}

/** `header` followed by `body` bytes: handy first-segment contents. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `n` bytes counting up from `start` (mod 256), recognisable in RAM. */
export function pattern(n: number, start = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}
