/**
 * The state codec: the versioned, checksummed blobs every piece of machine state is saved in
 * (the CPU, each device, each monitor), and the packed RAM pages of a snapshot. It imports
 * nothing: devices and monitors use it to save themselves, and machine-state.ts to save a whole
 * machine.
 *
 * Format: every blob is `tag (4 ASCII) | version u16 | reserved u16 | payload length u32 |
 * CRC-32 of the payload u32 | payload`, little-endian. Numbers that the emulator keeps as
 * plain JavaScript numbers are stored as Float64, which round-trips every value exactly
 * (uint32 vs int32 representations, Infinity, values above 2^32); typed-array contents use
 * their own width. A short, corrupt, foreign or newer blob raises SnapshotError before any
 * state is changed. Packed pages are, for each page, its number (u32 LE) and its 4096 bytes.
 */

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
    readonly version = 1, // the payload's format version (openState checked it)
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

/**
 * Checks a blob's header and CRC and returns a reader over its payload. A device whose format
 * grew reads the versions from `oldest` to `version` and asks the reader which it has.
 */
export function openState(tag: string, version: number, bytes: Uint8Array, what: string, oldest = version): StateReader {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError(`${what}: state must be a Uint8Array`);
  if (bytes.length < HEADER_SIZE) throw new SnapshotError(`${what}: truncated (${bytes.length} bytes, header alone is ${HEADER_SIZE})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let found = '';
  for (let i = 0; i < 4; i++) found += String.fromCharCode(bytes[i]);
  if (found !== tag) throw new SnapshotError(`${what}: not a ${tag} state (tag ${JSON.stringify(found)})`);
  const v = dv.getUint16(4, true);
  if (v < oldest || v > version) throw new SnapshotError(`${what}: unsupported format version ${v} (this build reads ${oldest === version ? version : `${oldest} to ${version}`})`);
  if (dv.getUint16(6, true) !== 0) throw new SnapshotError(`${what}: reserved header field is not zero`);
  const len = dv.getUint32(8, true);
  if (HEADER_SIZE + len !== bytes.length) {
    throw new SnapshotError(`${what}: length mismatch (header says ${len} payload bytes, buffer has ${bytes.length - HEADER_SIZE})`);
  }
  const crc = crc32(bytes, HEADER_SIZE, bytes.length);
  if (crc !== dv.getUint32(12, true)) throw new SnapshotError(`${what}: checksum mismatch (corrupt state)`);
  return new StateReader(bytes.subarray(HEADER_SIZE), what, v);
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
