/**
 * Generation 1 of the built-in VMM: shadow page tables (shadow-tables.ts). The processor runs on
 * the VMM's tables with CR0.PG and CR0.WP always set; the guest's own CR0.PG/WP and CR4.PSE/PGE
 * live in the read shadows, its CR3 in the VMM. A #PF exit is hidden (shadow entry filled) or
 * reflected (the guest's own page fault injected); INVLPG drops the shadow's entry; while the
 * VMM executes a guest instruction the processor takes the guest's own paging registers.
 */
import { CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, PFEC_W, PFEC_U, PF_VECTOR, DF_VECTOR } from '../../cpu/constants';
import { FAULT } from '../../cpu/fault';
import * as F from './encodings';
import * as C from './controls';
import { advance, emulate, note } from './vmm-exits';
import type { VtxMonitor } from './vmm';

/** Generation 1: the CR0 and CR4 bits the VMM owns (the guest reads them from the read shadows). */
export const GEN1_CR0_OWNED = CR0_PG | CR0_WP;
export const GEN1_CR4_OWNED = CR4_PSE | CR4_PGE;

/** The guest's own CR0 and CR4: the processor's values, the owned bits from the read shadows. */
export function guestCr0(vmm: VtxMonitor): number {
  const v = vmm.vmx.vmcs;
  return (v.get(F.GUEST_CR0) & ~GEN1_CR0_OWNED) | (v.get(F.CR0_READ_SHADOW) & GEN1_CR0_OWNED);
}
export function guestCr4(vmm: VtxMonitor): number {
  const v = vmm.vmx.vmcs;
  return (v.get(F.GUEST_CR4) & ~GEN1_CR4_OWNED) | (v.get(F.CR4_READ_SHADOW) & GEN1_CR4_OWNED);
}

/** Sets the guest's CR0/CR4 as it sees them; the processor's: paging on, WP on, 4-KiB pages, no global ones. */
export function setGuestPaging(vmm: VtxMonitor, cr0: number, cr4: number): void {
  const v = vmm.vmx.vmcs;
  v.set(F.CR0_READ_SHADOW, cr0 & GEN1_CR0_OWNED);
  v.set(F.GUEST_CR0, (cr0 | GEN1_CR0_OWNED) >>> 0);
  v.set(F.CR4_READ_SHADOW, cr4 & GEN1_CR4_OWNED);
  v.set(F.GUEST_CR4, cr4 & ~GEN1_CR4_OWNED);
  v.set(F.GUEST_CR3, vmm.shadow!.directory);
}

/**
 * A #PF VM exit (generation 1): the VMM walks the guest's own tables for the access the error
 * code describes. If they allow it, the fault is hidden: the shadow entry is filled and the
 * instruction (or the event delivery) starts over. If not, the guest gets its page fault.
 */
export function pageFault(vmm: VtxMonitor, lin: number, code: number): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  const write = (code & PFEC_W) !== 0, user = (code & PFEC_U) !== 0;
  const vectoring = v.get(F.IDT_VECTORING_INFO);
  cpu.physLimit = vmm.guestRam; // the guest's tables are in its RAM; a pointer beyond reads no RAM
  let fault = -1;
  try {
    vmm.walk.walk(cpu, guestCr0(vmm), vmm.guestCr3, guestCr4(vmm), lin, write, user);
  } catch (e) {
    if (e !== FAULT) throw e;
    fault = cpu.excCode;
  } finally {
    cpu.physLimit = cpu.ramSize;
  }
  if (fault < 0) {
    const page = vmm.walk.physPage;
    if (page >= vmm.guestRam >>> 12 && page < cpu.ramSize >>> 12) {
      // The guest maps a physical page beyond its RAM where the VMM's memory is: never
      // shadowed; the access is executed on the guest's tables, reaching no RAM, as natively.
      if ((vectoring & C.INTR_INFO_VALID) !== 0) {
        cpu.shutdown('vmx: event delivery through a guest page mapped beyond guest RAM (generation 1 cannot complete it)');
        return;
      }
      emulate(vmm, 'access beyond guest ram executed on the guest\'s page tables', lin);
      return;
    }
    // A supervisor write allowed only because the guest has CR0.WP = 0: a supervisor-only
    // writable entry (a user access faults again and gets the guest's own permissions).
    const wpOff = write && !user && !vmm.walk.writable;
    vmm.shadow!.map(lin, page, wpOff ? false : vmm.walk.user, wpOff || (vmm.walk.writable && vmm.walk.dirty));
    reinject(vmm, vectoring);
    note(vmm, 'hidden page fault: shadow page-table entry filled', lin);
    return;
  }
  // The guest's own page fault. Arising while a #PF was being delivered it is a #DF; while a
  // #DF was, a triple fault (the SDM's double-fault rules, which the processor applied natively).
  const first = (vectoring & C.INTR_INFO_VALID) !== 0 && ((vectoring >>> 8) & 7) === C.INTR_TYPE_HARDWARE_EXCEPTION ? vectoring & 0xff : -1;
  if (first === DF_VECTOR) {
    cpu.shutdown('vmx: triple fault in the guest: #DF -> #PF -> shutdown (a page fault while delivering a double fault)');
    return;
  }
  if (first === PF_VECTOR) {
    v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, DF_VECTOR, true));
    v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
    note(vmm, 'guest page fault while delivering a page fault: #DF injected', lin);
    return;
  }
  cpu.cr2 = lin; // CR2 is the processor's, not part of the VMCS: the VMM writes it before the entry
  v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, PF_VECTOR, true));
  v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, fault);
  note(vmm, 'guest page fault reflected: #PF injected', lin);
}

/** Generation 1, the guest's state loaded: the processor takes the guest's own CR0, CR3, CR4 (and page tables). */
export function enterGuestPaging(vmm: VtxMonitor): void {
  const cpu = vmm.cpu;
  cpu.cr0 = guestCr0(vmm);
  cpu.cr3 = vmm.guestCr3;
  cpu.cr4 = guestCr4(vmm);
  cpu.flushTlb(true);
}

/**
 * Back from the guest's paging registers to the shadow's: what the guest changed becomes its
 * view (the read shadows, its CR3); a CR3 load (`cr3Load`) or a change of CR0.PG/WP or
 * CR4.PSE/PGE empties the shadow.
 */
export function leaveGuestPaging(vmm: VtxMonitor, cr3Load: boolean): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  const shadow = vmm.shadow!;
  const cr0 = cpu.cr0, cr4 = cpu.cr4;
  if (cr3Load || ((cr0 ^ guestCr0(vmm)) & GEN1_CR0_OWNED) !== 0 || ((cr4 ^ guestCr4(vmm)) & GEN1_CR4_OWNED) !== 0) shadow.flush();
  vmm.guestCr3 = cpu.cr3;
  setGuestPaging(vmm, cr0, cr4);
  cpu.cr0 = v.get(F.GUEST_CR0) | 0;
  cpu.cr3 = shadow.directory;
  cpu.cr4 = v.get(F.GUEST_CR4) | 0;
}

/** Re-injects the event whose delivery a VM exit interrupted (IDT-vectoring information, 27.2.4). */
export function reinject(vmm: VtxMonitor, vectoring: number): void {
  if ((vectoring & C.INTR_INFO_VALID) === 0) return;
  const v = vmm.vmx.vmcs;
  v.set(F.VM_ENTRY_INTR_INFO, vectoring & ~C.INTR_INFO_NMI_UNBLOCKING);
  v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, v.get(F.IDT_VECTORING_ERROR_CODE));
  v.set(F.VM_ENTRY_INSTRUCTION_LEN, v.get(F.VM_EXIT_INSTRUCTION_LEN));
  // A software interrupt's instruction retires when its delivery completes (the exit did not count it).
  const type = (vectoring >>> 8) & 7;
  if (type === C.INTR_TYPE_SOFTWARE_INTERRUPT || type === C.INTR_TYPE_SOFTWARE_EXCEPTION || type === C.INTR_TYPE_PRIV_SOFTWARE_EXCEPTION) vmm.cpu.icount++;
}


/** An INVLPG exit: the guest drops one translation, so does the shadow (the whole 4-MiB region for a large page). */
export function invlpg(vmm: VtxMonitor, q: number, len: number): void {
  const cpu = vmm.cpu;
  const cr4 = guestCr4(vmm);
  cpu.physLimit = vmm.guestRam;
  const pde = (guestCr0(vmm) & CR0_PG) !== 0 ? cpu.physRead32(((vmm.guestCr3 & ~0xfff) + ((q >>> 22) << 2)) >>> 0) : 0;
  cpu.physLimit = cpu.ramSize;
  vmm.shadow?.invalidate(q, (cr4 & CR4_PSE) !== 0 && (pde & 0x81) === 0x81);
  note(vmm, 'invlpg: shadow page-table entry dropped', q);
  advance(vmm, len);
}
