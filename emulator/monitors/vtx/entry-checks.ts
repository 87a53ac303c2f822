/**
 * The checks of VM entry, in the SDM's order (vol. 3C chapter 26, numbered as in the editions
 * up to 2021; later editions renumber the VMX chapters one up): 26.2.1 VMX controls, 26.2.2 and
 * 26.2.3 host state, 26.2.4 address-space size, then 26.3.1 guest state. One function per
 * subsection; each returns null when every check passes, else the failed check's text, which
 * cites it. A failure in 26.2.1 is VM-instruction error 7, in 26.2.2-26.2.4 error 8; a failure
 * in 26.3.1 is a VM exit with basic exit reason 33 and bit 31 set (the caller decides; see vmx.ts).
 *
 * The model is a 32-bit processor: no IA-32e mode, physical-address width 36, no unrestricted
 * guest. Its capability MSRs (controls.ts) allow guest CR0.PG = 0 and CR0.NE = 0 and do not
 * require CR4.VMXE in the guest's CR4 (IA32_VMX_CR0_FIXED0 = PE only, CR4_FIXED0 = 0), so that a
 * Multiboot kernel, which starts in protected mode without paging, runs unmodified.
 */
import type { Vmcs } from './vmcs';
import * as F from './encodings';
import {
  PIN_DEFAULT1, PIN_ALLOWED1, CPU_DEFAULT1, CPU_ALLOWED1, SEC_ALLOWED1, EXIT_DEFAULT1, EXIT_ALLOWED1, ENTRY_DEFAULT1,
  ENTRY_ALLOWED1, PIN_NMI_EXITING, PIN_VIRTUAL_NMIS, CPU_NMI_WINDOW_EXITING, CPU_USE_IO_BITMAPS, CPU_USE_MSR_BITMAPS,
  CPU_USE_TPR_SHADOW, CPU_ACTIVATE_SECONDARY_CONTROLS, SEC_VIRTUALIZE_APIC_ACCESSES, SEC_ENABLE_EPT,
  EXIT_HOST_ADDRESS_SPACE_SIZE, ENTRY_IA32E_MODE_GUEST, ENTRY_TO_SMM, INTR_INFO_VALID, INTR_INFO_DELIVER_CODE,
  INTR_TYPE_NMI, INTR_TYPE_HARDWARE_EXCEPTION, INTR_TYPE_EXTERNAL, INTR_TYPE_SOFTWARE_INTERRUPT,
  INTR_TYPE_PRIV_SOFTWARE_EXCEPTION, INTR_TYPE_SOFTWARE_EXCEPTION, INTR_TYPE_OTHER, INTERRUPTIBILITY_STI,
  INTERRUPTIBILITY_MOV_SS, ACTIVITY_HLT, ACTIVITY_ACTIVE,
} from './controls';

/** The model's physical-address width (CPUID 80000008H would report it). */
export const PHYS_WIDTH = 36;
const PHYS_LIMIT = 2 ** PHYS_WIDTH;

/** IA32_VMX_CR0_FIXED0/1 and CR4_FIXED0/1 as this model reports them (see the file comment). */
export const GUEST_CR0_FIXED0 = 0x00000001;
export const GUEST_CR4_FIXED0 = 0;
export const HOST_CR0_FIXED0 = 0x80000021; // PG, NE, PE
export const CR4_FIXED1 = 0x00372fff; // UMIP (bit 11) included: the processor implements it

/** The VMCS link pointer value that means "none" (all ones: a float nearest to 2^64 - 1). */
export const LINK_POINTER_NONE = 2 ** 64;

function pageAligned(a: number): boolean {
  return a % 4096 === 0 && a < PHYS_LIMIT;
}

/** Default-1 bits set, no bit outside the allowed-1 settings (SDM A.3-A.5). */
function reserved(value: number, default1: number, allowed1: number): boolean {
  return (value & default1) === default1 && (value & ~allowed1) === 0;
}

// =============================================================================================
// 26.2 Checks on VMX controls and host-state area
// =============================================================================================

/** 26.2.1.1 VM-execution control fields. */
export function checkExecutionControls(v: Vmcs, readVtpr: () => number): string | null {
  const pin = v.get(F.PIN_BASED_VM_EXEC_CONTROL) | 0;
  const cpu = v.get(F.CPU_BASED_VM_EXEC_CONTROL) | 0;
  const sec = (cpu & CPU_ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.get(F.SECONDARY_VM_EXEC_CONTROL) | 0 : 0;
  if (!reserved(pin, PIN_DEFAULT1, PIN_ALLOWED1)) return '26.2.1.1: reserved bits of the pin-based controls (IA32_VMX_PINBASED_CTLS)';
  if (!reserved(cpu, CPU_DEFAULT1, CPU_ALLOWED1)) return '26.2.1.1: reserved bits of the primary processor-based controls (IA32_VMX_PROCBASED_CTLS)';
  if (!reserved(sec, 0, SEC_ALLOWED1)) return '26.2.1.1: reserved bits of the secondary processor-based controls (IA32_VMX_PROCBASED_CTLS2)';
  if (v.get(F.CR3_TARGET_COUNT) > 4) return '26.2.1.1: the CR3-target count is greater than 4';
  if ((cpu & CPU_USE_IO_BITMAPS) !== 0 && (!pageAligned(v.get(F.IO_BITMAP_A)) || !pageAligned(v.get(F.IO_BITMAP_B)))) return '26.2.1.1: an I/O-bitmap address is not 4-KByte aligned or exceeds the physical-address width';
  if ((cpu & CPU_USE_MSR_BITMAPS) !== 0 && !pageAligned(v.get(F.MSR_BITMAPS))) return '26.2.1.1: the MSR-bitmap address is not 4-KByte aligned or exceeds the physical-address width';
  if ((cpu & CPU_USE_TPR_SHADOW) !== 0) {
    if (!pageAligned(v.get(F.VIRTUAL_APIC_PAGE_ADDR))) return '26.2.1.1: the virtual-APIC address is not 4-KByte aligned or exceeds the physical-address width';
    const threshold = v.get(F.TPR_THRESHOLD);
    if (threshold > 0xf) return '26.2.1.1: bits 31:4 of the TPR threshold are not 0';
    if (threshold > (readVtpr() >>> 4)) return '26.2.1.1: the TPR threshold exceeds bits 7:4 of VTPR';
  }
  if ((pin & PIN_NMI_EXITING) === 0 && (pin & PIN_VIRTUAL_NMIS) !== 0) return '26.2.1.1: virtual NMIs without NMI exiting';
  if ((pin & PIN_VIRTUAL_NMIS) === 0 && (cpu & CPU_NMI_WINDOW_EXITING) !== 0) return '26.2.1.1: NMI-window exiting without virtual NMIs';
  if ((sec & SEC_VIRTUALIZE_APIC_ACCESSES) !== 0 && !pageAligned(v.get(F.APIC_ACCESS_ADDR))) return '26.2.1.1: the APIC-access address is not 4-KByte aligned or exceeds the physical-address width';
  if ((sec & SEC_ENABLE_EPT) !== 0) {
    const eptp = v.get(F.EPT_POINTER);
    const type = eptp % 8;
    if (type !== 0 && type !== 6) return '26.2.1.1: the EPT paging-structure memory type is neither UC (0) nor WB (6)';
    if (Math.floor(eptp / 8) % 8 !== 3) return '26.2.1.1: the EPT page-walk length is not 4 (bits 5:3 = 3)';
    if (Math.floor(eptp / 128) % 32 !== 0 || eptp >= PHYS_LIMIT) return '26.2.1.1: reserved bits of the EPT pointer are set';
  }
  return null;
}

/** 26.2.1.2 VM-exit control fields. */
export function checkExitControls(v: Vmcs): string | null {
  if (!reserved(v.get(F.VM_EXIT_CONTROLS) | 0, EXIT_DEFAULT1, EXIT_ALLOWED1)) return '26.2.1.2: reserved bits of the VM-exit controls (IA32_VMX_EXIT_CTLS)';
  if (v.get(F.VM_EXIT_MSR_STORE_COUNT) !== 0 || v.get(F.VM_EXIT_MSR_LOAD_COUNT) !== 0) return '26.2.1.2: VM-exit MSR-store/load areas are not supported by this model (counts must be 0)';
  return null;
}

/** 26.2.1.3 VM-entry control fields (including the event-injection fields, 26.2.1.3 bullet 2). */
export function checkEntryControls(v: Vmcs): string | null {
  const entry = v.get(F.VM_ENTRY_CONTROLS) | 0;
  if (!reserved(entry, ENTRY_DEFAULT1, ENTRY_ALLOWED1)) return '26.2.1.3: reserved bits of the VM-entry controls (IA32_VMX_ENTRY_CTLS)';
  if (v.get(F.VM_ENTRY_MSR_LOAD_COUNT) !== 0) return '26.2.1.3: the VM-entry MSR-load area is not supported by this model (count must be 0)';
  const info = v.get(F.VM_ENTRY_INTR_INFO) | 0;
  if ((info & INTR_INFO_VALID) === 0) return null;
  const type = (info >>> 8) & 7, vector = info & 0xff;
  if (type === 1) return '26.2.1.3: the injected event has the reserved interruption type 1';
  if (type === INTR_TYPE_OTHER) return '26.2.1.3: interruption type 7 (other event) needs the monitor trap flag, not supported here';
  if (type === INTR_TYPE_NMI && vector !== 2) return '26.2.1.3: an injected NMI must have vector 2';
  if (type === INTR_TYPE_HARDWARE_EXCEPTION && vector > 31) return '26.2.1.3: an injected hardware exception must have a vector at most 31';
  const deliver = (info & INTR_INFO_DELIVER_CODE) !== 0;
  const hasCode = type === INTR_TYPE_HARDWARE_EXCEPTION && [8, 10, 11, 12, 13, 14, 17].includes(vector);
  if (deliver && ((v.get(F.GUEST_CR0) & 1) === 0 || !hasCode)) return '26.2.1.3: deliver-error-code is set for an event that has no error code (or CR0.PE = 0)';
  if (!deliver && hasCode) return '26.2.1.3: deliver-error-code is clear for an exception that pushes an error code';
  if ((info & 0x7ffff000) !== 0) return '26.2.1.3: reserved bits 30:12 of the VM-entry interruption-information field are set';
  if (deliver && v.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE) > 0x7fff) return '26.2.1.3: bits 31:15 of the VM-entry exception error code are not 0';
  if (type === INTR_TYPE_SOFTWARE_INTERRUPT || type === INTR_TYPE_PRIV_SOFTWARE_EXCEPTION || type === INTR_TYPE_SOFTWARE_EXCEPTION) {
    const len = v.get(F.VM_ENTRY_INSTRUCTION_LEN);
    if (len < 1 || len > 15) return '26.2.1.3: the VM-entry instruction length of a software event is not in 1..15';
  }
  if (type === INTR_TYPE_EXTERNAL && (v.get(F.GUEST_RFLAGS) & 0x200) === 0) return '26.3.1.4: an external interrupt is injected with RFLAGS.IF = 0';
  return null;
}

/** 26.2.2 Checks on host control registers and MSRs. */
export function checkHostControlRegisters(v: Vmcs): string | null {
  const cr0 = v.get(F.HOST_CR0), cr4 = v.get(F.HOST_CR4);
  if (((cr0 & HOST_CR0_FIXED0) >>> 0) !== HOST_CR0_FIXED0) return '26.2.2: host CR0 does not have the bits IA32_VMX_CR0_FIXED0 requires (PE, NE, PG)';
  if ((cr4 & ~CR4_FIXED1) !== 0) return '26.2.2: host CR4 sets a bit IA32_VMX_CR4_FIXED1 forbids';
  if (v.get(F.HOST_CR3) >= PHYS_LIMIT) return '26.2.2: host CR3 sets bits beyond the physical-address width';
  return null;
}

/** 26.2.3 Checks on host segment and descriptor-table registers. */
export function checkHostSegments(v: Vmcs): string | null {
  for (const enc of [...F.HOST_SEG_SELECTOR, F.HOST_TR_SELECTOR]) {
    if ((v.get(enc) & 7) !== 0) return '26.2.3: a host selector field has RPL or TI set';
  }
  if (v.get(F.HOST_CS_SELECTOR) === 0) return '26.2.3: the host CS selector is 0';
  if (v.get(F.HOST_TR_SELECTOR) === 0) return '26.2.3: the host TR selector is 0';
  if (v.get(F.HOST_SS_SELECTOR) === 0) return '26.2.3: the host SS selector is 0 with the host address-space size control 0';
  return null;
}

/** 26.2.4 Checks related to address-space size (a processor without IA-32e mode). */
export function checkAddressSpaceSize(v: Vmcs): string | null {
  if ((v.get(F.VM_EXIT_CONTROLS) & EXIT_HOST_ADDRESS_SPACE_SIZE) !== 0) return '26.2.4: the host address-space size control is 1 on a processor without IA-32e mode';
  if ((v.get(F.VM_ENTRY_CONTROLS) & (ENTRY_IA32E_MODE_GUEST | ENTRY_TO_SMM)) !== 0) return '26.2.4: IA-32e mode guest or entry to SMM on a processor without them';
  return null;
}

// =============================================================================================
// 26.3.1 Checks on the guest-state area
// =============================================================================================

/** 26.3.1.1 Checks on guest control registers, debug registers and MSRs. */
export function checkGuestControlRegisters(v: Vmcs): string | null {
  const cr0 = v.get(F.GUEST_CR0), cr4 = v.get(F.GUEST_CR4);
  if ((cr0 & GUEST_CR0_FIXED0) !== GUEST_CR0_FIXED0) return '26.3.1.1: guest CR0.PE is 0 (no unrestricted guest)';
  if ((cr0 & 0x80000000) !== 0 && (cr0 & 1) === 0) return '26.3.1.1: guest CR0.PG is 1 with CR0.PE 0';
  if ((cr4 & ~CR4_FIXED1) !== 0) return '26.3.1.1: guest CR4 sets a bit IA32_VMX_CR4_FIXED1 forbids';
  if (v.get(F.GUEST_CR3) >= PHYS_LIMIT) return '26.3.1.1: guest CR3 sets bits beyond the physical-address width';
  return null;
}

const AR_UNUSABLE = 1 << 16;

/** Limit and granularity agree: limit bits 11:0 all ones if G, bits 31:20 all zero if not. */
function limitAgrees(limit: number, ar: number): boolean {
  const g = (ar & 0x8000) !== 0;
  if ((limit & 0xfff) !== 0xfff && g) return false;
  if (limit > 0xfffff && !g) return false;
  return true;
}

/** 26.3.1.2 Checks on guest segment registers (protected mode, not virtual-8086, no unrestricted guest). */
export function checkGuestSegments(v: Vmcs): string | null {
  const names = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];
  const trSel = v.get(F.GUEST_TR_SELECTOR), trAr = v.get(F.GUEST_TR_AR_BYTES);
  if ((trSel & 4) !== 0) return '26.3.1.2: TR selector TI flag is 1';
  const ldtrAr = v.get(F.GUEST_LDTR_AR_BYTES);
  if ((ldtrAr & AR_UNUSABLE) === 0 && (v.get(F.GUEST_LDTR_SELECTOR) & 4) !== 0) return '26.3.1.2: LDTR selector TI flag is 1';
  const csSel = v.get(F.GUEST_CS_SELECTOR), ssSel = v.get(F.GUEST_SS_SELECTOR);
  if ((ssSel & 3) !== (csSel & 3)) return '26.3.1.2: SS.RPL differs from CS.RPL';
  const csAr = v.get(F.GUEST_CS_AR_BYTES), ssAr = v.get(F.GUEST_SS_AR_BYTES);
  const csType = csAr & 0xf;
  if (![9, 11, 13, 15].includes(csType)) return '26.3.1.2: CS type is not an accessed code segment (9, 11, 13, 15)';
  if ((ssAr & AR_UNUSABLE) === 0 && (ssAr & 0xf) !== 3 && (ssAr & 0xf) !== 7) return '26.3.1.2: SS type is not a read/write accessed data segment (3 or 7)';
  const csDpl = (csAr >>> 5) & 3, ssDpl = (ssAr >>> 5) & 3;
  if ((csType === 9 || csType === 11) && csDpl !== ssDpl) return '26.3.1.2: CS.DPL differs from SS.DPL for a non-conforming CS';
  if ((csType === 13 || csType === 15) && csDpl > ssDpl) return '26.3.1.2: CS.DPL is greater than SS.DPL for a conforming CS';
  if ((ssAr & AR_UNUSABLE) === 0 && ssDpl !== (ssSel & 3)) return '26.3.1.2: SS.DPL differs from SS.RPL';
  for (let s = 0; s < 6; s++) {
    const ar = v.get(F.GUEST_SEG_AR[s]);
    if ((ar & AR_UNUSABLE) !== 0 && s !== 1) continue;
    const type = ar & 0xf;
    if (s !== 1 && s !== 2) {
      if ((type & 1) === 0) return `26.3.1.2: ${names[s]} type is not accessed`;
      if ((type & 8) !== 0 && (type & 2) === 0) return `26.3.1.2: ${names[s]} is an execute-only code segment`;
      if (type <= 11 && ((ar >>> 5) & 3) < (v.get(F.GUEST_SEG_SELECTOR[s]) & 3)) return `26.3.1.2: ${names[s]}.DPL is less than its RPL`;
    }
    if ((ar & 0x10) === 0) return `26.3.1.2: ${names[s]}.S is 0`;
    if ((ar & 0x80) === 0) return `26.3.1.2: ${names[s]}.P is 0`;
    if ((ar & 0xf00) !== 0 || ar >= 0x20000) return `26.3.1.2: reserved bits of the ${names[s]} access rights are set`;
    if ((ar & 0x2000) !== 0) return `26.3.1.2: ${names[s]}.L is 1 on a processor without IA-32e mode`;
    if (!limitAgrees(v.get(F.GUEST_SEG_LIMIT[s]), ar)) return `26.3.1.2: ${names[s]} limit and granularity disagree`;
  }
  if ((trAr & AR_UNUSABLE) !== 0) return '26.3.1.2: TR is unusable';
  if ((trAr & 0xf) !== 3 && (trAr & 0xf) !== 11) return '26.3.1.2: TR type is not a busy TSS (3 or 11)';
  if ((trAr & 0x10) !== 0 || (trAr & 0x80) === 0) return '26.3.1.2: TR.S is 1 or TR.P is 0';
  if ((trAr & 0xf00) !== 0 || trAr >= 0x20000) return '26.3.1.2: reserved bits of the TR access rights are set';
  if (!limitAgrees(v.get(F.GUEST_TR_LIMIT), trAr)) return '26.3.1.2: TR limit and granularity disagree';
  if ((ldtrAr & AR_UNUSABLE) === 0) {
    if ((ldtrAr & 0xf) !== 2 || (ldtrAr & 0x10) !== 0 || (ldtrAr & 0x80) === 0) return '26.3.1.2: LDTR is not a present LDT descriptor (type 2, S 0, P 1)';
    if (!limitAgrees(v.get(F.GUEST_LDTR_LIMIT), ldtrAr)) return '26.3.1.2: LDTR limit and granularity disagree';
  }
  return null;
}

/** 26.3.1.3 Checks on guest descriptor-table registers. */
export function checkGuestDescriptorTables(v: Vmcs): string | null {
  if (v.get(F.GUEST_GDTR_LIMIT) > 0xffff) return '26.3.1.3: bits 31:16 of the GDTR limit are not 0';
  if (v.get(F.GUEST_IDTR_LIMIT) > 0xffff) return '26.3.1.3: bits 31:16 of the IDTR limit are not 0';
  return null;
}

/** 26.3.1.4 Checks on guest RIP and RFLAGS. */
export function checkGuestRipRflags(v: Vmcs): string | null {
  const flags = v.get(F.GUEST_RFLAGS);
  if ((flags & 0xffc08028) !== 0 || flags > 0xffffffff) return '26.3.1.4: reserved bits of RFLAGS (63:22, 15, 5, 3) are set';
  if ((flags & 2) === 0) return '26.3.1.4: RFLAGS bit 1 is 0';
  if ((flags & 0x20000) !== 0) return '26.3.1.4: RFLAGS.VM is 1: virtual-8086 guests are not supported by this model';
  return null;
}

/** 26.3.1.5 Checks on guest non-register state. */
export function checkGuestNonRegisterState(v: Vmcs): string | null {
  const activity = v.get(F.GUEST_ACTIVITY_STATE);
  if (activity !== ACTIVITY_ACTIVE && activity !== ACTIVITY_HLT) return '26.3.1.5: the activity state is not one IA32_VMX_MISC reports (active, HLT)';
  if (activity === ACTIVITY_HLT && ((v.get(F.GUEST_SS_AR_BYTES) >>> 5) & 3) !== 0) return '26.3.1.5: HLT activity state with SS.DPL not 0';
  const intr = v.get(F.GUEST_INTERRUPTIBILITY_INFO);
  if (intr > 0x1f) return '26.3.1.5: reserved bits 31:5 of the interruptibility state are set';
  if ((intr & INTERRUPTIBILITY_STI) !== 0 && (intr & INTERRUPTIBILITY_MOV_SS) !== 0) return '26.3.1.5: blocking by STI and by MOV SS both set';
  if ((intr & INTERRUPTIBILITY_STI) !== 0 && (v.get(F.GUEST_RFLAGS) & 0x200) === 0) return '26.3.1.5: blocking by STI with RFLAGS.IF = 0';
  const info = v.get(F.VM_ENTRY_INTR_INFO) | 0;
  if ((info & INTR_INFO_VALID) !== 0 && ((info >>> 8) & 7) === INTR_TYPE_EXTERNAL && (intr & 3) !== 0) return '26.3.1.5: an external interrupt is injected with blocking by STI or MOV SS';
  if (v.get(F.VMCS_LINK_POINTER) !== LINK_POINTER_NONE) return '26.3.1.5: the VMCS link pointer is not FFFFFFFF_FFFFFFFFH (no VMCS shadowing)';
  return null;
}

/** The SDM's order: controls, then host state, then guest state. */
export const CONTROL_CHECKS = [checkExecutionControls, checkExitControls, checkEntryControls] as const;
export const HOST_CHECKS = [checkHostControlRegisters, checkHostSegments, checkAddressSpaceSize] as const;
export const GUEST_CHECKS = [checkGuestControlRegisters, checkGuestSegments, checkGuestDescriptorTables, checkGuestRipRflags, checkGuestNonRegisterState] as const;
