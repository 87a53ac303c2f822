/**
 * Exit qualifications and VM-exit instruction information in the SDM's bit layouts (vol. 3C
 * 27.2.1, tables 27-3 to 27-7; 27.2.5, tables 27-10 and 27-11), built and taken apart. One
 * place for the layouts: the processor side builds them, the VMM and the tests read them.
 */

// --- Table 27-3: control-register accesses ----------------------------------------------------
export const CR_ACCESS_MOV_TO_CR = 0;
export const CR_ACCESS_MOV_FROM_CR = 1;
export const CR_ACCESS_CLTS = 2;
export const CR_ACCESS_LMSW = 3;
/** bits 3:0 CR number, 5:4 access type, 6 LMSW operand type, 11:8 GPR, 31:16 LMSW source data. */
export function crAccessQualification(cr: number, type: number, gpr: number, lmswMemory = false, lmswData = 0): number {
  return ((cr & 0xf) | (type << 4) | (lmswMemory ? 1 << 6 : 0) | ((gpr & 0xf) << 8) | ((lmswData & 0xffff) << 16)) >>> 0;
}
export function decodeCrAccess(q: number): { cr: number; type: number; gpr: number } {
  return { cr: q & 0xf, type: (q >>> 4) & 3, gpr: (q >>> 8) & 0xf };
}

// --- Table 27-4: MOV DR -------------------------------------------------------------------------
/** bits 2:0 DR number, 4 direction (0 MOV to DR, 1 MOV from DR), 11:8 GPR. */
export function movDrQualification(dr: number, fromDr: boolean, gpr: number): number {
  return (dr & 7) | (fromDr ? 1 << 4 : 0) | ((gpr & 0xf) << 8);
}

// --- Table 27-5: I/O instructions ---------------------------------------------------------------
/** bits 2:0 size - 1, 3 direction (1 IN), 4 string, 5 REP, 6 operand encoding (1 immediate), 31:16 port. */
export function ioQualification(size: number, input: boolean, string: boolean, rep: boolean, immediate: boolean, port: number): number {
  return ((size - 1) | (input ? 8 : 0) | (string ? 16 : 0) | (rep ? 32 : 0) | (immediate ? 64 : 0) | ((port & 0xffff) << 16)) >>> 0;
}
export function decodeIo(q: number): { size: number; input: boolean; string: boolean; rep: boolean; immediate: boolean; port: number } {
  return { size: (q & 7) + 1, input: (q & 8) !== 0, string: (q & 16) !== 0, rep: (q & 32) !== 0, immediate: (q & 64) !== 0, port: q >>> 16 };
}

// --- Table 27-6: APIC-access ----------------------------------------------------------------------
export const APIC_ACCESS_LINEAR_READ = 0;
export const APIC_ACCESS_LINEAR_WRITE = 1;
export const APIC_ACCESS_LINEAR_FETCH = 2;
export const APIC_ACCESS_EVENT_DELIVERY = 3;
/** bits 11:0 offset in the APIC page, 15:12 access type. */
export function apicAccessQualification(offset: number, type: number): number {
  return (offset & 0xfff) | (type << 12);
}

// --- Table 27-7: EPT violations -------------------------------------------------------------------
export const EPT_READ = 1; // bit 0: the access was a data read
export const EPT_WRITE = 2; // bit 1: a data write
export const EPT_FETCH = 4; // bit 2: an instruction fetch
export const EPT_READABLE = 8; // bit 3: the guest-physical address was readable (AND of the entries' bit 0)
export const EPT_WRITABLE = 16; // bit 4: writable
export const EPT_EXECUTABLE = 32; // bit 5: executable
export const EPT_LINEAR_VALID = 128; // bit 7: the guest-linear address field is valid
export const EPT_LINEAR_TRANSLATION = 256; // bit 8: the access was to the translated address (not a paging-structure entry)

// --- Tables 27-10 and 27-11: instruction information for descriptor-table exits ---------------------
export const DT_SGDT = 0, DT_SIDT = 1, DT_LGDT = 2, DT_LIDT = 3;
export const DT_SLDT = 0, DT_STR = 1, DT_LLDT = 2, DT_LTR = 3;
/**
 * bits 1:0 scaling, 6:3 reg1 (LDTR/TR register operand), 9:7 address size (0 16-bit, 1 32-bit),
 * 10 memory/register (1 register; LDTR/TR only), 11 operand size (GDTR/IDTR: 0 16-bit, 1 32-bit),
 * 17:15 segment, 21:18 index, 22 index invalid, 26:23 base, 27 base invalid, 29:28 identity.
 */
export function descriptorTableInfo(o: {
  scale: number; as32: boolean; os32: boolean; seg: number; index: number; base: number; identity: number; register?: number;
}): number {
  let v = (o.scale & 3) | ((o.as32 ? 1 : 0) << 7) | ((o.os32 ? 1 : 0) << 11) | ((o.seg & 7) << 15) | ((o.identity & 3) << 28);
  if (o.register !== undefined) v |= ((o.register & 0xf) << 3) | (1 << 10);
  v |= o.index < 0 ? 1 << 22 : (o.index & 0xf) << 18;
  v |= o.base < 0 ? 1 << 27 : (o.base & 0xf) << 23;
  return v >>> 0;
}

/** INS/OUTS instruction information (27.2.5, table 27-8): address size at 9:7, segment at 17:15. */
export function stringIoInfo(as32: boolean, seg: number): number {
  return ((as32 ? 1 : 0) << 7) | ((seg & 7) << 15);
}
