/**
 * The hidden descriptor caches of the segment registers: the offset windows every segmented
 * access checks. Methods of Cpu (installed by cpu.ts).
 */
import type { Cpu } from './cpu';
import { CS, SS, AR_DB, AR_P, AR_S } from './constants';

export const segmentCacheMethods = {
  /**
   * Fills a segment register's hidden cache. `rights` is in LAR layout; `limit` is byte
   * granular. Computes the readable/writable offset windows used by every access.
   */
  setSegCache(this: Cpu, seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.segSel[seg] = selector;
    this.segBase[seg] = base;
    this.segLimit[seg] = limit;
    this.segAR[seg] = rights;
    const usable = (rights & AR_P) !== 0 && (rights & AR_S) !== 0;
    const type = (rights >> 8) & 0xf;
    const code = (type & 8) !== 0;
    const expandDown = !code && (type & 4) !== 0;
    let lo = 0, hi = limit;
    if (expandDown) {
      lo = limit + 1;
      hi = (rights & AR_DB) !== 0 ? 0xffffffff : 0xffff;
    }
    const readable = usable && (!code || (type & 2) !== 0);
    const writable = usable && !code && (type & 2) !== 0;
    this.segRLo[seg] = readable ? lo : 1;
    this.segRHi[seg] = readable ? hi : 0;
    this.segWLo[seg] = writable ? lo : 1;
    this.segWHi[seg] = writable ? hi : 0;
    if (seg === SS) this.ss32 = (rights & AR_DB) !== 0;
    else if (seg === CS) {
      this.cs32 = (rights & AR_DB) !== 0;
      this.epoch++;
      this.brk = true;
    }
    if (this.observer !== null) this.observer.segmentLoad(seg, selector, base, limit, rights);
  },

  /** A null selector in a data segment register: every access raises #GP(0). */
  setSegNull(this: Cpu, seg: number, selector: number): void {
    this.setSegCache(seg, selector, 0, 0, 0);
  },
};

export type SegmentCacheMethods = typeof segmentCacheMethods;
