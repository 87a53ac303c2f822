/**
 * Processor identification and model-specific registers: CPUID, RDTSC, RDMSR, WRMSR.
 *
 * CPUID describes one coherent P6-family processor with exactly the features ringside
 * implements: TSC, MSR, PSE, CX8, APIC, SEP, PGE, CMOV. No FPU, no PAE, no SSE, no x2APIC,
 * no performance counters (leaf 0xA is all zero).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import type { Intercept } from '../opcodes';
import { EAX, EBX, ECX, EDX, CR4_TSD, CR4_PCE, MSR_TSC, MSR_APIC_BASE, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_MISC_ENABLE, MSR_EFER } from '../constants';

/** CPUID.1:EAX: family 6, model 8, stepping 6 (a P6-family part with SEP). */
export const CPUID_SIGNATURE = 0x00000686;
/** CPUID.1:EDX feature bits: PSE(3) TSC(4) MSR(5) CX8(8) APIC(9) SEP(11) PGE(13) CMOV(15). */
export const CPUID_FEATURES_EDX = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15);
const MAX_BASIC_LEAF = 0xa;
const MAX_EXT_LEAF = 0x80000004;
const VENDOR = [0x756e6547, 0x49656e69, 0x6c65746e]; // "Genu" "ineI" "ntel" as EBX, EDX, ECX
const BRAND = textWords('ringside virtual P6 CPU', 48);

function textWords(s: string, bytes: number): Int32Array {
  const b = new Uint8Array(bytes);
  for (let k = 0; k < s.length && k < bytes - 1; k++) b[k] = s.charCodeAt(k);
  return new Int32Array(b.buffer);
}

/** Fills EAX EBX ECX EDX for a leaf (exported for tests and monitors). */
export function cpuidLeaf(cpu: Cpu, leaf: number): void {
  const r = cpu.regs;
  leaf >>>= 0;
  // Leaves above the maximum return the highest basic leaf's data, as Intel processors do.
  if (leaf > MAX_BASIC_LEAF && (leaf < 0x80000000 || leaf > MAX_EXT_LEAF)) leaf = MAX_BASIC_LEAF;
  r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
  switch (leaf) {
    case 0:
      r[EAX] = MAX_BASIC_LEAF;
      r[EBX] = VENDOR[0];
      r[EDX] = VENDOR[1];
      r[ECX] = VENDOR[2];
      break;
    case 1:
      r[EAX] = CPUID_SIGNATURE;
      r[EBX] = 0; // APIC ID 0, no CLFLUSH, one logical processor
      r[EDX] = CPUID_FEATURES_EDX;
      break;
    case 0x80000000:
      r[EAX] = MAX_EXT_LEAF;
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
      break; // leaves 2-0xA and 0x80000001: nothing to report
  }
}

// 0F A2: CPUID
export function cpuid(cpu: Cpu, i: Insn): void {
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  cpuidLeaf(cpu, cpu.regs[EAX]);
}

/** The time-stamp counter: the retired-instruction count plus the offset software wrote. */
export function readTsc(cpu: Cpu): number {
  return cpu.icount + cpu.tscOffset;
}

// 0F 31: RDTSC (#GP(0) at CPL > 0 when CR4.TSD is set)
export function rdtsc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) cpu.gp(0);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const t = readTsc(cpu);
  cpu.regs[EAX] = t % 4294967296;
  cpu.regs[EDX] = Math.floor(t / 4294967296);
}

// 0F 33: RDPMC (#GP(0) at CPL > 0 unless CR4.PCE). This processor has no performance-monitoring
// counters (CPUID reports no architectural performance monitoring), so every ECX is an invalid
// counter: #GP(0), checked after the privilege check and after a monitor's intercept (SDM 25.1.3).
export function rdpmc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_PCE) === 0 && cpu.cpl !== 0) cpu.gp(0);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  cpu.gp(0);
}

/** Reads an MSR as [low, high]; returns false when it does not exist. */
const msrOut = { lo: 0, hi: 0 };
export function readMsr(cpu: Cpu, index: number): boolean {
  msrOut.hi = 0;
  switch (index >>> 0) {
    case MSR_TSC: {
      const t = readTsc(cpu);
      msrOut.lo = t % 4294967296;
      msrOut.hi = Math.floor(t / 4294967296);
      return true;
    }
    case MSR_APIC_BASE: msrOut.lo = cpu.apic.apicBaseMsr; return true;
    case MSR_SYSENTER_CS: msrOut.lo = cpu.sysenterCs; return true;
    case MSR_SYSENTER_ESP: msrOut.lo = cpu.sysenterEsp; return true;
    case MSR_SYSENTER_EIP: msrOut.lo = cpu.sysenterEip; return true;
    case MSR_MISC_ENABLE: msrOut.lo = 1; return true; // fast strings enabled
    case MSR_EFER: msrOut.lo = 0; return true;
    default: return false;
  }
}

/** Writes an MSR; returns false when it does not exist or the value is invalid (#GP). */
export function writeMsr(cpu: Cpu, index: number, lo: number, hi: number): boolean {
  switch (index >>> 0) {
    case MSR_TSC:
      cpu.tscOffset = (hi >>> 0) * 4294967296 + (lo >>> 0) - cpu.icount;
      return true;
    case MSR_APIC_BASE:
      if (hi !== 0) return false;
      cpu.apic.apicBaseMsr = lo;
      cpu.flushTlb(true);
      return true;
    case MSR_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return true;
    case MSR_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case MSR_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case MSR_MISC_ENABLE: return true;
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
