/**
 * Processor identification, time stamps and model-specific registers: CPUID, RDTSC, RDTSCP,
 * RDPID, RDPMC, RDMSR, WRMSR.
 *
 * CPUID describes one coherent processor: a family 6, model 0x7E (Ice Lake client) part, the
 * first Intel family with every control ringside implements (SMEP, SMAP, UMIP, RDPID, RDTSCP),
 * its local APIC on the system bus. It reports exactly the features ringside implements:
 *   leaf 1 EDX: DE PSE TSC MSR MCE CX8 APIC SEP PGE CMOV PAT (APIC follows IA32_APIC_BASE bit 11);
 *   leaf 1 ECX: nothing (no SSE3 and later; VMX is clear: guests cannot execute VMX instructions);
 *   leaf 7 EBX: TSC_ADJUST SMEP SMAP; leaf 7 ECX: UMIP RDPID;
 *   leaf 0x80000001 EDX: RDTSCP.
 * No FPU, no SSE, no PAE, no MTRRs, no x2APIC, no performance counters (leaf 0xA is all zero, so
 * RDPMC raises #GP(0) for every counter), no machine-check architecture (MCE only: vector 18
 * and CR4.MCE exist; no machine check ever happens).
 *
 * The TSC counts `tscPerInstruction` ticks per retired instruction (1 unless the run says
 * otherwise): deterministic, and the same in a replay, which reads the rate from the trace.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import type { Intercept } from '../opcodes';
import {
  EAX, EBX, ECX, EDX, CR4_TSD, CR4_PCE, UD_VECTOR, MSR_TSC, MSR_APIC_BASE, MSR_SYSENTER_CS, MSR_SYSENTER_ESP,
  MSR_SYSENTER_EIP, MSR_MISC_ENABLE, MSR_EFER, MSR_TSC_ADJUST, MSR_PAT, MSR_TSC_AUX,
} from '../constants';
import { setReg } from './operands';

/** CPUID.1:EAX: family 6, extended model 7, model 0xE (0x7E, Ice Lake client), stepping 5. */
export const CPUID_SIGNATURE = 0x000706e5;
/**
 * CPUID.1:EDX feature bits at reset: DE(2) PSE(3) TSC(4) MSR(5) MCE(7) CX8(8) APIC(9) SEP(11)
 * PGE(13) CMOV(15) PAT(16). APIC reads 0 while IA32_APIC_BASE bit 11 is clear (SDM 10.4.3).
 */
export const CPUID_FEATURES_EDX =
  (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 16);
const CPUID_APIC = 1 << 9;
/** CPUID.1:ECX: no feature (VMX, bit 5, is clear: guests cannot execute VMX instructions). */
export const CPUID_FEATURES_ECX = 0;
/** CPUID.(EAX=7,ECX=0):EBX: TSC_ADJUST(1) SMEP(7) SMAP(20). */
export const CPUID_7_EBX = (1 << 1) | (1 << 7) | (1 << 20);
/** CPUID.(EAX=7,ECX=0):ECX: UMIP(2) RDPID(22). */
export const CPUID_7_ECX = (1 << 2) | (1 << 22);
/** CPUID.80000001H:EDX: RDTSCP(27). */
export const CPUID_EXT_EDX = 1 << 27;
const MAX_BASIC_LEAF = 0xa;
/** The maximum basic leaf while IA32_MISC_ENABLE bit 22 (limit CPUID maxval) is set. */
const LIMITED_BASIC_LEAF = 2;
const MAX_EXT_LEAF = 0x80000004;
const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e]; // "Genu" "ineI" "ntel" as EBX, EDX, ECX
const BRAND = textWords('ringside virtual IA-32 CPU (family 6 model 7Eh)', 48);

/** IA32_MISC_ENABLE: fast strings (0), TCC (3), EIST (16), limit CPUID maxval (22), xTPR disable (23). */
const MISC_WRITABLE = (1 << 0) | (1 << 3) | (1 << 16) | (1 << 22) | (1 << 23);
/** Read-only bits: BTS unavailable (11), PEBS unavailable (12); bit 7 (performance monitoring) is 0. */
const MISC_READONLY = (1 << 11) | (1 << 12);
export const MISC_ENABLE_RESET = (1 << 0) | MISC_READONLY;
const MISC_LIMIT_CPUID = 1 << 22;
/** IA32_APIC_BASE: bits 0-7, 9 and 10 (x2APIC enable: no x2APIC) are reserved. */
const APIC_BASE_RESERVED = 0x6ff;
/** IA32_PAT at reset (both halves): PA0/PA4 WB, PA1/PA5 WT, PA2/PA6 UC-, PA3/PA7 UC. */
export const PAT_RESET = 0x00070406;

function textWords(s: string, bytes: number): Int32Array {
  const b = new Uint8Array(bytes);
  for (let k = 0; k < s.length && k < bytes - 1; k++) b[k] = s.charCodeAt(k);
  return new Int32Array(b.buffer);
}

/** Fills EAX EBX ECX EDX for a leaf (ECX in: the subleaf) (exported for tests and monitors). */
export function cpuidLeaf(cpu: Cpu, leaf: number): void {
  const r = cpu.regs;
  const sub = r[ECX] >>> 0;
  const maxBasic = (cpu.miscEnable & MISC_LIMIT_CPUID) !== 0 ? LIMITED_BASIC_LEAF : MAX_BASIC_LEAF;
  leaf >>>= 0;
  // Leaves above the maximum return the highest basic leaf's data, as Intel processors do.
  if (leaf > maxBasic && (leaf < 0x80000000 || leaf > MAX_EXT_LEAF)) leaf = maxBasic;
  r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
  switch (leaf) {
    case 0:
      r[EAX] = maxBasic;
      r[EBX] = VENDOR[0];
      r[EDX] = VENDOR[1];
      r[ECX] = VENDOR[2];
      break;
    case 1:
      r[EAX] = CPUID_SIGNATURE;
      r[EBX] = 0; // initial APIC ID 0, no CLFLUSH, one logical processor
      r[ECX] = CPUID_FEATURES_ECX;
      r[EDX] = (cpu.apic.apicBaseMsr & 0x800) !== 0 ? CPUID_FEATURES_EDX : CPUID_FEATURES_EDX & ~CPUID_APIC;
      break;
    case 7:
      if (sub === 0) {
        r[EBX] = CPUID_7_EBX; // EAX = 0: subleaf 0 is the only one
        r[ECX] = CPUID_7_ECX;
      }
      break;
    case 0x80000000:
      r[EAX] = MAX_EXT_LEAF;
      break;
    case 0x80000001:
      r[EDX] = CPUID_EXT_EDX;
      break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const base = (leaf - 0x80000002) * 4;
      r[EAX] = BRAND[base];
      r[EBX] = BRAND[base + 1];
      r[ECX] = BRAND[base + 2];
      r[EDX] = BRAND[base + 3];
      break;
    }
    default:
      break; // leaves 2-6 and 8-0xA: nothing to report (no caches described, no power management, no PMU)
  }
}

// 0F A2: CPUID
export function cpuid(cpu: Cpu, i: Insn): void {
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  cpuidLeaf(cpu, cpu.regs[EAX]);
}

/** The largest TSC rate a run may ask for, in ticks per retired instruction. */
export const TSC_PER_INSTRUCTION_MAX = 1 << 20;

/** What is wrong with a TSC rate (null: nothing): an integer from 1 to TSC_PER_INSTRUCTION_MAX. */
export function tscRateProblem(n: number): string | null {
  return Number.isInteger(n) && n >= 1 && n <= TSC_PER_INSTRUCTION_MAX ? null : `must be an integer from 1 to ${TSC_PER_INSTRUCTION_MAX}`;
}

/** The time-stamp counter: the retired-instruction count times the rate, plus the offset software wrote. */
export function readTsc(cpu: Cpu): number {
  return cpu.icount * cpu.tscPerInstruction + cpu.tscOffset;
}

/** A 64-bit value (kept as a float; negative values wrap modulo 2^64) into EDX:EAX-style halves. */
const split = { lo: 0, hi: 0 };
function splitU64(v: number): void {
  const hi = Math.floor(v / 4294967296);
  split.lo = v - hi * 4294967296;
  split.hi = hi >>> 0;
}

function tscIntoEdxEax(cpu: Cpu): void {
  splitU64(readTsc(cpu));
  cpu.regs[EAX] = split.lo;
  cpu.regs[EDX] = split.hi;
}

// 0F 31: RDTSC (#GP(0) at CPL > 0 when CR4.TSD is set)
export function rdtsc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) cpu.gp(0);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  tscIntoEdxEax(cpu);
}

// 0F 01 F9: RDTSCP (the TSC in EDX:EAX and IA32_TSC_AUX in ECX; #GP(0) at CPL > 0 with CR4.TSD)
export function rdtscp(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) cpu.gp(0);
  tscIntoEdxEax(cpu);
  cpu.regs[ECX] = cpu.tscAux;
}

// F3 0F C7 /7 (register): RDPID r32 (IA32_TSC_AUX, at any CPL); without F3 the encoding is RDSEED, not implemented
export function rdpidRd(cpu: Cpu, i: Insn): void {
  if (i.rep !== 1) cpu.raise(UD_VECTOR, -1);
  setReg(cpu, i.rm, 4, cpu.tscAux);
}

// 0F 33: RDPMC (#GP(0) at CPL > 0 without CR4.PCE; there are no counters, so every ECX is invalid: #GP(0))
export function rdpmc(cpu: Cpu): void {
  if ((cpu.cr4 & CR4_PCE) === 0 && cpu.cpl !== 0) cpu.gp(0);
  cpu.gp(0);
}

/** Whether every PAT entry of a half is a valid memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-). */
function validPat(half: number): boolean {
  for (let k = 0; k < 4; k++) {
    const t = (half >>> (8 * k)) & 0xff;
    if (t > 7 || t === 2 || t === 3) return false;
  }
  return true;
}

/** Reads an MSR as [low, high]; returns false when it does not exist. */
const msrOut = { lo: 0, hi: 0 };
export function readMsr(cpu: Cpu, index: number): boolean {
  msrOut.hi = 0;
  switch (index >>> 0) {
    case MSR_TSC:
      splitU64(readTsc(cpu));
      msrOut.lo = split.lo;
      msrOut.hi = split.hi;
      return true;
    case MSR_TSC_ADJUST:
      splitU64(cpu.tscAdjust);
      msrOut.lo = split.lo;
      msrOut.hi = split.hi;
      return true;
    case MSR_APIC_BASE: msrOut.lo = cpu.apic.apicBaseMsr; return true;
    case MSR_SYSENTER_CS: msrOut.lo = cpu.sysenterCs; return true;
    case MSR_SYSENTER_ESP: msrOut.lo = cpu.sysenterEsp; return true;
    case MSR_SYSENTER_EIP: msrOut.lo = cpu.sysenterEip; return true;
    case MSR_MISC_ENABLE: msrOut.lo = cpu.miscEnable; return true;
    case MSR_PAT:
      msrOut.lo = cpu.pat;
      msrOut.hi = cpu.patHigh;
      return true;
    case MSR_TSC_AUX: msrOut.lo = cpu.tscAux; return true;
    case MSR_EFER: msrOut.lo = 0; return true;
    default: return false;
  }
}

/** Writes an MSR; returns false when it does not exist or the value is invalid (#GP). */
export function writeMsr(cpu: Cpu, index: number, lo: number, hi: number): boolean {
  const u64 = (hi >>> 0) * 4294967296 + (lo >>> 0);
  switch (index >>> 0) {
    case MSR_TSC: {
      // SDM 17.17.3: a write of the TSC adds the same difference to IA32_TSC_ADJUST.
      const delta = u64 - readTsc(cpu);
      cpu.tscOffset += delta;
      cpu.tscAdjust += delta;
      return true;
    }
    case MSR_TSC_ADJUST: {
      const value = (hi | 0) * 4294967296 + (lo >>> 0); // signed
      cpu.tscOffset += value - cpu.tscAdjust;
      cpu.tscAdjust = value;
      return true;
    }
    case MSR_APIC_BASE:
      if (hi !== 0 || (lo & APIC_BASE_RESERVED) !== 0) return false;
      cpu.apic.apicBaseMsr = lo;
      cpu.flushTlb(true);
      return true;
    case MSR_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return true;
    case MSR_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case MSR_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case MSR_MISC_ENABLE:
      if (hi !== 0 || (lo & ~(MISC_WRITABLE | MISC_READONLY)) !== 0) return false;
      cpu.miscEnable = ((lo & MISC_WRITABLE) | MISC_READONLY) >>> 0;
      return true;
    case MSR_PAT:
      if (!validPat(lo) || !validPat(hi)) return false;
      cpu.pat = lo >>> 0;
      cpu.patHigh = hi >>> 0;
      return true;
    case MSR_TSC_AUX:
      if (hi !== 0) return false;
      cpu.tscAux = lo >>> 0;
      return true;
    case MSR_EFER: return lo === 0 && hi === 0; // no long mode, no NX: only zero is valid
    default: return false;
  }
}

// 0F 32: RDMSR
export function rdmsr(cpu: Cpu, i: Insn): void {
  if (cpu.cpl !== 0) cpu.gp(0);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const index = cpu.regs[ECX];
  if (!readMsr(cpu, index)) cpu.gp(0);
  cpu.regs[EAX] = msrOut.lo;
  cpu.regs[EDX] = msrOut.hi;
  if (cpu.observer !== null) cpu.observer.msr(false, index >>> 0, (BigInt(msrOut.hi >>> 0) << 32n) | BigInt(msrOut.lo >>> 0));
}
// 0F 30: WRMSR
export function wrmsr(cpu: Cpu, i: Insn): void {
  if (cpu.cpl !== 0) cpu.gp(0);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const index = cpu.regs[ECX];
  if (!writeMsr(cpu, index, cpu.regs[EAX], cpu.regs[EDX])) cpu.gp(0);
  if (cpu.observer !== null) cpu.observer.msr(true, index >>> 0, (BigInt(cpu.regs[EDX] >>> 0) << 32n) | BigInt(cpu.regs[EAX] >>> 0));
}
