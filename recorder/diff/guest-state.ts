/**
 * Guest-visible state of two machines side by side: the general registers, EIP and the
 * arithmetic flags with DF (what the guest reads), and guest RAM below the lower of the two
 * guests' RAM tops (a monitor's own region above it is not the guest's). The real CPL, the
 * real IF and IOPL, selectors and their hidden caches are left out: they count only through
 * what the guest does with them (a pushed selector or pushed flags reach memory, a stored
 * descriptor-table base reaches memory, a different code path changes EIP).
 *
 * Reads are free of side effects and allocation (the per-step path of the diff uses them).
 */
import type { Machine } from '../../emulator/machine';
import { RegisterFile } from '../../emulator/monitors/sw/virtual-cpu';
import { ESP } from '../../emulator/cpu/constants';

/** CF PF AF ZF SF DF OF: the flags the guest's own instructions read and write. */
export const VISIBLE_FLAGS = 0x0cd5;
export const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'] as const;
export type RegName = (typeof REG_NAMES)[number];
export const EIP_SLOT = 8;
export const FLAGS_SLOT = 9;

/** One guest-visible value that differs. */
export interface Difference {
  kind: 'register' | 'memory' | 'end';
  name: string; // register name, 'memory' (with address) or 'end'
  address?: number; // guest-physical address of a differing dword
  left: number | string;
  right: number | string;
}

/** Fills `out` (10 slots: eight registers, EIP, visible flags) with the guest's view. */
export class GuestCore {
  private readonly scratch = new RegisterFile();
  readonly values = new Uint32Array(10);

  read(m: Machine): Uint32Array {
    const cpu = m.cpu;
    const v = this.values;
    for (let r = 0; r < 8; r++) v[r] = cpu.regs[r];
    if (m.monitor === null) {
      v[EIP_SLOT] = cpu.eip;
      v[FLAGS_SLOT] = cpu.getFlags() & VISIBLE_FLAGS;
    } else {
      const f = this.scratch;
      m.monitor.guestView(f);
      v[ESP] = f.esp;
      v[EIP_SLOT] = f.eip;
      v[FLAGS_SLOT] = f.flags & VISIBLE_FLAGS;
    }
    return v;
  }
}

/** Where the guest's RAM ends (a monitor keeps its own region above it). */
export function guestRamTop(m: Machine): number {
  return m.monitor === null ? m.cpu.ramSize : m.monitor.virtualCpu.physLimit;
}

/** Register differences between two reads. */
export function registerDifferences(a: Uint32Array, b: Uint32Array, out: Difference[]): void {
  for (let r = 0; r < 10; r++) {
    if (a[r] !== b[r]) out.push({ kind: 'register', name: REG_NAMES[r], left: a[r] >>> 0, right: b[r] >>> 0 });
  }
}

/**
 * Bits the processor itself maintains in guest tables: the accessed bit of a segment
 * descriptor (bit 8 of its high dword) and the accessed and dirty bits of a page-table entry
 * (bits 5 and 6). A software monitor works on shadow tables and leaves the guest's copies
 * unmarked; the guest sees the difference only if it reads those bits, so a dword that differs
 * in nothing else does not count.
 */
export const PROCESSOR_MAINTAINED = [0x100, 0x60] as const;

function countsAsDifference(a: number, b: number): boolean {
  const x = (a ^ b) >>> 0;
  return x !== 0 && !PROCESSOR_MAINTAINED.some((bits) => (x & ~bits) === 0);
}

/** Differing dwords of one page (at most `max`), appended to `out`. */
export function pageDifferences(a: Uint8Array, b: Uint8Array, page: number, out: Difference[], max = 8): void {
  const base = page * 4096;
  let n = 0;
  for (let off = 0; off < 4096 && n < max; off += 4) {
    const p = base + off;
    if (a[p] !== b[p] || a[p + 1] !== b[p + 1] || a[p + 2] !== b[p + 2] || a[p + 3] !== b[p + 3]) {
      const dw = (r: Uint8Array) => (r[p] | (r[p + 1] << 8) | (r[p + 2] << 16) | (r[p + 3] << 24)) >>> 0;
      if (!countsAsDifference(dw(a), dw(b))) continue;
      out.push({ kind: 'memory', name: 'memory', address: p, left: dw(a), right: dw(b) });
      n++;
    }
  }
}

/** True when guest page `page` holds the same bytes in both machines. */
export function samePage(a: Uint8Array, b: Uint8Array, page: number): boolean {
  const s = page * 4096;
  return Buffer.compare(a.subarray(s, s + 4096), b.subarray(s, s + 4096)) === 0;
}

/** Memory differences on the pages either machine wrote since its last restore (below `top`). */
export function writtenPageDifferences(a: Machine, b: Machine, top: number, out: Difference[], maxPages = 4): void {
  const wa = a.cpu.pageWritten, wb = b.cpu.pageWritten;
  const pages = top >>> 12;
  let found = 0;
  for (let p = 0; p < pages && found < maxPages; p++) {
    if ((wa[p] | wb[p]) !== 0 && !samePage(a.cpu.ram, b.cpu.ram, p)) {
      pageDifferences(a.cpu.ram, b.cpu.ram, p, out);
      found++;
    }
  }
}
