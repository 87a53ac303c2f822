import { describe, expect, it } from 'vitest';
import { miniSystem, descriptor, writeDescriptor, GDT, IDT, TSS, CODE, SEL, STACK0, TO_RING3, type MiniSystem } from '../../helpers/mini-system';
import { CS, SS, DS, EBX, ESP, NT, CR0_TS } from '../../../emulator/cpu/constants';
import { deliverEvent, EVENT_EXTERNAL } from '../../../emulator/cpu/interrupts';
import type { CpuObserver } from '../../../emulator/cpu/observer';

/**
 * Task switches against the SDM (vol. 3A chapter 7 and the pseudo-code of JMP, CALL, INT n and
 * IRET): what is saved and loaded, the busy bits, NT and the back link, and the error code of
 * every fault, before and after the commit point.
 */
const TSS_B = 0x48, GATE_B = 0x50, TSS_SHORT = 0x58, TSS_C = 0x60, DATA0_DPL0 = SEL.data0;
const TSS_B_BASE = 0x5000, TSS_C_BASE = 0x5100;
const B_EIP = CODE + 0x800, STACK_B = 0x70000;

/** A 32-bit TSS image at `base`: EIP, ESP, flat ring-0 segments, EFLAGS 2, EBX = `ebx`. */
function writeTss(sys: MiniSystem, base: number, eip: number, esp: number, ebx: number): void {
  const c = sys.cpu;
  c.ram.fill(0, base, base + 0x68);
  const d = (off: number, v: number) => (c.ram32[(base + off) >> 2] = v);
  d(0x04, STACK0);
  d(0x08, SEL.data0);
  d(0x20, eip);
  d(0x24, 0x2);
  d(0x34, ebx);
  d(0x38, esp);
  for (let s = 0; s < 6; s++) d(0x48 + 4 * s, s === CS ? SEL.code0 : SEL.data0);
  d(0x64, 0x68 << 16);
}

function taskSystem(): MiniSystem {
  const sys = miniSystem();
  const c = sys.cpu;
  writeDescriptor(c, GDT, SEL.tss, descriptor(TSS, 0x67, 0x8b, 0)); // the running task: busy
  writeDescriptor(c, GDT, TSS_B, descriptor(TSS_B_BASE, 0x67, 0x89, 0));
  writeDescriptor(c, GDT, GATE_B, [TSS_B << 16, 0x8500]); // task gate, DPL 0
  writeDescriptor(c, GDT, TSS_SHORT, descriptor(TSS_C_BASE, 0x66, 0x89, 0));
  writeDescriptor(c, GDT, TSS_C, descriptor(TSS_C_BASE, 0x67, 0x89, 0));
  c.gdtrLimit = 0x67;
  writeTss(sys, TSS_B_BASE, B_EIP, STACK_B, 0xb0b0b0b0);
  writeTss(sys, TSS_C_BASE, B_EIP, STACK_B, 0xc0c0c0c0);
  sys.load([0xf4], B_EIP); // task B: hlt
  return sys;
}

const busy = (sys: MiniSystem, sel: number) => (sys.cpu.ram[GDT + sel + 5] >> 1) & 1;
const errorCode = (sys: MiniSystem) => sys.cpu.readSys32(sys.cpu.regs[ESP]) >>> 0;
const jmpFar = (sel: number) => [0xea, 0, 0, 0, 0, sel & 0xff, sel >> 8];
const callFar = (sel: number) => [0x9a, 0, 0, 0, 0, sel & 0xff, sel >> 8];
const MOV_EBX = [0xbb, 0x78, 0x56, 0x34, 0x12]; // mov ebx, 0x12345678

describe('task switches', () => {
  it('a far JMP to a TSS saves the old task, loads the new one, moves the busy bit and sets CR0.TS', () => {
    const sys = taskSystem();
    sys.load([...MOV_EBX, ...jmpFar(TSS_B)]);
    expect(sys.run()).toBe('halt');
    const c = sys.cpu;
    expect(c.trSel).toBe(TSS_B);
    expect(c.eip).toBe(B_EIP + 1);
    expect(c.regs[EBX] >>> 0).toBe(0xb0b0b0b0);
    expect(c.regs[ESP]).toBe(STACK_B);
    expect(c.readSys32(TSS + 0x20) >>> 0).toBe(CODE + 12); // the old task's EIP: after the JMP
    expect(c.readSys32(TSS + 0x34) >>> 0).toBe(0x12345678); // its EBX
    expect(c.readSys16(TSS + 0x4c)).toBe(SEL.code0); // its CS
    expect([busy(sys, SEL.tss), busy(sys, TSS_B)]).toEqual([0, 1]);
    expect(c.getFlags() & NT).toBe(0);
    expect(c.readSys16(TSS_B_BASE)).toBe(0); // JMP does not link
    expect(c.cr0 & CR0_TS).toBe(CR0_TS);
  });

  it('a far CALL to a TSS nests: back link, NT set, both tasks busy; IRET returns and clears only the new busy bit', () => {
    const sys = taskSystem();
    sys.load([...MOV_EBX, ...callFar(TSS_B), 0xf4]);
    sys.load([0xf4, 0xcf], B_EIP); // task B: hlt; iretd
    expect(sys.run()).toBe('halt');
    const c = sys.cpu;
    expect(c.readSys16(TSS_B_BASE)).toBe(SEL.tss);
    expect(c.getFlags() & NT).toBe(NT);
    expect([busy(sys, SEL.tss), busy(sys, TSS_B)]).toEqual([1, 1]);
    c.halted = false;
    c.stopReason = '';
    expect(sys.run()).toBe('halt');
    expect(c.trSel).toBe(SEL.tss);
    expect(c.eip).toBe(CODE + 13); // after the hlt that follows the CALL
    expect(c.regs[EBX] >>> 0).toBe(0x12345678);
    expect(c.getFlags() & NT).toBe(0);
    expect([busy(sys, SEL.tss), busy(sys, TSS_B)]).toEqual([1, 0]);
    expect(c.readSys32(TSS_B_BASE + 0x24) & NT).toBe(0); // IRET clears NT in the image it saves
  });

  it('a far JMP through a task gate switches to the gate\'s TSS', () => {
    const sys = taskSystem();
    sys.load(jmpFar(GATE_B));
    expect(sys.run()).toBe('halt');
    expect(sys.cpu.trSel).toBe(TSS_B);
  });

  it('an exception through a task gate pushes its error code on the new task\'s stack', () => {
    const sys = taskSystem();
    writeDescriptor(sys.cpu, IDT, 13 * 8, [TSS_B << 16, 0x8500]);
    sys.load([0x66, 0xb8, 0x7b, 0x00, 0x8e, 0xd8]); // mov ax, 0x7b; mov ds, ax: beyond the GDT limit: #GP(0x78)
    expect(sys.run()).toBe('halt');
    const c = sys.cpu;
    expect(c.trSel).toBe(TSS_B);
    expect(c.regs[ESP]).toBe(STACK_B - 4);
    expect(errorCode(sys)).toBe(0x78);
    expect(c.readSys32(TSS + 0x20) >>> 0).toBe(CODE + 4); // the faulting instruction
    expect(c.getFlags() & NT).toBe(NT);
    expect(c.readSys16(TSS_B_BASE)).toBe(SEL.tss);
  });

  it('a TSS whose limit is below 67H raises #TS(selector) before anything changes', () => {
    const sys = taskSystem();
    sys.load(jmpFar(TSS_SHORT));
    sys.run();
    expect(sys.lastVector()).toBe(10);
    expect(errorCode(sys)).toBe(TSS_SHORT);
    expect(sys.cpu.trSel).toBe(SEL.tss);
    expect(busy(sys, SEL.tss)).toBe(1);
  });

  it('an external interrupt through a task gate to a short TSS raises #TS with the EXT bit', () => {
    const sys = taskSystem();
    writeDescriptor(sys.cpu, IDT, 0x30 * 8, [TSS_SHORT << 16, 0x8500]);
    deliverEvent(sys.cpu, 0x30, -1, EVENT_EXTERNAL, CODE);
    sys.run();
    expect(sys.lastVector()).toBe(10);
    expect(errorCode(sys)).toBe(TSS_SHORT | 1);
  });

  it('JMP and CALL to a busy TSS raise #GP(selector)', () => {
    for (const insn of [jmpFar(SEL.tss), callFar(SEL.tss)]) {
      const sys = taskSystem();
      sys.load(insn);
      sys.run();
      expect(sys.lastVector()).toBe(13);
      expect(errorCode(sys)).toBe(SEL.tss);
    }
  });

  it('a TSS whose DPL is below the CPL raises #GP(selector) (JMP from ring 3)', () => {
    const sys = taskSystem();
    sys.load(TO_RING3);
    sys.load(jmpFar(TSS_B | 3), CODE + 0x100);
    sys.run();
    expect(sys.lastVector()).toBe(13);
    expect(errorCode(sys)).toBe(TSS_B);
  });

  it('a task gate naming an LDT selector raises #GP(TSS selector); a gate not present raises #NP(gate)', () => {
    let sys = taskSystem();
    writeDescriptor(sys.cpu, GDT, GATE_B, [(TSS_B | 4) << 16, 0x8500]);
    sys.load(jmpFar(GATE_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([13, TSS_B | 4]);
    sys = taskSystem();
    writeDescriptor(sys.cpu, GDT, GATE_B, [TSS_B << 16, 0x0500]);
    sys.load(jmpFar(GATE_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([11, GATE_B]);
  });

  it('a TSS not present raises #NP(selector)', () => {
    const sys = taskSystem();
    writeDescriptor(sys.cpu, GDT, TSS_B, descriptor(TSS_B_BASE, 0x67, 0x09, 0));
    sys.load(callFar(TSS_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([11, TSS_B]);
  });

  it('IRET with NT whose back link names an available TSS, or the LDT, raises #TS(link)', () => {
    for (const [link, code] of [[TSS_B, TSS_B], [TSS_B | 7, TSS_B | 4]]) {
      const sys = taskSystem();
      sys.cpu.ram[TSS] = link & 0xff;
      sys.cpu.setFlags(sys.cpu.getFlags() | NT);
      sys.load([0xcf]);
      sys.run();
      expect([sys.lastVector(), errorCode(sys)]).toEqual([10, code]);
    }
  });

  it('a fault after the commit point is delivered in the new task: SS not present raises #SS(ss) at the new EIP', () => {
    const sys = taskSystem();
    writeDescriptor(sys.cpu, GDT, 0x68, descriptor(0, 0xfffff, 0x12, 0xc)); // data, not present
    sys.cpu.gdtrLimit = 0x6f;
    sys.cpu.ram32[(TSS_B_BASE + 0x50) >> 2] = 0x68;
    sys.load(jmpFar(TSS_B));
    sys.run();
    expect(sys.lastVector()).toBe(12);
    expect(sys.cpu.trSel).toBe(TSS_B);
    // The frame on the stack: error code, then the new task's EIP.
    expect(errorCode(sys)).toBe(0x68);
    expect(sys.cpu.readSys32(sys.cpu.regs[ESP] + 4) >>> 0).toBe(B_EIP);
  });

  it('the new task\'s checks follow table 7-2: a null CS raises #TS(0), a DS of DPL 0 for CPL 3 raises #TS(ds)', () => {
    let sys = taskSystem();
    sys.cpu.ram32[(TSS_B_BASE + 0x4c) >> 2] = 0;
    sys.load(jmpFar(TSS_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([10, 0]);
    sys = taskSystem();
    const d = (off: number, v: number) => (sys.cpu.ram32[(TSS_B_BASE + off) >> 2] = v);
    d(0x4c, SEL.code3);
    d(0x50, SEL.data3);
    d(0x54, DATA0_DPL0);
    sys.load(jmpFar(TSS_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([10, DATA0_DPL0]);
    expect(sys.cpu.segSel[SS]).toBe(SEL.data0); // the fault was delivered at ring 0 from the new task's ring 3
  });

  it('a 16-bit TSS raises #TS(selector) (not modelled)', () => {
    const sys = taskSystem();
    writeDescriptor(sys.cpu, GDT, TSS_B, descriptor(TSS_B_BASE, 0x67, 0x81, 0));
    sys.load(jmpFar(TSS_B));
    sys.run();
    expect([sys.lastVector(), errorCode(sys)]).toEqual([10, TSS_B]);
  });

  it('the T bit of the new TSS raises #DB with DR6.BT before the new task\'s first instruction', () => {
    const sys = taskSystem();
    sys.cpu.ram[TSS_B_BASE + 0x64] = 1;
    sys.load(jmpFar(TSS_B));
    sys.run();
    expect(sys.lastVector()).toBe(1);
    expect(sys.cpu.dr[6] & 0x8000).toBe(0x8000);
    expect(sys.cpu.readSys32(sys.cpu.regs[ESP]) >>> 0).toBe(B_EIP); // the #DB frame's EIP: B's first instruction
    expect(sys.cpu.trSel).toBe(TSS_B);
  });

  it('tells the observer: the old and new TSS selectors and the cause', () => {
    const sys = taskSystem();
    const seen: unknown[][] = [];
    sys.cpu.observer = new Proxy({} as CpuObserver, {
      get: (_t, name) => (...args: unknown[]) => {
        if (name === 'taskSwitch') seen.push(args);
      },
    });
    sys.load(callFar(GATE_B));
    sys.run();
    expect(seen).toEqual([[SEL.tss, TSS_B, 'call', -1]]);
    expect(sys.cpu.segSel[DS]).toBe(SEL.data0);
  });
});
