/**
 * The digest of a block of events: two 32-bit FNV-1a-style hashes over every field of every
 * event (the text slot by its strings.id), combined into one 53-bit integer. Replay
 * verification compares regenerated events block by block against it, and reads the stored
 * rows only of a block whose digest differs, to name the first differing event.
 */

/** The running state of a digest: two hashes. */
export class EventDigest {
  h1 = 0x811c9dc5; // first hash
  h2 = 0x01000193; // second hash, another seed and multiplier

  reset(): void {
    this.h1 = 0x811c9dc5;
    this.h2 = 0x01000193;
  }

  private mix(v: number): void {
    this.h1 = Math.imul(this.h1 ^ v, 16777619);
    this.h2 = Math.imul(this.h2 ^ v, 0x5bd1e995) ^ (this.h2 >>> 15);
  }

  add(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, textId: number): void {
    this.mix(seq | 0);
    this.mix((seq / 4294967296) | 0);
    this.mix(icount | 0);
    this.mix((icount / 4294967296) | 0);
    this.mix(kind | (cpl << 8) | (cs << 16));
    this.mix(eip | 0);
    this.mix(a | 0);
    this.mix(b | 0);
    this.mix(c | 0);
    this.mix(d | 0);
    this.mix(textId | 0);
  }

  /** The 53-bit value stored in event_blocks.digest. */
  value(): number {
    return (this.h1 >>> 0) * 2097152 + (this.h2 & 0x1fffff);
  }
}
