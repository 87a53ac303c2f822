/**
 * A small protected-mode system in RAM for CPU tests: a GDT with ring-0/1/3 code and data
 * segments and a TSS, an IDT whose every vector lands on a stub that records the vector and
 * halts, and the executor to run code placed at CODE.
 *
 *   0x1000 GDT   0x2000 IDT   0x3000 vector stubs (16 bytes each)   0x4000 TSS
 *   0x10000 CODE   ring-0 stack top 0x90000, ring-1 0x88000, ring-3 0x80000
 */
import { Executor } from '../../emulator/cpu/exec';
import type { Cpu } from '../../emulator/cpu/cpu';
import { bareCpu } from './bare-cpu';
import { CS, DS, ES, FS, GS, SS, FIXED1 } from '../../emulator/cpu/constants';

export const GDT = 0x1000, IDT = 0x2000, STUBS = 0x3000, TSS = 0x4000, CODE = 0x10000;
export const LAST_VECTOR = 0x500; // the stub stores the vector here
export const SEL = { code0: 0x08, data0: 0x10, code3: 0x1b, data3: 0x23, tss: 0x28, code1: 0x31, data1: 0x39, conf0: 0x40 } as const;
export const STACK0 = 0x90000, STACK1 = 0x88000, STACK3 = 0x80000;

/** Encodes a segment descriptor. `access` is byte 5 (P DPL S type); `flags` the high nibble of byte 6. */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  return [lo | 0, hi | 0];
}

export function writeDescriptor(cpu: Cpu, table: number, sel: number, d: [number, number]): void {
  const a = table + (sel & ~7);
  cpu.ram32[a >> 2] = d[0];
  cpu.ram32[(a >> 2) + 1] = d[1];
}

/** An interrupt (type 0xE) or trap (0xF) gate. */
export function gate(sel: number, offset: number, type: number, dpl: number): [number, number] {
  return [((sel & 0xffff) << 16) | (offset & 0xffff), (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8)];
}

/**
 * Code at CODE that enters ring 3 at CODE+0x100 with ESP 0x7fff0 and IF set:
 * push 0x23; push 0x7fff0; push 0x202; push 0x1b; push CODE+0x100; iretd
 */
export const TO_RING3 = [0x6a, 0x23, 0x68, 0xf0, 0xff, 0x07, 0x00, 0x68, 0x02, 0x02, 0x00, 0x00, 0x6a, 0x1b, 0x68, 0x00, 0x01, 0x01, 0x00, 0xcf];

export interface MiniSystem {
  cpu: Cpu;
  exec: Executor;
  load(bytes: number[], at?: number): void;
  /** Runs until halt (or `max` instructions) and returns the stop reason. */
  run(max?: number): string;
  lastVector(): number;
}

export function miniSystem(): MiniSystem {
  const cpu = bareCpu();
  const exec = new Executor(cpu);
  const flat = 0xfffff;
  writeDescriptor(cpu, GDT, SEL.code0, descriptor(0, flat, 0x9a, 0xc));
  writeDescriptor(cpu, GDT, SEL.data0, descriptor(0, flat, 0x92, 0xc));
  writeDescriptor(cpu, GDT, SEL.code3, descriptor(0, flat, 0xfa, 0xc));
  writeDescriptor(cpu, GDT, SEL.data3, descriptor(0, flat, 0xf2, 0xc));
  writeDescriptor(cpu, GDT, SEL.tss, descriptor(TSS, 0x67, 0x89, 0));
  writeDescriptor(cpu, GDT, SEL.code1, descriptor(0, flat, 0xba, 0xc));
  writeDescriptor(cpu, GDT, SEL.data1, descriptor(0, flat, 0xb2, 0xc));
  writeDescriptor(cpu, GDT, SEL.conf0, descriptor(0, flat, 0x9e, 0xc));
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 0x47;
  for (let v = 0; v < 256; v++) {
    writeDescriptor(cpu, IDT, v * 8, gate(SEL.code0, STUBS + v * 16, 0xe, 3));
    // mov byte [ss:LAST_VECTOR], v ; hlt  (SS: DS may be null after an entry from ring 3)
    cpu.ram.set([0x36, 0xc6, 0x05, LAST_VECTOR & 0xff, LAST_VECTOR >> 8, 0, 0, v, 0xf4], STUBS + v * 16);
  }
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  cpu.ram32[(TSS + 4) >> 2] = STACK0;
  cpu.ram32[(TSS + 8) >> 2] = SEL.data0;
  cpu.ram32[(TSS + 12) >> 2] = STACK1;
  cpu.ram32[(TSS + 16) >> 2] = SEL.data1;
  cpu.ram[TSS + 0x66] = 0x68; // no I/O bitmap inside the limit
  cpu.trSel = SEL.tss;
  cpu.trBase = TSS;
  cpu.trLimit = 0x67;
  cpu.trAR = 0x00008b00;
  cpu.setSegCache(CS, SEL.code0, 0, 0xffffffff, 0x00cf9b00);
  for (const s of [DS, ES, FS, GS, SS]) cpu.setSegCache(s, SEL.data0, 0, 0xffffffff, 0x00cf9300);
  cpu.setFlags(FIXED1);
  cpu.regs[4] = STACK0;
  cpu.ram[LAST_VECTOR] = 0xff;
  cpu.eip = CODE;
  return {
    cpu,
    exec,
    load(bytes, at = CODE) {
      cpu.ram.set(bytes, at);
    },
    run(max = 1_000_000) {
      return exec.run(cpu.icount + max);
    },
    lastVector() {
      return cpu.ram[LAST_VECTOR] === 0xff ? -1 : cpu.ram[LAST_VECTOR];
    },
  };
}
