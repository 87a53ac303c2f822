/**
 * Snapshots of machine state, for the recorder's seek: restore the nearest snapshot, then
 * re-execute. A restore must be exact: after `restore(save(m))` the machine retires the same
 * instructions with the same effects as the original, forever after.
 *
 * What a snapshot holds
 *  - CPU (saveCpuState): every field that influences future execution, including the lazy
 *    flags, the hidden segment/LDTR/TR caches, the interrupt shadow, the TLB's contents (the
 *    TLB is not coherent with the page tables: a guest may rely on a stale entry, and a hit
 *    does not set the accessed bit, so re-walking after a restore could change both what the
 *    guest sees and what it writes) and the pending-exception scratch registers.
 *  - Devices (saveDevicesState): the local APIC and every device on the port bus that has
 *    `saveState` (UART, fw_cfg, legacy ports, debug-exit).
 *  - RAM is not here: the recorder stores it as pages (packPages / unpackPages).
 *
 * What it does not hold: caches and bookkeeping that are rebuilt on demand and do not change
 * what the guest sees (decoded blocks and their links, the code-page marks, the block epoch,
 * the TLB's TLB_CODE / TLB_WRITTEN bits, which are re-derived on restore), and attachments
 * (observer, device callbacks, the recorder's hooks).
 *
 * Format: every blob is `tag (4 ASCII) | version u16 | reserved u16 | payload length u32 |
 * CRC-32 of the payload u32 | payload`, little-endian. Numbers that the emulator keeps as
 * plain JavaScript numbers are stored as Float64, which round-trips every value exactly
 * (uint32 vs int32 representations, Infinity, values above 2^32); typed-array contents use
 * their own width. A short, corrupt, foreign or newer blob raises SnapshotError before any
 * state is changed.
 */
import type { Cpu } from './cpu/cpu';
import {
  TLB_VALID, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_DIRTY, TLB_MMIO, TLB_GLOBAL, TLB_CODE, TLB_READ_WATCH,
} from './cpu/cpu';
import type { Machine } from './machine';

// =============================================================================================
// Errors and the byte codec (shared with the devices' saveState / loadState)
// =============================================================================================

/** A state blob that cannot be loaded: truncated, corrupt, of another kind or version. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

const HEADER_SIZE = 16;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of `bytes[start, end)`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Appends little-endian fields to a growing buffer. */
export class StateWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private room(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.pos = at + n;
    return at;
  }

  u8(v: number): void {
    const at = this.room(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
  }
  u32(v: number): void {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
  }
  i32(v: number): void {
    const at = this.room(4);
    this.view.setInt32(at, v | 0, true);
  }
  f64(v: number): void {
    const at = this.room(8);
    this.view.setFloat64(at, v, true);
  }
  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }
  /** A length-prefixed byte string. */
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    const at = this.room(b.length);
    this.buf.set(b, at);
  }
  /** A length-prefixed UTF-8 string. */
  str(s: string): void {
    this.bytes(new TextEncoder().encode(s));
  }
  /** Typed-array contents, count-prefixed. */
  u32s(a: ArrayLike<number>): void {
    this.u32(a.length);
    for (let i = 0; i < a.length; i++) this.u32(a[i]);
  }
  i32s(a: ArrayLike<number>): void {
    this.u32(a.length);
    for (let i = 0; i < a.length; i++) this.i32(a[i]);
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Reads what a StateWriter wrote; every read is bounds-checked and errors name the blob. */
export class StateReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(
    private readonly data: Uint8Array, // the payload
    readonly what: string, // name used in error messages
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  fail(message: string): never {
    throw new SnapshotError(`${this.what}: ${message}`);
  }

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.data.length) this.fail(`truncated (need ${n} bytes at offset ${at}, have ${this.data.length - at})`);
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.take(4), true);
  }
  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }
  bool(): boolean {
    const v = this.u8();
    if (v > 1) this.fail(`bad boolean ${v} at offset ${this.pos - 1}`);
    return v === 1;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.take(n);
    return this.data.slice(at, at + n);
  }
  str(): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes());
    } catch (e) {
      if (e instanceof SnapshotError) throw e;
      return this.fail('bad UTF-8 string');
    }
  }
  /** A count-prefixed uint32 array that must hold exactly `count` values. */
  u32s(count: number, name: string): number[] {
    this.count(count, name);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.u32());
    return out;
  }
  i32s(count: number, name: string): number[] {
    this.count(count, name);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.i32());
    return out;
  }
  private count(expected: number, name: string): void {
    const n = this.u32();
    if (n !== expected) this.fail(`${name} has ${n} entries, expected ${expected}`);
  }

  /** A Float64 that must be an integer in [lo, hi]. */
  int(name: string, lo: number, hi: number): number {
    const v = this.f64();
    if (!Number.isInteger(v) || v < lo || v > hi) this.fail(`${name} out of range: ${v}`);
    return v;
  }

  /** Checks that the whole payload was consumed. */
  end(): void {
    if (this.pos !== this.data.length) this.fail(`${this.data.length - this.pos} unexpected trailing bytes`);
  }
}

/** Builds a blob: header (tag, version, length, CRC) and the payload `write` produces. */
export function sealState(tag: string, version: number, write: (w: StateWriter) => void): Uint8Array {
  if (tag.length !== 4) throw new Error(`state tag must be 4 characters: ${tag}`);
  const w = new StateWriter();
  write(w);
  const payload = w.finish();
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = tag.charCodeAt(i);
  dv.setUint16(4, version, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, payload.length, true);
  dv.setUint32(12, crc32(payload), true);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Checks a blob's header and CRC and returns a reader over its payload. */
export function openState(tag: string, version: number, bytes: Uint8Array, what: string): StateReader {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError(`${what}: state must be a Uint8Array`);
  if (bytes.length < HEADER_SIZE) throw new SnapshotError(`${what}: truncated (${bytes.length} bytes, header alone is ${HEADER_SIZE})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let found = '';
  for (let i = 0; i < 4; i++) found += String.fromCharCode(bytes[i]);
  if (found !== tag) throw new SnapshotError(`${what}: not a ${tag} state (tag ${JSON.stringify(found)})`);
  const v = dv.getUint16(4, true);
  if (v !== version) throw new SnapshotError(`${what}: unsupported format version ${v} (this build reads ${version})`);
  if (dv.getUint16(6, true) !== 0) throw new SnapshotError(`${what}: reserved header field is not zero`);
  const len = dv.getUint32(8, true);
  if (HEADER_SIZE + len !== bytes.length) {
    throw new SnapshotError(`${what}: length mismatch (header says ${len} payload bytes, buffer has ${bytes.length - HEADER_SIZE})`);
  }
  const crc = crc32(bytes, HEADER_SIZE, bytes.length);
  if (crc !== dv.getUint32(12, true)) throw new SnapshotError(`${what}: checksum mismatch (corrupt state)`);
  return new StateReader(bytes.subarray(HEADER_SIZE), what);
}

/** A device whose state can be saved and restored (see the classes in emulator/devices). */
export interface StatefulDevice {
  saveState(): Uint8Array;
  loadState(bytes: Uint8Array): void;
}

export function isStateful(d: object): d is StatefulDevice {
  const s = d as Partial<StatefulDevice>;
  return typeof s.saveState === 'function' && typeof s.loadState === 'function';
}

// =============================================================================================
// CPU
// =============================================================================================

const CPU_TAG = 'RCPU';
const CPU_VERSION = 2;

/** Plain-number fields of Cpu, stored as Float64 in this order. */
const CPU_SCALARS = [
  'eip', 'next', 'flagsReg', 'lazy', 'lop', 'ldst', 'lsrc', 'lres', 'lsz', 'lcin', 'icount',
  'gdtrBase', 'gdtrLimit', 'idtrBase', 'idtrLimit',
  'ldtrSel', 'ldtrBase', 'ldtrLimit', 'ldtrAR', 'trSel', 'trBase', 'trLimit', 'trAR',
  'cr0', 'cr2', 'cr3', 'cr4', 'sysenterCs', 'sysenterEsp', 'sysenterEip', 'tscOffset',
  'exitCode', 'irqShadow', 'excVector', 'excCode', 'excAddr',
  'tscAdjust', 'tscAux', 'pat', 'patHigh', 'miscEnable',
] as const;
type CpuScalar = (typeof CPU_SCALARS)[number];

/** Boolean fields of Cpu, in this order. */
const CPU_FLAGS = ['ss32', 'cs32', 'halted', 'nmiBlocked'] as const;
type CpuFlag = (typeof CPU_FLAGS)[number];

/**
 * TLB entry bits that describe the translation itself. TLB_CODE and TLB_WRITTEN (and any other
 * bit) are bookkeeping about physical pages, re-derived when an entry is restored.
 */
const TLB_ARCH_BITS = ~0xfff | TLB_VALID | TLB_SUP_WRITE | TLB_USER_READ | TLB_USER_WRITE | TLB_DIRTY | TLB_MMIO | TLB_GLOBAL;
const TLB_PAGES = 1 << 20;

interface CpuState {
  scalars: Record<CpuScalar, number>;
  flags: Record<CpuFlag, boolean>;
  regs: number[];
  cpl: number;
  segs: { sel: number; base: number; limit: number; ar: number }[];
  dr: number[];
  stopReason: string;
  tlb: Int32Array; // page, entry pairs
}

/** Serializes the CPU's architectural and micro-architectural state (see the file comment). */
export function saveCpuState(cpu: Cpu): Uint8Array {
  return sealState(CPU_TAG, CPU_VERSION, (w) => {
    w.f64(cpu.ramSize);
    w.i32s(cpu.regs);
    for (const k of CPU_SCALARS) w.f64(cpu[k]);
    for (const k of CPU_FLAGS) w.bool(cpu[k]);
    w.u8(cpu.cpl);
    w.u32(6);
    for (let s = 0; s < 6; s++) {
      w.u16(cpu.segSel[s]);
      w.i32(cpu.segBase[s]);
      w.f64(cpu.segLimit[s]);
      w.i32(cpu.segAR[s]);
    }
    w.i32s(cpu.dr);
    w.str(cpu.stopReason);
    // TLB: every filled entry, bookkeeping bits stripped.
    const tlb = cpu.tlb;
    const at: number[] = [];
    for (const p of cpu.tlbPages()) at.push(p);
    w.u32(at.length);
    for (const p of at) {
      w.u32(p);
      w.i32(tlb[p] & TLB_ARCH_BITS);
    }
  });
}

function parseCpuState(cpu: Cpu, bytes: Uint8Array): CpuState {
  const r = openState(CPU_TAG, CPU_VERSION, bytes, 'CPU state');
  const ramSize = r.f64();
  if (ramSize !== cpu.ramSize) r.fail(`saved with ${ramSize} bytes of RAM, this machine has ${cpu.ramSize}`);
  const regs = r.i32s(8, 'regs');
  const scalars = {} as Record<CpuScalar, number>;
  for (const k of CPU_SCALARS) {
    const v = r.f64();
    if (Number.isNaN(v)) r.fail(`${k} is NaN`);
    scalars[k] = v;
  }
  const flags = {} as Record<CpuFlag, boolean>;
  for (const k of CPU_FLAGS) flags[k] = r.bool();
  const cpl = r.u8();
  if (cpl > 3) r.fail(`bad CPL ${cpl}`);
  const nseg = r.u32();
  if (nseg !== 6) r.fail(`${nseg} segment registers, expected 6`);
  const segs: CpuState['segs'] = [];
  for (let s = 0; s < 6; s++) {
    const sel = r.u16(), base = r.i32(), limit = r.f64(), ar = r.i32();
    if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) r.fail(`segment ${s} limit out of range: ${limit}`);
    segs.push({ sel, base, limit, ar });
  }
  const dr = r.i32s(8, 'dr');
  const stopReason = r.str();
  const n = r.u32();
  if (n > TLB_PAGES) r.fail(`${n} TLB entries (at most ${TLB_PAGES})`);
  const tlb = new Int32Array(2 * n);
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const page = r.u32(), e = r.i32();
    if (page >= TLB_PAGES || page <= prev) r.fail(`bad TLB page ${page}`);
    if ((e & TLB_VALID) === 0 || (e & ~TLB_ARCH_BITS) !== 0) r.fail(`bad TLB entry ${e >>> 0} for page ${page}`);
    prev = page;
    tlb[2 * k] = page;
    tlb[2 * k + 1] = e;
  }
  r.end();
  return { scalars, flags, regs, cpl, segs, dr, stopReason, tlb };
}

/**
 * Loads a state saved by saveCpuState into `cpu`. Nothing changes if the blob is rejected.
 * Segment caches are rebuilt through setSegCache (observer silenced), the TLB is flushed and
 * refilled with the saved translations, and the CPL's access masks are recomputed. Decoded
 * code is the executor's business: when RAM changed too, use restoreMachineState.
 */
export function loadCpuState(cpu: Cpu, bytes: Uint8Array): void {
  const st = parseCpuState(cpu, bytes);
  cpu.regs.set(st.regs);
  for (const k of CPU_SCALARS) cpu[k] = st.scalars[k];
  cpu.dr.set(st.dr);
  cpu.stopReason = st.stopReason;
  const observer = cpu.observer;
  cpu.observer = null;
  try {
    for (let s = 0; s < 6; s++) {
      const g = st.segs[s];
      cpu.setSegCache(s, g.sel, g.base, g.limit, g.ar);
    }
  } finally {
    cpu.observer = observer;
  }
  // After setSegCache, which derives ss32/cs32 from the rights: keep the saved values.
  for (const k of CPU_FLAGS) cpu[k] = st.flags[k];
  cpu.flushTlb(true);
  const codePage = cpu.codePage, watchPage = cpu.watchPage;
  for (let k = 0; k < st.tlb.length; k += 2) {
    let e = st.tlb[k + 1];
    const phys = e >>> 12;
    if (phys >= codePage.length) e |= TLB_MMIO;
    else {
      if (codePage[phys] !== 0 || watchPage[phys] !== 0) e |= TLB_CODE;
      if (cpu.readWatchPage[phys] !== 0) e |= TLB_READ_WATCH;
    }
    cpu.tlbSet(st.tlb[k], e);
  }
  cpu.setCpl(st.cpl);
  cpu.brk = true;
}

// =============================================================================================
// Devices and the machine
// =============================================================================================

const DEVICES_TAG = 'RDEV';
const DEVICES_VERSION = 3;

/**
 * The state of the machine's devices: the local APIC, every stateful device on the port bus
 * and on the MMIO bus (the I/O APIC).
 */
export function saveDevicesState(m: Machine): Uint8Array {
  return sealState(DEVICES_TAG, DEVICES_VERSION, (w) => {
    w.bytes(m.apic.saveState());
    w.bytes(m.io.saveState());
    w.bytes(m.mmio.saveState());
    w.bytes(m.monitor === null ? new Uint8Array(0) : m.monitor.saveState());
  });
}

export function loadDevicesState(m: Machine, bytes: Uint8Array): void {
  const r = openState(DEVICES_TAG, DEVICES_VERSION, bytes, 'device state');
  const apic = r.bytes();
  const io = r.bytes();
  const mmio = r.bytes();
  const monitor = r.bytes();
  r.end();
  if ((monitor.length > 0) !== (m.monitor !== null)) r.fail(m.monitor === null ? 'saved under a monitor, this machine runs natively' : 'saved without a monitor, this machine runs under one');
  const apicBefore = m.apic.saveState();
  const ioBefore = m.io.saveState();
  const mmioBefore = m.mmio.saveState();
  m.apic.loadState(apic);
  try {
    m.io.loadState(io);
    m.mmio.loadState(mmio);
    if (m.monitor !== null) m.monitor.loadState(monitor);
  } catch (e) {
    m.apic.loadState(apicBefore);
    m.io.loadState(ioBefore);
    m.mmio.loadState(mmioBefore);
    throw e;
  }
}

export interface MachineState {
  cpu: Uint8Array; // saveCpuState
  devices: Uint8Array; // saveDevicesState
}

/** CPU and device state of a machine (RAM is saved separately, see packPages). */
export function saveMachineState(m: Machine): MachineState {
  return { cpu: saveCpuState(m.cpu), devices: saveDevicesState(m) };
}

/**
 * Rejects state blobs that `m` could not load (SnapshotError), without touching anything: a full
 * parse of the CPU state; headers and checksums of the devices, whose loaders are themselves
 * all-or-nothing.
 */
export function checkMachineState(m: Machine, s: MachineState): void {
  parseCpuState(m.cpu, s.cpu);
  openState(DEVICES_TAG, DEVICES_VERSION, s.devices, 'device state');
}

/**
 * Restores CPU and device state saved by saveMachineState and drops all decoded code (RAM may
 * have been replaced under it: restore RAM before or after, but before running). All or
 * nothing: a rejected blob leaves the machine as it was.
 */
export function restoreMachineState(m: Machine, s: MachineState, opts: { keepDecodedCode?: boolean } = {}): void {
  checkMachineState(m, s);
  loadDevicesState(m, s.devices);
  // Decoded code stays valid only if the caller invalidated every page whose bytes it replaced.
  if (opts.keepDecodedCode !== true) m.executor.invalidateAll();
  loadCpuState(m.cpu, s.cpu);
}

// =============================================================================================
// RAM pages
// =============================================================================================

export const PAGE_SIZE = 4096;
const PACKED_PAGE = 4 + PAGE_SIZE;

/** Packs the given 4 KiB pages of `ram`: for each, its page number (u32 LE) and its 4096 bytes. */
export function packPages(ram: Uint8Array, pages: Iterable<number>): Uint8Array {
  const list = Array.from(pages);
  const out = new Uint8Array(list.length * PACKED_PAGE);
  const dv = new DataView(out.buffer);
  const count = Math.floor(ram.length / PAGE_SIZE);
  list.forEach((p, k) => {
    if (!Number.isInteger(p) || p < 0 || p >= count) throw new RangeError(`packPages: page ${p} is outside RAM (${count} pages)`);
    const at = k * PACKED_PAGE;
    dv.setUint32(at, p, true);
    out.set(ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), at + 4);
  });
  return out;
}

/** Writes pages packed by packPages back into `ram`; returns how many. Validates everything first. */
export function unpackPages(ram: Uint8Array, packed: Uint8Array): number {
  if (packed.length % PACKED_PAGE !== 0) {
    throw new SnapshotError(`packed pages: ${packed.length} bytes is not a multiple of ${PACKED_PAGE}`);
  }
  const n = packed.length / PACKED_PAGE;
  const dv = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = Math.floor(ram.length / PAGE_SIZE);
  for (let k = 0; k < n; k++) {
    const p = dv.getUint32(k * PACKED_PAGE, true);
    if (p >= count) throw new SnapshotError(`packed pages: page ${p} is outside RAM (${count} pages)`);
  }
  for (let k = 0; k < n; k++) {
    const at = k * PACKED_PAGE;
    const p = dv.getUint32(at, true);
    ram.set(packed.subarray(at + 4, at + PACKED_PAGE), p * PAGE_SIZE);
  }
  return n;
}
