/**
 * The APIC-access page and the TPR shadow in VMX non-root operation (SDM vol. 3C 29.4, 29.1.2):
 * the processor's view of the local APIC while "virtualize APIC accesses" is on.
 *
 * A guest access to the APIC page (the APIC-access address; this model keeps it at the APIC's
 * own physical page, which the guest's physical address space shows as MMIO) is either
 * virtualized, with the TPR shadow: a read of offset 80H returns VTPR (byte 80H of the virtual-APIC
 * page) and a write of offset 80H writes VTPR, then TPR virtualization may cause a trap-like
 * "TPR below threshold" exit; or it causes a fault-like APIC-access VM exit (every other offset,
 * and every access without the TPR shadow). In root operation (the VMM emulating an access) and
 * outside VMX, accesses reach the local APIC itself.
 */
import type { Cpu, InterruptController } from '../../cpu/cpu';
import type { AccessSize } from '../../devices/bus';

export const APIC_TPR = 0x80;

/** The VMX side: what the APIC page needs from non-root operation (see nonroot.ts). */
export interface ApicVirtualization {
  /** The access is virtualized (true) or raised an APIC-access exit (never returns then). */
  apicRead(offset: number, size: number): number | null;
  apicWrite(offset: number, value: number, size: number): boolean;
}

export class ApicAccessPage implements InterruptController {
  private readonly apic: InterruptController;
  /** Non-root operation's virtualization, null in root operation (accesses reach the APIC). */
  virtualization: ApicVirtualization | null = null;

  constructor(apic: InterruptController) {
    this.apic = apic;
  }

  get nmiPending(): boolean {
    return this.apic.nmiPending;
  }
  set nmiPending(v: boolean) {
    this.apic.nmiPending = v;
  }
  get apicBaseMsr(): number {
    return this.apic.apicBaseMsr;
  }
  set apicBaseMsr(v: number) {
    this.apic.apicBaseMsr = v;
  }
  pendingVector(): number {
    return this.apic.pendingVector();
  }
  acknowledge(): number {
    return this.apic.acknowledge();
  }
  nextDeadline(): number {
    return this.apic.nextDeadline();
  }
  advance(now: number): void {
    this.apic.advance(now);
  }

  mmioRead(offset: number, size: AccessSize): number {
    const virt = this.virtualization;
    if (virt !== null) {
      const v = virt.apicRead(offset, size);
      if (v !== null) return v;
    }
    return this.apic.mmioRead(offset, size);
  }

  /** A dword register of the local APIC itself, whatever the virtualization (the VMM's reads). */
  mmioReadThrough(offset: number): number {
    return this.apic.mmioRead(offset, 4);
  }

  mmioWrite(offset: number, value: number, size: AccessSize): void {
    const virt = this.virtualization;
    if (virt !== null && virt.apicWrite(offset, value, size)) return;
    this.apic.mmioWrite(offset, value, size);
  }
}

/** Installs the APIC-access page between the CPU and its local APIC. */
export function installApicAccessPage(cpu: Cpu): ApicAccessPage {
  const page = new ApicAccessPage(cpu.apic);
  cpu.apic = page;
  return page;
}
