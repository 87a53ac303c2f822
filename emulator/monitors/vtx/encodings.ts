/**
 * VMCS field encodings, numbered and grouped as in the Intel SDM vol. 3D, appendix B ("Field
 * Encoding in VMCS"). An encoding is a 32-bit value (SDM vol. 3C 24.11.2, table 24-21):
 *
 *   bit 0       access type (0 full, 1 high: the upper 32 bits of a 64-bit field)
 *   bits 9:1    index
 *   bits 11:10  type (0 control, 1 VM-exit information, 2 guest state, 3 host state)
 *   bits 14:13  width (0 16-bit, 1 64-bit, 2 32-bit, 3 natural width)
 *   bits 12, 15 and 31:16 are reserved (0)
 *
 * Only the fields this model keeps are listed; VMREAD/VMWRITE of any other encoding fails with
 * VM-instruction error 12 (unsupported VMCS component).
 */
import * as self from './encodings';

// --- B.1.1 16-bit control fields ----------------------------------------------------------------
export const VPID = 0x0000;

// --- B.1.2 16-bit guest-state fields ------------------------------------------------------------
export const GUEST_ES_SELECTOR = 0x0800;
export const GUEST_CS_SELECTOR = 0x0802;
export const GUEST_SS_SELECTOR = 0x0804;
export const GUEST_DS_SELECTOR = 0x0806;
export const GUEST_FS_SELECTOR = 0x0808;
export const GUEST_GS_SELECTOR = 0x080a;
export const GUEST_LDTR_SELECTOR = 0x080c;
export const GUEST_TR_SELECTOR = 0x080e;

// --- B.1.3 16-bit host-state fields -------------------------------------------------------------
export const HOST_ES_SELECTOR = 0x0c00;
export const HOST_CS_SELECTOR = 0x0c02;
export const HOST_SS_SELECTOR = 0x0c04;
export const HOST_DS_SELECTOR = 0x0c06;
export const HOST_FS_SELECTOR = 0x0c08;
export const HOST_GS_SELECTOR = 0x0c0a;
export const HOST_TR_SELECTOR = 0x0c0c;

// --- B.2.1 64-bit control fields ----------------------------------------------------------------
export const IO_BITMAP_A = 0x2000;
export const IO_BITMAP_B = 0x2002;
export const MSR_BITMAPS = 0x2004;
export const VM_EXIT_MSR_STORE_ADDR = 0x2006;
export const VM_EXIT_MSR_LOAD_ADDR = 0x2008;
export const VM_ENTRY_MSR_LOAD_ADDR = 0x200a;
export const TSC_OFFSET = 0x2010;
export const VIRTUAL_APIC_PAGE_ADDR = 0x2012;
export const APIC_ACCESS_ADDR = 0x2014;
export const EPT_POINTER = 0x201a;

// --- B.2.2 64-bit read-only data field ----------------------------------------------------------
export const GUEST_PHYSICAL_ADDRESS = 0x2400;

// --- B.2.3 64-bit guest-state fields ------------------------------------------------------------
export const VMCS_LINK_POINTER = 0x2800;
export const GUEST_IA32_DEBUGCTL = 0x2802;

// --- B.3.1 32-bit control fields ----------------------------------------------------------------
export const PIN_BASED_VM_EXEC_CONTROL = 0x4000;
export const CPU_BASED_VM_EXEC_CONTROL = 0x4002;
export const EXCEPTION_BITMAP = 0x4004;
export const PAGE_FAULT_ERROR_CODE_MASK = 0x4006;
export const PAGE_FAULT_ERROR_CODE_MATCH = 0x4008;
export const CR3_TARGET_COUNT = 0x400a;
export const VM_EXIT_CONTROLS = 0x400c;
export const VM_EXIT_MSR_STORE_COUNT = 0x400e;
export const VM_EXIT_MSR_LOAD_COUNT = 0x4010;
export const VM_ENTRY_CONTROLS = 0x4012;
export const VM_ENTRY_MSR_LOAD_COUNT = 0x4014;
export const VM_ENTRY_INTR_INFO = 0x4016;
export const VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018;
export const VM_ENTRY_INSTRUCTION_LEN = 0x401a;
export const TPR_THRESHOLD = 0x401c;
export const SECONDARY_VM_EXEC_CONTROL = 0x401e;

// --- B.3.2 32-bit read-only data fields ---------------------------------------------------------
export const VM_INSTRUCTION_ERROR = 0x4400;
export const VM_EXIT_REASON = 0x4402;
export const VM_EXIT_INTR_INFO = 0x4404;
export const VM_EXIT_INTR_ERROR_CODE = 0x4406;
export const IDT_VECTORING_INFO = 0x4408;
export const IDT_VECTORING_ERROR_CODE = 0x440a;
export const VM_EXIT_INSTRUCTION_LEN = 0x440c;
export const VMX_INSTRUCTION_INFO = 0x440e;

// --- B.3.3 32-bit guest-state fields ------------------------------------------------------------
export const GUEST_ES_LIMIT = 0x4800;
export const GUEST_CS_LIMIT = 0x4802;
export const GUEST_SS_LIMIT = 0x4804;
export const GUEST_DS_LIMIT = 0x4806;
export const GUEST_FS_LIMIT = 0x4808;
export const GUEST_GS_LIMIT = 0x480a;
export const GUEST_LDTR_LIMIT = 0x480c;
export const GUEST_TR_LIMIT = 0x480e;
export const GUEST_GDTR_LIMIT = 0x4810;
export const GUEST_IDTR_LIMIT = 0x4812;
export const GUEST_ES_AR_BYTES = 0x4814;
export const GUEST_CS_AR_BYTES = 0x4816;
export const GUEST_SS_AR_BYTES = 0x4818;
export const GUEST_DS_AR_BYTES = 0x481a;
export const GUEST_FS_AR_BYTES = 0x481c;
export const GUEST_GS_AR_BYTES = 0x481e;
export const GUEST_LDTR_AR_BYTES = 0x4820;
export const GUEST_TR_AR_BYTES = 0x4822;
export const GUEST_INTERRUPTIBILITY_INFO = 0x4824;
export const GUEST_ACTIVITY_STATE = 0x4826;
export const GUEST_SMBASE = 0x4828;
export const GUEST_SYSENTER_CS = 0x482a;

// --- B.3.4 32-bit host-state field --------------------------------------------------------------
export const HOST_IA32_SYSENTER_CS = 0x4c00;

// --- B.4.1 natural-width control fields ---------------------------------------------------------
export const CR0_GUEST_HOST_MASK = 0x6000;
export const CR4_GUEST_HOST_MASK = 0x6002;
export const CR0_READ_SHADOW = 0x6004;
export const CR4_READ_SHADOW = 0x6006;
export const CR3_TARGET_VALUE0 = 0x6008;
export const CR3_TARGET_VALUE1 = 0x600a;
export const CR3_TARGET_VALUE2 = 0x600c;
export const CR3_TARGET_VALUE3 = 0x600e;

// --- B.4.2 natural-width read-only data fields --------------------------------------------------
export const EXIT_QUALIFICATION = 0x6400;
export const IO_RCX = 0x6402;
export const IO_RSI = 0x6404;
export const IO_RDI = 0x6406;
export const IO_RIP = 0x6408;
export const GUEST_LINEAR_ADDRESS = 0x640a;

// --- B.4.3 natural-width guest-state fields -----------------------------------------------------
export const GUEST_CR0 = 0x6800;
export const GUEST_CR3 = 0x6802;
export const GUEST_CR4 = 0x6804;
export const GUEST_ES_BASE = 0x6806;
export const GUEST_CS_BASE = 0x6808;
export const GUEST_SS_BASE = 0x680a;
export const GUEST_DS_BASE = 0x680c;
export const GUEST_FS_BASE = 0x680e;
export const GUEST_GS_BASE = 0x6810;
export const GUEST_LDTR_BASE = 0x6812;
export const GUEST_TR_BASE = 0x6814;
export const GUEST_GDTR_BASE = 0x6816;
export const GUEST_IDTR_BASE = 0x6818;
export const GUEST_DR7 = 0x681a;
export const GUEST_RSP = 0x681c;
export const GUEST_RIP = 0x681e;
export const GUEST_RFLAGS = 0x6820;
export const GUEST_PENDING_DBG_EXCEPTIONS = 0x6822;
export const GUEST_SYSENTER_ESP = 0x6824;
export const GUEST_SYSENTER_EIP = 0x6826;

// --- B.4.4 natural-width host-state fields ------------------------------------------------------
export const HOST_CR0 = 0x6c00;
export const HOST_CR3 = 0x6c02;
export const HOST_CR4 = 0x6c04;
export const HOST_FS_BASE = 0x6c06;
export const HOST_GS_BASE = 0x6c08;
export const HOST_TR_BASE = 0x6c0a;
export const HOST_GDTR_BASE = 0x6c0c;
export const HOST_IDTR_BASE = 0x6c0e;
export const HOST_IA32_SYSENTER_ESP = 0x6c10;
export const HOST_IA32_SYSENTER_EIP = 0x6c12;
export const HOST_RSP = 0x6c14;
export const HOST_RIP = 0x6c16;

/** Guest segment fields by the CPU's segment number (ES, CS, SS, DS, FS, GS: the SDM's order too). */
export const GUEST_SEG_SELECTOR = [GUEST_ES_SELECTOR, GUEST_CS_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR] as const;
export const GUEST_SEG_BASE = [GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE, GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE] as const;
export const GUEST_SEG_LIMIT = [GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT, GUEST_FS_LIMIT, GUEST_GS_LIMIT] as const;
export const GUEST_SEG_AR = [GUEST_ES_AR_BYTES, GUEST_CS_AR_BYTES, GUEST_SS_AR_BYTES, GUEST_DS_AR_BYTES, GUEST_FS_AR_BYTES, GUEST_GS_AR_BYTES] as const;
export const HOST_SEG_SELECTOR = [HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR, HOST_FS_SELECTOR, HOST_GS_SELECTOR] as const;

// --- Decoding an encoding (SDM 24.11.2) ----------------------------------------------------------
export const WIDTH_16 = 0, WIDTH_64 = 1, WIDTH_32 = 2, WIDTH_NATURAL = 3;
export const TYPE_CONTROL = 0, TYPE_EXIT_INFO = 1, TYPE_GUEST = 2, TYPE_HOST = 3;
export const WIDTH_NAMES = ['16-bit', '64-bit', '32-bit', 'natural-width'] as const;
export const TYPE_NAMES = ['control', 'vm-exit information', 'guest state', 'host state'] as const;

export interface DecodedEncoding {
  high: boolean; // access type: the high 32 bits of a 64-bit field
  index: number; // bits 9:1
  type: number; // TYPE_*
  width: number; // WIDTH_*
}

/** Splits an encoding into its parts; null when a reserved bit is set. */
export function decodeEncoding(enc: number): DecodedEncoding | null {
  if ((enc & 0xffff9000) !== 0) return null;
  return { high: (enc & 1) !== 0, index: (enc >>> 1) & 0x1ff, type: (enc >>> 10) & 3, width: (enc >>> 13) & 3 };
}

/** Builds an encoding from its parts (the inverse of decodeEncoding). */
export function makeEncoding(width: number, type: number, index: number, high = false): number {
  return (width << 13) | (type << 10) | (index << 1) | (high ? 1 : 0);
}

/** Every field this model keeps, by encoding, with its SDM name in lower case (VMREAD/VMWRITE, snapshots, `at`). */
export function fieldNames(): ReadonlyMap<number, string> {
  if (names === null) {
    names = new Map();
    for (const [k, v] of Object.entries(self)) {
      if (typeof v === 'number' && /^[A-Z0-9_]+$/.test(k) && !/^(WIDTH|TYPE)_/.test(k)) names.set(v, k.toLowerCase());
    }
  }
  return names;
}
let names: Map<number, string> | null = null;
