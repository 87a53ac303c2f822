/**
 * A small deterministic PRNG (xorshift32). It lives outside the machine: what it draws while
 * recording (jitter interrupts) becomes inputs stored in the trace, so replay never calls it.
 */
export class Xorshift {
  private s: number; // state, never 0

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x2545f491;
  }

  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }

  /** A value in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
}
