/**
 * The built-in VMM's view of the guest's APIC: whether it uses the TPR shadow (generation 2),
 * the guest's virtual TPR (VTPR, in the virtual-APIC page), the local APIC's own PPR, and the
 * TPR and PPR the guest reads and writes while the VMM emulates one of its APIC accesses.
 */
import { APIC_TPR, type ApicVirtualization } from './apic-access';
import { OFF_VIRTUAL_APIC } from './vmm-memory';
import type { VtxMonitor } from './vmm';

const APIC_PPR = 0xa0;

/** Generation 2 has the TPR shadow; generation 1's TPR accesses are all APIC-access exits. */
export function tprShadow(vmm: VtxMonitor): boolean {
  return vmm.generation === 2;
}

/** The guest's virtual TPR: byte 80H of the virtual-APIC page. */
export function vtpr(vmm: VtxMonitor): number {
  return vmm.cpu.ram[vmm.hostBase + OFF_VIRTUAL_APIC + APIC_TPR];
}

function apicPpr(vmm: VtxMonitor): number {
  // The local APIC's own PPR: its TPR stays 0 under the TPR shadow, so this is ISRV's class.
  return vmm.apicPage.mmioReadThrough(APIC_PPR) & 0xff;
}

/** While the VMM emulates an APIC access with the TPR shadow on, TPR and PPR are the guest's. */
export function apicEmulation(vmm: VtxMonitor): ApicVirtualization {
  return {
    apicRead: (offset, size) => {
      if (!tprShadow(vmm) || size !== 4) return null;
      const tpr = vtpr(vmm);
      if (offset === APIC_TPR) return tpr;
      if (offset === APIC_PPR) {
        const isrv = apicPpr(vmm);
        return tpr >>> 4 >= isrv >>> 4 ? tpr : isrv & 0xf0;
      }
      return null;
    },
    apicWrite: (offset, value, size) => {
      if (!tprShadow(vmm) || offset !== APIC_TPR || size !== 4) return false;
      vmm.cpu.ram[vmm.hostBase + OFF_VIRTUAL_APIC + APIC_TPR] = value & 0xff;
      return true;
    },
  };
}
