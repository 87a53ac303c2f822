/**
 * Shadow descriptors: the real GDT (and LDT) hold a copy of every guest descriptor at the same
 * index, changed as ring deprivileging requires:
 *
 * - DPL 0 becomes the ring the guest kernel really runs at (1 in sw-013, 3 in sw-033); in
 *   sw-033 every DPL becomes 3 (ring compression). The accessed bit is preset, so the CPU never
 *   writes the shadow.
 * - sw-013 protects the monitor region with segment limits: an expand-up segment that reaches
 *   0xFFC00000 is cut below it (a segment that starts inside it is marked not present).
 * - Two copies exist. In the kernel-mode copy, guest user code segments are not present, so
 *   that every transfer from the guest kernel to user code (IRET, RETF, far JMP) faults into
 *   the monitor, which must switch the virtual CPL, the shadow page tables and the virtual IF.
 *   In sw-033's user-mode copy, descriptors the guest reserved to its kernel (DPL < 3) are not
 *   present: at CPL 3 the hardware could no longer tell the guest's user from its kernel.
 * - System descriptors (TSS, LDT, gates) are not copied: LTR and LLDT are emulated against the
 *   guest's own tables, and interrupts reach the monitor's IDT, not the guest's gates. A far
 *   call through a guest call gate therefore faults (documented in the README).
 */
import { AR_P, AR_S, AR_G } from '../../cpu/constants';
import { descBase, descLimit } from '../../cpu/segments';
import { MON_LINEAR } from './layout';

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
