/**
 * Symbol table of a kernel image, built from the ELF .symtab/.strtab, used to name
 * addresses wherever ringside shows one.
 *
 * Kept: FUNC, OBJECT and NOTYPE symbols defined in a section (not undefined, absolute or
 * common), whose name is non-empty and does not start with '.'. FILE and SECTION symbols
 * are skipped. NASM local labels come out as "parent.local" and are kept.
 *
 * `lookup(a)` finds the nearest symbol at or below `a` and accepts it when `a` lies within
 * its size (size > 0, GCC functions and objects) or within 64 KiB of it (size 0: NASM labels
 * and hand-written asm). When several symbols share an address, one is chosen for lookups:
 * sized FUNC/OBJECT first, then global before weak before local, then the smaller name.
 * `addressOf(name)` prefers global, then weak, then local definitions (static functions of
 * different files may share a name), then the lowest address.
 */
import { type Elf32File, SHT_STRTAB, SHT_SYMTAB, cString, parseElf32, sectionData } from './elf';
import { ImageError } from './types';

export type SymbolKind = 'func' | 'object' | 'label';

export interface SymbolEntry {
  readonly name: string;
  readonly address: number;
  /** st_size; 0 for labels. */
  readonly size: number;
  readonly kind: SymbolKind;
  readonly binding: 'global' | 'weak' | 'local';
}

export interface SymbolLocation {
  name: string;
  offset: number;
}

/** How far past a size-0 label an address is still named after it. */
export const LABEL_REACH = 0x10000;

const SYM_SIZE = 16;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;

function bindingRank(e: SymbolEntry): number {
  return e.binding === 'global' ? 2 : e.binding === 'weak' ? 1 : 0;
}

/** Preference among symbols at one address (higher first). */
function lookupRank(e: SymbolEntry): number {
  return (e.size > 0 && e.kind !== 'label' ? 4 : 0) + bindingRank(e);
}

export class SymbolTable {
  private readonly all: readonly SymbolEntry[]; // every symbol, by address then lookup preference
  private readonly addrs: Uint32Array; // distinct addresses, ascending
  private readonly sizes: Uint32Array; // size of the preferred symbol at addrs[i]
  private readonly names: string[]; // name of the preferred symbol at addrs[i]
  private readonly byName: Map<string, number>; // name -> address of the preferred definition

  constructor(entries: readonly SymbolEntry[]) {
    const sorted = entries
      .map((e) => ({ ...e, address: e.address >>> 0, size: e.size >>> 0 }))
      .sort(
        (a, b) =>
          a.address - b.address ||
          lookupRank(b) - lookupRank(a) ||
          (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      );
    this.all = Object.freeze(sorted);
    let distinct = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i].address !== sorted[i - 1].address) distinct++;
    this.addrs = new Uint32Array(distinct);
    this.sizes = new Uint32Array(distinct);
    this.names = new Array<string>(distinct);
    let j = -1;
    for (let i = 0; i < sorted.length; i++) {
      if (i > 0 && sorted[i].address === sorted[i - 1].address) continue;
      j++;
      this.addrs[j] = sorted[i].address;
      this.sizes[j] = sorted[i].size;
      this.names[j] = sorted[i].name;
    }
    this.byName = new Map();
    const best = new Map<string, SymbolEntry>();
    for (const e of sorted) {
      const cur = best.get(e.name);
      if (cur === undefined || bindingRank(e) > bindingRank(cur)) best.set(e.name, e);
    }
    for (const [name, e] of best) this.byName.set(name, e.address);
  }

  static empty(): SymbolTable {
    return new SymbolTable([]);
  }

  /**
   * Symbols of an ELF32 image (parsed again when `elf` is not given). An image without a
   * .symtab gives an empty table; a malformed one is an ImageError.
   */
  static fromElf(image: Uint8Array, elf: Elf32File = parseElf32(image)): SymbolTable {
    const symtab = elf.sectionHeaders.find((s) => s.type === SHT_SYMTAB);
    if (symtab === undefined) return SymbolTable.empty();
    const strtab = elf.sectionHeaders[symtab.link];
    if (strtab === undefined || strtab.type !== SHT_STRTAB) {
      throw new ImageError(`bad image: the ELF symbol table's string table (section ${symtab.link}) is not a string table`);
    }
    const syms = sectionData(image, elf, symtab);
    const strings = sectionData(image, elf, strtab);
    const dv = new DataView(syms.buffer, syms.byteOffset, syms.byteLength);
    const entries: SymbolEntry[] = [];
    for (let o = 0; o + SYM_SIZE <= syms.length; o += SYM_SIZE) {
      const nameOffset = dv.getUint32(o, true);
      const value = dv.getUint32(o + 4, true);
      const size = dv.getUint32(o + 8, true);
      const info = syms[o + 12];
      const shndx = dv.getUint16(o + 14, true);
      const type = info & 0xf;
      const bind = info >>> 4;
      if (type !== STT_FUNC && type !== STT_OBJECT && type !== STT_NOTYPE) continue;
      if (shndx === SHN_UNDEF || (shndx >= SHN_LORESERVE && shndx !== SHN_XINDEX)) continue;
      if (bind !== STB_LOCAL && bind !== STB_GLOBAL && bind !== STB_WEAK) continue;
      if (nameOffset === 0 || nameOffset >= strings.length) continue;
      const name = cString(strings, nameOffset);
      if (name === '' || name.startsWith('.')) continue;
      entries.push({
        name,
        address: value,
        size,
        kind: type === STT_FUNC ? 'func' : type === STT_OBJECT ? 'object' : 'label',
        binding: bind === STB_GLOBAL ? 'global' : bind === STB_WEAK ? 'weak' : 'local',
      });
    }
    return new SymbolTable(entries);
  }

  /** Number of symbols. */
  get size(): number {
    return this.all.length;
  }

  /** The symbol naming `address` and the offset into it, or undefined. */
  lookup(address: number): SymbolLocation | undefined {
    const a = address >>> 0;
    const addrs = this.addrs;
    let lo = 0;
    let hi = addrs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (addrs[mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    const offset = a - addrs[found];
    const size = this.sizes[found];
    if (size > 0 ? offset >= size : offset >= LABEL_REACH) return undefined;
    return { name: this.names[found], offset };
  }

  /** The address of the symbol called `name`, or undefined. */
  addressOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** "name", "name+0x1c", or the address as 0x%08x when no symbol names it. */
  format(address: number): string {
    const loc = this.lookup(address);
    if (loc === undefined) return '0x' + (address >>> 0).toString(16).padStart(8, '0');
    return loc.offset === 0 ? loc.name : `${loc.name}+0x${loc.offset.toString(16)}`;
  }

  /** Every symbol, sorted by address (then lookup preference). */
  entries(): readonly SymbolEntry[] {
    return this.all;
  }
}
