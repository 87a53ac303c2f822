/**
 * The hidden descriptor caches of the segment registers: the offset windows every segmented
 * access checks. Methods of Cpu (installed by cpu.ts).
 */
import type { Cpu } from './cpu';
import { CS, SS, AR_DB, AR_P, AR_S, AR_DPL_SHIFT } from './constants';

/** The DPL field of the rights (LAR layout): it bounds no offset. */
const AR_DPL = 3 << AR_DPL_SHIFT;

export const segmentCacheMethods = {
  /**
   * Fills a segment register's hidden cache. `rights` is in LAR layout; `limit` is byte
   * granular. Computes the readable/writable offset windows used by every access. Reloading
   * the segment the cache already holds, but for the selector and the DPL (a far transfer
   * between flat segments, SYSENTER, SYSEXIT), changes only those: the windows, the stack or
   * code size and the block links stay as they are.
   */
  setSegCache(this: Cpu, seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.segSel[seg] = selector;
    if ((rights & AR_P) !== 0 && this.segBase[seg] === (base | 0) && this.segLimit[seg] === limit && ((this.segAR[seg] ^ rights) & ~AR_DPL) === 0) {
      this.segAR[seg] = rights;
      if (this.observer !== null) this.observer.segmentLoad(seg, selector, base, limit, rights);
      return;
    }
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
      // Block links depend on CS's base, limit and default size (the CPL is in the epoch's low bits).
      this.cs32 = (rights & AR_DB) !== 0;
      this.invalidateLinks();
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
