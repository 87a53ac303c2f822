/**
 * Shadow descriptors: the real GDT (and LDT) hold a copy of every guest descriptor at the same
 * index, changed as ring deprivileging requires:
 *
 * - DPL 0 becomes the ring the guest kernel really runs at (1 in sw-013, 3 in sw-033); in
 *   sw-033 every DPL becomes 3 (ring compression). The accessed bit is preset, so the CPU never
 *   writes the shadow.
 * - sw-013 protects the monitor region with segment limits: an expand-up segment that reaches
 *   0xFFC00000 is cut below it (a segment that starts inside it is marked not present). An
 *   expand-down segment (offsets limit+1 to 0xFFFF or 0xFFFFFFFF) whose offsets reach the region
 *   gets its limit raised past every offset that does, down to no valid offset at all when the
 *   region lies at the top of its range: the descriptor still loads as the guest's does, and an
 *   access the shadow no longer allows faults into the monitor, which executes it on the
 *   virtual CPU against the guest's own descriptor and memory (same value, same fault as natively).
 * - Two copies exist. In the kernel-mode copy, guest user code segments are not present, so
 *   that every transfer from the guest kernel to user code (IRET, RETF, far JMP) faults into
 *   the monitor, which must switch the virtual CPL, the shadow page tables and the virtual IF.
 *   In sw-033's user-mode copy, descriptors the guest reserved to its kernel (DPL < 3) are not
 *   present: at CPL 3 the hardware could no longer tell the guest's user from its kernel.
 * - System descriptors (TSS, LDT, gates) are not copied: LTR and LLDT are emulated against the
 *   guest's own tables, and interrupts reach the monitor's IDT, not the guest's gates. A far
 *   call through a guest call gate therefore faults (documented in the README).
 */
import { AR_P, AR_S, AR_G, AR_DB } from '../../cpu/constants';
import { descBase, descLimit } from '../../cpu/segments';
import { MON_LINEAR, MON_SIZE } from './layout';

/**
 * The smallest limit >= `limit` such that no offset of the expand-down segment (limit, top] at
 * `base` reaches the monitor region; -1 when none does already. `top` itself means no valid
 * offset at all.
 */
export function expandDownLimit(base: number, limit: number, top: number): number {
  // The region in this segment's offsets: one interval, or two when it wraps past 2^32.
  const w0 = (MON_LINEAR - base) >>> 0;
  const w1 = (w0 + MON_SIZE - 1) >>> 0;
  const pieces: [number, number][] = w0 <= w1 ? [[w0, w1]] : [[w0, 0xffffffff], [0, w1]];
  let raised = -1;
  for (const [a, b] of pieces) {
    if (a <= top && b > limit) raised = Math.max(raised, Math.min(b, top));
  }
  return raised;
}

/** The shadow of one guest descriptor; the result is in shadowLo/shadowHi. */
export const shadowOut = { lo: 0, hi: 0 };

export function shadowDescriptor(lo: number, hi: number, kernelRing: number, compressAll: boolean, truncate: boolean, userCopy: boolean): void {
  shadowOut.lo = 0;
  shadowOut.hi = 0;
  if ((hi & AR_S) === 0) return; // system descriptor (or null)
  const dpl = (hi >> 13) & 3;
  const code = (hi & 0x800) !== 0;
  const newDpl = dpl === 0 ? kernelRing : compressAll ? 3 : dpl;
  let h = (hi & ~(3 << 13)) | (newDpl << 13) | 0x100;
  let l = lo;
  if (!userCopy && code && dpl === 3) h &= ~AR_P;
  if (userCopy && compressAll && dpl < 3) h &= ~AR_P;
  const expandDown = !code && (hi & 0x400) !== 0;
  if (truncate && expandDown) {
    const raised = expandDownLimit(descBase(lo, hi) >>> 0, descLimit(lo, hi), (hi & AR_DB) !== 0 ? 0xffffffff : 0xffff);
    if (raised >= 0) {
      let field: number;
      if (raised > 0xfffff) {
        h |= AR_G;
        field = Math.floor(raised / 4096); // limit (field << 12) | 0xfff >= raised
      } else {
        h &= ~AR_G;
        field = raised;
      }
      l = (l & 0xffff0000) | (field & 0xffff);
      h = (h & ~0xf0000) | (field & 0xf0000);
    }
  }
  if (truncate && !expandDown) {
    const base = descBase(lo, hi) >>> 0;
    const limit = descLimit(lo, hi);
    if (base >= MON_LINEAR) h &= ~AR_P;
    else if (base + limit >= MON_LINEAR) {
      const max = MON_LINEAR - 1 - base; // highest offset below the monitor region
      let field: number;
      if (max > 0xfffff) {
        h |= AR_G;
        field = Math.floor((max + 1) / 4096) - 1;
      } else {
        h &= ~AR_G;
        field = max;
      }
      l = (l & 0xffff0000) | (field & 0xffff);
      h = (h & ~0xf0000) | (field & 0xf0000);
    }
  }
  shadowOut.lo = l | 0;
  shadowOut.hi = h | 0;
}
