/**
 * Bits of the VM-execution, VM-exit and VM-entry controls (SDM vol. 3C 24.6-24.8), of the
 * event-information fields (24.8.3, 24.9.2) and of the guest non-register state (24.4.2), and the
 * capability MSRs' default-1 settings this model reports (appendix A.3-A.5).
 */

// --- Pin-based VM-execution controls (24.6.1, table 24-5) ----------------------------------------
export const PIN_EXTERNAL_INTERRUPT_EXITING = 1 << 0;
export const PIN_NMI_EXITING = 1 << 3;
export const PIN_VIRTUAL_NMIS = 1 << 5;
/** Bits 1, 2 and 4 are reserved and must be 1 (IA32_VMX_PINBASED_CTLS, A.3.1). */
export const PIN_DEFAULT1 = 0x16;
export const PIN_ALLOWED1 = PIN_DEFAULT1 | PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;

// --- Primary processor-based VM-execution controls (24.6.2, table 24-6) ---------------------------
export const CPU_INTERRUPT_WINDOW_EXITING = 1 << 2;
export const CPU_USE_TSC_OFFSETTING = 1 << 3;
export const CPU_HLT_EXITING = 1 << 7;
export const CPU_INVLPG_EXITING = 1 << 9;
export const CPU_MWAIT_EXITING = 1 << 10;
export const CPU_RDPMC_EXITING = 1 << 11;
export const CPU_RDTSC_EXITING = 1 << 12;
export const CPU_CR3_LOAD_EXITING = 1 << 15;
export const CPU_CR3_STORE_EXITING = 1 << 16;
export const CPU_CR8_LOAD_EXITING = 1 << 19;
export const CPU_CR8_STORE_EXITING = 1 << 20;
export const CPU_USE_TPR_SHADOW = 1 << 21;
export const CPU_NMI_WINDOW_EXITING = 1 << 22;
export const CPU_MOV_DR_EXITING = 1 << 23;
export const CPU_UNCONDITIONAL_IO_EXITING = 1 << 24;
export const CPU_USE_IO_BITMAPS = 1 << 25;
export const CPU_MONITOR_TRAP_FLAG = 1 << 27;
export const CPU_USE_MSR_BITMAPS = 1 << 28;
export const CPU_MONITOR_EXITING = 1 << 29;
export const CPU_PAUSE_EXITING = 1 << 30;
export const CPU_ACTIVATE_SECONDARY_CONTROLS = 1 << 31;
/**
 * Bits 1, 4-6, 8, 13, 14 and 26 are reserved and must be 1. The model reports the TRUE
 * capability MSRs (IA32_VMX_BASIC bit 55; IA32_VMX_TRUE_PROCBASED_CTLS, A.3.2), in which
 * CR3-load and CR3-store exiting (bits 15, 16) may be 0: EPT makes them unnecessary.
 */
export const CPU_DEFAULT1 = 0x04006172;
export const CPU_ALLOWED1 = (CPU_DEFAULT1 | CPU_INTERRUPT_WINDOW_EXITING | CPU_USE_TSC_OFFSETTING | CPU_HLT_EXITING |
  CPU_INVLPG_EXITING | CPU_RDPMC_EXITING | CPU_RDTSC_EXITING | CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING |
  CPU_USE_TPR_SHADOW | CPU_NMI_WINDOW_EXITING | CPU_MOV_DR_EXITING | CPU_UNCONDITIONAL_IO_EXITING |
  CPU_USE_IO_BITMAPS | CPU_MONITOR_TRAP_FLAG | CPU_USE_MSR_BITMAPS | CPU_ACTIVATE_SECONDARY_CONTROLS) | 0;

// --- Secondary processor-based VM-execution controls (24.6.2, table 24-7) -------------------------
export const SEC_VIRTUALIZE_APIC_ACCESSES = 1 << 0;
export const SEC_ENABLE_EPT = 1 << 1;
export const SEC_DESCRIPTOR_TABLE_EXITING = 1 << 2;
export const SEC_ALLOWED1 = SEC_VIRTUALIZE_APIC_ACCESSES | SEC_ENABLE_EPT | SEC_DESCRIPTOR_TABLE_EXITING;

// --- VM-exit controls (24.7.1, table 24-13) ------------------------------------------------------
export const EXIT_SAVE_DEBUG_CONTROLS = 1 << 2;
export const EXIT_HOST_ADDRESS_SPACE_SIZE = 1 << 9;
export const EXIT_ACK_INTERRUPT_ON_EXIT = 1 << 15;
/** Default-1 bits 0-8, 10, 11, 13, 14, 16, 17 (IA32_VMX_EXIT_CTLS, A.4). */
export const EXIT_DEFAULT1 = 0x00036dff;
export const EXIT_ALLOWED1 = EXIT_DEFAULT1 | EXIT_ACK_INTERRUPT_ON_EXIT;

// --- VM-entry controls (24.8.1, table 24-15) -----------------------------------------------------
export const ENTRY_LOAD_DEBUG_CONTROLS = 1 << 2;
export const ENTRY_IA32E_MODE_GUEST = 1 << 9;
export const ENTRY_TO_SMM = 1 << 10;
/** Default-1 bits 0-8 and 12 (IA32_VMX_ENTRY_CTLS, A.5). */
export const ENTRY_DEFAULT1 = 0x000011ff;
export const ENTRY_ALLOWED1 = ENTRY_DEFAULT1;

// --- Interruption-information fields (24.8.3 table 24-16, 24.9.2 table 24-19) ---------------------
export const INTR_INFO_VECTOR_MASK = 0xff;
export const INTR_INFO_TYPE_SHIFT = 8;
export const INTR_INFO_DELIVER_CODE = 1 << 11;
export const INTR_INFO_NMI_UNBLOCKING = 1 << 12;
export const INTR_INFO_VALID = 1 << 31;
export const INTR_TYPE_EXTERNAL = 0;
export const INTR_TYPE_NMI = 2;
export const INTR_TYPE_HARDWARE_EXCEPTION = 3;
export const INTR_TYPE_SOFTWARE_INTERRUPT = 4;
export const INTR_TYPE_PRIV_SOFTWARE_EXCEPTION = 5;
export const INTR_TYPE_SOFTWARE_EXCEPTION = 6;
export const INTR_TYPE_OTHER = 7;
export const INTR_TYPE_NAMES = ['external interrupt', 'reserved', 'NMI', 'hardware exception', 'software interrupt', 'privileged software exception', 'software exception', 'other event'] as const;

/** An interruption-information word: valid, type, vector, and whether an error code is delivered. */
export function intrInfo(type: number, vector: number, deliverCode: boolean): number {
  return (INTR_INFO_VALID | (type << INTR_INFO_TYPE_SHIFT) | (vector & 0xff) | (deliverCode ? INTR_INFO_DELIVER_CODE : 0)) | 0;
}

// --- Guest interruptibility state (24.4.2, table 24-3) and activity state -------------------------
export const INTERRUPTIBILITY_STI = 1 << 0;
export const INTERRUPTIBILITY_MOV_SS = 1 << 1;
export const INTERRUPTIBILITY_SMI = 1 << 2;
export const INTERRUPTIBILITY_NMI = 1 << 3;
export const ACTIVITY_ACTIVE = 0;
export const ACTIVITY_HLT = 1;
export const ACTIVITY_SHUTDOWN = 2;
export const ACTIVITY_WAIT_SIPI = 3;
export const ACTIVITY_NAMES = ['active', 'HLT', 'shutdown', 'wait-for-SIPI'] as const;

// --- Fixed bits of CR0 and CR4 in VMX operation (IA32_VMX_CR0_FIXED0/1, CR4_FIXED0/1; A.7, A.8) ---
export const CR0_FIXED0 = 0x80000021; // PG, NE, PE must be 1 (no unrestricted guest)
export const CR0_FIXED1 = 0xffffffff;
export const CR4_FIXED0 = 0x00002000; // VMXE must be 1
export const CR4_FIXED1 = 0x00372fff; // UMIP (bit 11) included: the processor implements it

/** The VMCS revision identifier this model reports in IA32_VMX_BASIC (A.1). */
export const VMCS_REVISION_ID = 0x52494e47; // "RING"
