/**
 * Basic exit reasons (SDM vol. 3D appendix C, "VMX Basic Exit Reasons") and VM-instruction
 * error numbers (SDM vol. 3C 30.4, table 30-1), numbered and named as the SDM lists them.
 */
export const EXIT_EXCEPTION_OR_NMI = 0;
export const EXIT_EXTERNAL_INTERRUPT = 1;
export const EXIT_TRIPLE_FAULT = 2;
export const EXIT_INIT = 3;
export const EXIT_SIPI = 4;
export const EXIT_IO_SMI = 5;
export const EXIT_OTHER_SMI = 6;
export const EXIT_INTERRUPT_WINDOW = 7;
export const EXIT_NMI_WINDOW = 8;
export const EXIT_TASK_SWITCH = 9;
export const EXIT_CPUID = 10;
export const EXIT_GETSEC = 11;
export const EXIT_HLT = 12;
export const EXIT_INVD = 13;
export const EXIT_INVLPG = 14;
export const EXIT_RDPMC = 15;
export const EXIT_RDTSC = 16;
export const EXIT_RSM = 17;
export const EXIT_VMCALL = 18;
export const EXIT_VMCLEAR = 19;
export const EXIT_VMLAUNCH = 20;
export const EXIT_VMPTRLD = 21;
export const EXIT_VMPTRST = 22;
export const EXIT_VMREAD = 23;
export const EXIT_VMRESUME = 24;
export const EXIT_VMWRITE = 25;
export const EXIT_VMXOFF = 26;
export const EXIT_VMXON = 27;
export const EXIT_CR_ACCESS = 28;
export const EXIT_MOV_DR = 29;
export const EXIT_IO_INSTRUCTION = 30;
export const EXIT_RDMSR = 31;
export const EXIT_WRMSR = 32;
export const EXIT_INVALID_GUEST_STATE = 33;
export const EXIT_MSR_LOADING = 34;
export const EXIT_MWAIT = 36;
export const EXIT_MONITOR_TRAP_FLAG = 37;
export const EXIT_MONITOR = 39;
export const EXIT_PAUSE = 40;
export const EXIT_MACHINE_CHECK = 41;
export const EXIT_TPR_BELOW_THRESHOLD = 43;
export const EXIT_APIC_ACCESS = 44;
export const EXIT_VIRTUALIZED_EOI = 45;
export const EXIT_GDTR_IDTR_ACCESS = 46;
export const EXIT_LDTR_TR_ACCESS = 47;
export const EXIT_EPT_VIOLATION = 48;
export const EXIT_EPT_MISCONFIG = 49;
export const EXIT_INVEPT = 50;
export const EXIT_RDTSCP = 51;
export const EXIT_PREEMPTION_TIMER = 52;
export const EXIT_INVVPID = 53;
export const EXIT_WBINVD = 54;
export const EXIT_XSETBV = 55;
export const EXIT_APIC_WRITE = 56;

/** The SDM's name of each basic exit reason (appendix C). */
export const EXIT_REASON_NAMES: Readonly<Record<number, string>> = {
  0: 'exception or non-maskable interrupt (NMI)',
  1: 'external interrupt',
  2: 'triple fault',
  3: 'INIT signal',
  4: 'start-up IPI (SIPI)',
  5: 'I/O system-management interrupt (SMI)',
  6: 'other SMI',
  7: 'interrupt window',
  8: 'NMI window',
  9: 'task switch',
  10: 'CPUID',
  11: 'GETSEC',
  12: 'HLT',
  13: 'INVD',
  14: 'INVLPG',
  15: 'RDPMC',
  16: 'RDTSC',
  17: 'RSM',
  18: 'VMCALL',
  19: 'VMCLEAR',
  20: 'VMLAUNCH',
  21: 'VMPTRLD',
  22: 'VMPTRST',
  23: 'VMREAD',
  24: 'VMRESUME',
  25: 'VMWRITE',
  26: 'VMXOFF',
  27: 'VMXON',
  28: 'control-register accesses',
  29: 'MOV DR',
  30: 'I/O instruction',
  31: 'RDMSR',
  32: 'WRMSR',
  33: 'VM-entry failure due to invalid guest state',
  34: 'VM-entry failure due to MSR loading',
  36: 'MWAIT',
  37: 'monitor trap flag',
  39: 'MONITOR',
  40: 'PAUSE',
  41: 'VM-entry failure due to machine-check event',
  43: 'TPR below threshold',
  44: 'APIC access',
  45: 'virtualized EOI',
  46: 'access to GDTR or IDTR',
  47: 'access to LDTR or TR',
  48: 'EPT violation',
  49: 'EPT misconfiguration',
  50: 'INVEPT',
  51: 'RDTSCP',
  52: 'VMX-preemption timer expired',
  53: 'INVVPID',
  54: 'WBINVD',
  55: 'XSETBV',
  56: 'APIC write',
};

/** Bit 31 of the exit-reason field: the exit is a VM-entry failure (SDM 24.9.1). */
export const EXIT_REASON_ENTRY_FAILURE = 0x80000000;

export function exitReasonName(basic: number): string {
  return EXIT_REASON_NAMES[basic] ?? `exit reason ${basic}`;
}

// --- VM-instruction error numbers (SDM 30.4) ------------------------------------------------------
export const VMXERR_VMCALL_IN_ROOT = 1;
export const VMXERR_VMCLEAR_INVALID_ADDRESS = 2;
export const VMXERR_VMCLEAR_VMXON_POINTER = 3;
export const VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4;
export const VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5;
export const VMXERR_VMRESUME_AFTER_VMXOFF = 6;
export const VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7;
export const VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8;
export const VMXERR_VMPTRLD_INVALID_ADDRESS = 9;
export const VMXERR_VMPTRLD_VMXON_POINTER = 10;
export const VMXERR_VMPTRLD_INCORRECT_REVISION = 11;
export const VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12;
export const VMXERR_VMWRITE_READ_ONLY_COMPONENT = 13;
export const VMXERR_VMXON_IN_ROOT = 15;
export const VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26;

export const VM_INSTRUCTION_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'VMCALL executed in VMX root operation',
  2: 'VMCLEAR with invalid physical address',
  3: 'VMCLEAR with VMXON pointer',
  4: 'VMLAUNCH with non-clear VMCS',
  5: 'VMRESUME with non-launched VMCS',
  6: 'VMRESUME after VMXOFF',
  7: 'VM entry with invalid control field(s)',
  8: 'VM entry with invalid host-state field(s)',
  9: 'VMPTRLD with invalid physical address',
  10: 'VMPTRLD with VMXON pointer',
  11: 'VMPTRLD with incorrect VMCS revision identifier',
  12: 'VMREAD/VMWRITE from/to unsupported VMCS component',
  13: 'VMWRITE to read-only VMCS component',
  15: 'VMXON executed in VMX root operation',
  26: 'VM entry with events blocked by MOV SS',
};
