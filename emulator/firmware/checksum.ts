/** The byte checksums of PC firmware tables (ACPI, MP): all bytes of a table sum to 0 mod 256. */

/** The value that makes the bytes [start, end) of `mem` sum to zero when stored in one of them (which must hold 0). */
export function checksumByte(mem: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + mem[i]) & 0xff;
  return (0x100 - sum) & 0xff;
}

/** Little-endian writer over a RAM array, for building tables field by field. */
export class TableWriter {
  private readonly dv: DataView;
  constructor(readonly mem: Uint8Array, public at: number) {
    this.dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  }
  u8(v: number): this { this.mem[this.at++] = v & 0xff; return this; }
  u16(v: number): this { this.dv.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v: number): this { this.dv.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  /** ASCII text, padded with spaces to `width` bytes (the convention of ACPI and MP identifiers). */
  text(s: string, width: number): this {
    for (let i = 0; i < width; i++) this.mem[this.at++] = i < s.length ? s.charCodeAt(i) : 0x20;
    return this;
  }
  /** Stores at `offset` the checksum of [start, end). */
  checksum(offset: number, start: number, end: number): void {
    this.mem[offset] = 0;
    this.mem[offset] = checksumByte(this.mem, start, end);
  }
}
