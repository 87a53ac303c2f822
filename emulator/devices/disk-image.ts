/**
 * A raw disk image behind the ATA controller, copy-on-write: the image's bytes are never
 * changed; every sector the guest writes goes to an overlay (sector -> its 512 bytes), and reads
 * see the overlay first. The user's file is thus never modified (the CLI may write the result
 * back at the end of a run, when asked).
 *
 * Size. As QEMU's raw format, the capacity is the file size rounded up to whole sectors; the
 * bytes past the end of the file read as zeros.
 *
 * History. With `keepHistory`, every write is also kept in order (the write log), and the
 * disk's state is a position in that log: `writes` counts the writes applied. `rewind(n)` puts
 * the overlay in the state after the first n writes (a snapshot stores n; the recorder stores
 * the log in the trace, so replay and seek see the same bytes). Writing at a position inside
 * the known log keeps the log when the write is the one recorded there (re-execution after a
 * rewind is deterministic), and drops the rest of the log otherwise.
 */

export const SECTOR_SIZE = 512;

/** One sector write: its LBA and its 512 bytes. */
export interface SectorWrite {
  lba: number;
  data: Uint8Array;
}

export class DiskImage {
  readonly sectors: number; // capacity in sectors
  private readonly overlay = new Map<number, Uint8Array>(); // written sectors
  private readonly log: SectorWrite[] = []; // every write, in order (with keepHistory)
  private position = 0; // writes applied (with keepHistory: a position in `log`)
  /** Called after every guest write (the recorder stores it). */
  onWrite?: (w: SectorWrite, index: number) => void;

  constructor(
    readonly base: Uint8Array, // the image file's bytes (never modified)
    readonly name = '', // the file's name (informative)
    private readonly keepHistory = false,
  ) {
    this.sectors = Math.ceil(base.length / SECTOR_SIZE);
  }

  /** Writes applied so far. */
  get writes(): number {
    return this.position;
  }

  /** Copies sector `lba` into `out` at `at`. */
  read(lba: number, out: Uint8Array, at: number): void {
    const o = this.overlay.get(lba);
    if (o !== undefined) {
      out.set(o, at);
      return;
    }
    const start = lba * SECTOR_SIZE;
    const end = Math.min(start + SECTOR_SIZE, this.base.length);
    if (end > start) out.set(this.base.subarray(start, end), at);
    out.fill(0, at + Math.max(0, end - start), at + SECTOR_SIZE);
  }

  /** Writes sector `lba` from `src` at `at` (512 bytes). */
  write(lba: number, src: Uint8Array, at: number): void {
    const data = src.slice(at, at + SECTOR_SIZE);
    this.overlay.set(lba, data);
    const index = this.position++;
    if (this.keepHistory) {
      const known = this.log[index];
      if (known === undefined || known.lba !== lba || !sameBytes(known.data, data)) {
        this.log.length = index;
        this.log.push({ lba, data });
      }
    }
    this.onWrite?.({ lba, data }, index);
  }

  /** Appends writes known from elsewhere (a trace) to the log, without applying them. */
  extendHistory(writes: readonly SectorWrite[]): void {
    if (!this.keepHistory) throw new Error('DiskImage: this disk keeps no history');
    for (const w of writes) this.log.push({ lba: w.lba, data: w.data });
  }

  /** Why the disk cannot be put at write count `n` (null: it can). */
  rewindProblem(n: number): string | null {
    if (!Number.isSafeInteger(n) || n < 0) return `write count ${n} is not a count`;
    if (n === this.position) return null;
    if (!this.keepHistory) return `write count ${n}: this disk keeps no history (it is at ${this.position})`;
    if (n > this.log.length) return `write count ${n} is beyond the ${this.log.length} writes known`;
    return null;
  }

  /** Puts the overlay in its state after the first `n` writes of the log. */
  rewind(n: number): void {
    const problem = this.rewindProblem(n);
    if (problem !== null) throw new RangeError(`disk ${this.name}: ${problem}`);
    if (n === this.position) return;
    // The overlay is always the log's first `position` writes applied: forwards, apply the next ones.
    const from = n > this.position ? this.position : 0;
    if (from === 0) this.overlay.clear();
    for (let k = from; k < n; k++) this.overlay.set(this.log[k].lba, this.log[k].data);
    this.position = n;
  }

  /** The sectors written so far (LBA order), with their current bytes. */
  writtenSectors(): SectorWrite[] {
    return [...this.overlay.entries()].sort((a, b) => a[0] - b[0]).map(([lba, data]) => ({ lba, data }));
  }

  /** The whole image as the guest sees it now (the file's bytes with the overlay applied). */
  contents(): Uint8Array {
    let size = this.base.length;
    for (const lba of this.overlay.keys()) size = Math.max(size, (lba + 1) * SECTOR_SIZE);
    const out = new Uint8Array(size);
    out.set(this.base);
    for (const [lba, data] of this.overlay) out.set(data, lba * SECTOR_SIZE);
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
