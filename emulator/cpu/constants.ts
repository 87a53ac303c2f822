/** Architectural constants of the IA-32 machine, named as in the Intel SDM. */

// General-purpose register indices (ModRM encoding order).
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const REG32_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;

// Segment register indices (encoding order of the Sreg field).
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
/** Pseudo segment index meaning "no segment override prefix". */
export const SEG_DEFAULT = -1;

// EFLAGS bits.
export const CF = 1 << 0;
export const FIXED1 = 1 << 1; // always reads as 1
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const ID = 1 << 21;
/** The six arithmetic status flags, the ones lazy evaluation can defer. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits software can ever see set (VIF/VIP are not implemented: CR4.PVI/VME are out of scope). */
export const FLAGS_IMPLEMENTED = ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | VM | AC | ID;

// CR0 bits.
export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_ET = 1 << 4;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 1 << 31;

// CR4 bits.
export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_MCE = 1 << 6;
export const CR4_PGE = 1 << 7;
export const CR4_PCE = 1 << 8;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;
export const CR4_UMIP = 1 << 11;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
/**
 * CR4 bits this CPU accepts; setting any other bit raises #GP(0) (PAE, VME, PVI, OSFXSR and
 * the other SSE, VMX and 64-bit controls are not implemented).
 */
export const CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_UMIP | CR4_SMEP | CR4_SMAP;

// Exception vectors.
export const DE_VECTOR = 0, DB_VECTOR = 1, NMI_VECTOR = 2, BP_VECTOR = 3, OF_VECTOR = 4, BR_VECTOR = 5;
export const UD_VECTOR = 6, NM_VECTOR = 7, DF_VECTOR = 8, TS_VECTOR = 10, NP_VECTOR = 11;
export const SS_VECTOR = 12, GP_VECTOR = 13, PF_VECTOR = 14, MF_VECTOR = 16, AC_VECTOR = 17;
export const EXCEPTION_NAMES = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO', '#TS', '#NP', '#SS', '#GP', '#PF', '#15',
  '#MF', '#AC', '#MC', '#XM', '#VE',
] as const;

// MSR numbers.
export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_ADJUST = 0x3b;
export const MSR_PAT = 0x277;
export const MSR_TSC_AUX = 0xc0000103;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_MISC_ENABLE = 0x1a0;
export const MSR_EFER = 0xc0000080;

// Page-table entry bits.
export const PTE_P = 1 << 0;
export const PTE_W = 1 << 1;
export const PTE_U = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
export const PTE_G = 1 << 8;

// Page-fault error code bits.
export const PFEC_P = 1, PFEC_W = 2, PFEC_U = 4, PFEC_RSVD = 8, PFEC_ID = 16;

// Descriptor access-rights bits, as kept in the hidden cache (the LAR layout: bits 8-23 of the high dword).
export const AR_ACCESSED = 1 << 8;
export const AR_TYPE_MASK = 0xf << 8;
export const AR_S = 1 << 12; // code/data (1) or system (0)
export const AR_DPL_SHIFT = 13;
export const AR_P = 1 << 15;
export const AR_AVL = 1 << 20;
export const AR_DB = 1 << 22;
export const AR_G = 1 << 23;

/** What Cpu.epoch advances by when block links may have become wrong (its low two bits hold the CPL). */
export const EPOCH_STEP = 4;
