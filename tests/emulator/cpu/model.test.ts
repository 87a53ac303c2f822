import { describe, expect, it } from 'vitest';
import { bareCpu, execOne } from '../../helpers/bare-cpu';
import { Machine } from '../../../emulator/machine';
import { guestImage } from '../../helpers/guests';
import { cpuidLeaf, readTsc, CPUID_SIGNATURE, CPUID_FEATURES_EDX } from '../../../emulator/cpu/ops/model';
import { EAX, EBX, ECX, EDX, CR4_PCE, CR4_TSD, CR4_UMIP, CR4_SMEP, CR4_SMAP, AC } from '../../../emulator/cpu/constants';
import { writeControlRegister } from '../../../emulator/cpu/ops/system';

const CPUID = [0x0f, 0xa2];
const RDMSR = [0x0f, 0x32];
const WRMSR = [0x0f, 0x30];
const RDTSC = [0x0f, 0x31];
const RDTSCP = [0x0f, 0x01, 0xf9];
const RDPID_EAX = [0xf3, 0x0f, 0xc7, 0xf8];
const RDPMC = [0x0f, 0x33];
const GP = 13, UD = 6;

function wrmsr(cpu: ReturnType<typeof bareCpu>, msr: number, lo: number, hi = 0): number {
  cpu.regs[ECX] = msr;
  cpu.regs[EAX] = lo;
  cpu.regs[EDX] = hi;
  return execOne(cpu, WRMSR);
}
function rdmsr(cpu: ReturnType<typeof bareCpu>, msr: number): [number, number] | number {
  cpu.regs[ECX] = msr;
  const v = execOne(cpu, RDMSR);
  return v >= 0 ? v : [cpu.regs[EDX] >>> 0, cpu.regs[EAX] >>> 0];
}
function cpuid(cpu: ReturnType<typeof bareCpu>, leaf: number, sub = 0): number[] {
  cpu.regs[EAX] = leaf;
  cpu.regs[ECX] = sub;
  execOne(cpu, CPUID);
  return [cpu.regs[EAX] >>> 0, cpu.regs[EBX] >>> 0, cpu.regs[ECX] >>> 0, cpu.regs[EDX] >>> 0];
}

describe('the processor model', () => {
  it('CPUID names one family 6 model 7Eh part and reports exactly the implemented features', () => {
    const cpu = bareCpu();
    expect(cpuid(cpu, 0)[0]).toBe(0xa);
    expect(cpuid(cpu, 1)[0]).toBe(CPUID_SIGNATURE);
    const [, , ecx1, edx1] = cpuid(cpu, 1);
    expect(ecx1).toBe(0); // no SSE3.., VMX (bit 5) clear
    expect(edx1).toBe(CPUID_FEATURES_EDX);
    const bits = (v: number) => Array.from({ length: 32 }, (_, k) => k).filter((k) => (v >>> k) & 1);
    expect(bits(edx1)).toEqual([2, 3, 4, 5, 7, 8, 9, 11, 13, 15, 16]); // DE PSE TSC MSR MCE CX8 APIC SEP PGE CMOV PAT
    const [eax7, ebx7, ecx7, edx7] = cpuid(cpu, 7, 0);
    expect([eax7, bits(ebx7), bits(ecx7), edx7]).toEqual([0, [1, 7, 20], [2, 22], 0]); // TSC_ADJUST SMEP SMAP; UMIP RDPID
    expect(cpuid(cpu, 7, 1)).toEqual([0, 0, 0, 0]);
    expect(bits(cpuid(cpu, 0x80000001)[3])).toEqual([27]); // RDTSCP
    expect(cpuid(cpu, 0xa)).toEqual([0, 0, 0, 0]); // no performance counters
    const brand = [0x80000002, 0x80000003, 0x80000004].flatMap((l) => cpuid(cpu, l));
    const text = Buffer.from(new Uint32Array(brand).buffer).toString('latin1').replace(/\0+$/, '');
    expect(text).toBe('ringside virtual IA-32 CPU (family 6 model 7Eh)');
  });

  it('every CR4 bit CPUID reports is accepted, and bits of unreported features raise #GP(0)', () => {
    const cpu = bareCpu();
    writeControlRegister(cpu, 4, CR4_UMIP | CR4_SMEP | CR4_SMAP | CR4_PCE | CR4_TSD);
    expect(cpu.cr4).toBe(CR4_UMIP | CR4_SMEP | CR4_SMAP | CR4_PCE | CR4_TSD);
    for (const bit of [0, 1, 5, 9, 10, 13, 16, 17, 18, 22]) {
      cpu.regs[EAX] = 1 << bit;
      expect(execOne(cpu, [0x0f, 0x22, 0xe0]), `CR4 bit ${bit}`).toBe(GP); // mov cr4, eax
    }
  });

  it('IA32_MISC_ENABLE: fast strings at reset, writable bits kept, read-only bits fixed, reserved bits #GP; bit 22 limits CPUID to leaf 2', () => {
    const cpu = bareCpu();
    expect(rdmsr(cpu, 0x1a0)).toEqual([0, 0x1801]);
    expect(wrmsr(cpu, 0x1a0, (1 << 22) | (1 << 3))).toBe(-1);
    expect(rdmsr(cpu, 0x1a0)).toEqual([0, 0x1800 | (1 << 22) | (1 << 3)]);
    expect(cpuid(cpu, 0)[0]).toBe(2);
    expect(cpuid(cpu, 7)).toEqual(cpuid(cpu, 2)); // above the limit: the highest basic leaf
    expect(wrmsr(cpu, 0x1a0, 1 << 7)).toBe(GP);
    expect(wrmsr(cpu, 0x1a0, 1, 4)).toBe(GP); // bit 34 (XD disable): no NX
  });

  it('IA32_PAT: reset value, valid types written and read back, reserved types #GP(0)', () => {
    const cpu = bareCpu();
    expect(rdmsr(cpu, 0x277)).toEqual([0x00070406, 0x00070406]);
    expect(wrmsr(cpu, 0x277, 0x06050401, 0x07000106)).toBe(-1);
    expect(rdmsr(cpu, 0x277)).toEqual([0x07000106, 0x06050401]);
    expect(wrmsr(cpu, 0x277, 0x00000002)).toBe(GP); // type 2 is reserved
    expect(wrmsr(cpu, 0x277, 0x00000800)).toBe(GP); // bits 3-7 of an entry are reserved
    expect(rdmsr(cpu, 0x277)).toEqual([0x07000106, 0x06050401]);
  });

  it('IA32_TSC_ADJUST follows writes of the TSC, and a write of it moves the TSC by the difference (SDM 17.17.3)', () => {
    const cpu = bareCpu();
    cpu.icount = 1000;
    expect(rdmsr(cpu, 0x3b)).toEqual([0, 0]);
    expect(wrmsr(cpu, 0x10, 5000)).toBe(-1);
    expect(readTsc(cpu)).toBe(5000);
    expect(rdmsr(cpu, 0x3b)).toEqual([0, 4000]);
    cpu.icount = 1100;
    expect(wrmsr(cpu, 0x3b, 0xffffff00, 0xffffffff)).toBe(-1); // -256
    expect(readTsc(cpu)).toBe(5100 - 4000 - 256);
    expect(rdmsr(cpu, 0x3b)).toEqual([0xffffffff, 0xffffff00]);
  });

  it('the TSC counts tscPerInstruction ticks per retired instruction', () => {
    const cpu = bareCpu();
    cpu.tscPerInstruction = 1000;
    cpu.icount = 3;
    execOne(cpu, RDTSC);
    expect([cpu.regs[EDX], cpu.regs[EAX]]).toEqual([0, 3000]);
    cpu.icount = 5_000_000;
    execOne(cpu, RDTSC);
    expect(cpu.regs[EDX] * 2 ** 32 + (cpu.regs[EAX] >>> 0)).toBe(5e9);
  });

  it('RDTSCP returns the TSC and IA32_TSC_AUX; RDPID returns IA32_TSC_AUX at any CPL; the high half of TSC_AUX is reserved', () => {
    const cpu = bareCpu();
    cpu.icount = 77;
    expect(wrmsr(cpu, 0xc0000103, 0xcafe)).toBe(-1);
    expect(wrmsr(cpu, 0xc0000103, 1, 1)).toBe(GP);
    expect(execOne(cpu, RDTSCP)).toBe(-1);
    expect([cpu.regs[EDX], cpu.regs[EAX], cpu.regs[ECX]]).toEqual([0, 77, 0xcafe]);
    cpu.regs[EAX] = 0;
    cpu.setCpl(3);
    expect(execOne(cpu, RDPID_EAX)).toBe(-1);
    expect(cpu.regs[EAX]).toBe(0xcafe);
    expect(execOne(cpu, [0x0f, 0xc7, 0xf8])).toBe(UD); // without F3: RDSEED, not implemented
    cpu.cr4 = CR4_TSD;
    expect(execOne(cpu, RDTSCP)).toBe(GP);
  });

  it('RDPMC raises #GP(0): at CPL > 0 without CR4.PCE, and for every counter (there are none)', () => {
    const cpu = bareCpu();
    for (const counter of [0, 1, 0x40000000]) {
      cpu.regs[ECX] = counter;
      expect(execOne(cpu, RDPMC)).toBe(GP);
      expect(cpu.excCode).toBe(0);
    }
    cpu.setCpl(3);
    expect(execOne(cpu, RDPMC)).toBe(GP);
  });

  it('STAC and CLAC set and clear EFLAGS.AC at CPL 0 and raise #UD above', () => {
    const cpu = bareCpu();
    expect(execOne(cpu, [0x0f, 0x01, 0xcb])).toBe(-1);
    expect(cpu.getFlags() & AC).toBe(AC);
    expect(execOne(cpu, [0x0f, 0x01, 0xca])).toBe(-1);
    expect(cpu.getFlags() & AC).toBe(0);
    cpu.setCpl(1);
    expect(execOne(cpu, [0x0f, 0x01, 0xcb])).toBe(UD);
    expect(execOne(cpu, [0x0f, 0x01, 0xca])).toBe(UD);
  });

  it('UMIP: SGDT SIDT SLDT STR SMSW raise #GP(0) at CPL > 0 only', () => {
    const cpu = bareCpu();
    cpu.cr4 = CR4_UMIP;
    const stores = [[0x0f, 0x01, 0x05, 0, 0x10, 0, 0], [0x0f, 0x01, 0x0d, 0, 0x10, 0, 0], [0x0f, 0x00, 0xc0], [0x0f, 0x00, 0xc8], [0x0f, 0x01, 0xe0]];
    for (const s of stores) expect(execOne(cpu, s)).toBe(-1);
    cpu.setCpl(3);
    for (const s of stores) {
      expect(execOne(cpu, s)).toBe(GP);
      expect(cpu.excCode).toBe(0);
    }
    cpu.cr4 = 0;
    for (const s of stores) expect(execOne(cpu, s)).toBe(-1);
  });

  it('IA32_APIC_BASE: reserved bits raise #GP(0); clearing bit 11 hides the APIC (CPUID.APIC = 0, its page unmapped); setting it re-enables it', () => {
    const m = new Machine(guestImage('privileged-state'));
    const cpu = m.cpu;
    cpu.setCpl(0);
    expect(wrmsr(cpu as never, 0x1b, 0xfee00d00)).toBe(GP); // x2APIC enable
    expect(wrmsr(cpu as never, 0x1b, 0xfee00901)).toBe(GP);
    expect(wrmsr(cpu as never, 0x1b, 0xfee00900, 1)).toBe(GP);
    expect(cpu.physRead32(0xfee00030) >>> 0).toBe(0x00050014); // version register
    expect(wrmsr(cpu as never, 0x1b, 0xfee00100)).toBe(-1);
    cpuidLeaf(cpu, 1);
    expect(cpu.regs[EDX] & (1 << 9)).toBe(0);
    expect(cpu.physRead32(0xfee00030) >>> 0).toBe(0xffffffff); // nothing answers there
    expect(wrmsr(cpu as never, 0x1b, 0xfee00900)).toBe(-1);
    cpuidLeaf(cpu, 1);
    expect(cpu.regs[EDX] & (1 << 9)).toBe(1 << 9);
    expect(cpu.physRead32(0xfee00030) >>> 0).toBe(0x00050014);
    expect(cpu.physRead32(0xfee000f0) >>> 0).toBe(0xff); // SVR as after reset
  });
});
