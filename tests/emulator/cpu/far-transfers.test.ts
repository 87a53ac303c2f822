import { describe, expect, it } from 'vitest';
import { miniSystem, SEL, CODE, GDT, STACK0, writeDescriptor, TO_RING3 } from '../../helpers/mini-system';
import { CS, SS } from '../../../emulator/cpu/constants';


/** A mini system with a call gate at selector 0x48: to code0:CODE+0x300, DPL 3, one dword parameter. */
function withCallGate() {
  const sys = miniSystem();
  const off = CODE + 0x300;
  writeDescriptor(sys.cpu, GDT, 0x48, [(SEL.code0 << 16) | (off & 0xffff), (off & 0xffff0000) | 0xec00 | 1]);
  sys.cpu.gdtrLimit = 0x4f;
  return { sys, off };
}

describe('far transfers', () => {
  // QEMU's TCG does not set the accessed bit on a far jump; the SDM does, so ringside does.
  it('a far JMP loads CS and sets the accessed bit of its descriptor', () => {
    const sys = miniSystem();
    expect(sys.cpu.ram[GDT + SEL.conf0 + 5] & 1).toBe(0);
    sys.load([0xea, 0x00, 0x01, 0x01, 0x00, 0x40, 0x00]); // jmp 0x40:CODE+0x100
    sys.load([0xf4], CODE + 0x100);
    expect(sys.run()).toBe('halt');
    expect(sys.cpu.segSel[CS]).toBe(SEL.conf0);
    expect(sys.cpu.ram[GDT + SEL.conf0 + 5] & 1).toBe(1);
  });

  it('a CALL through a call gate from ring 3 switches to the ring-0 stack and copies the parameters', () => {
    const { sys, off } = withCallGate();
    sys.load(TO_RING3);
    sys.load([0x68, 0x34, 0x12, 0x00, 0x00, 0x9a, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00], CODE + 0x100); // push 0x1234; call 0x4b:0
    sys.load([0xf4], off);
    expect(sys.run()).toBe('halt');
    expect(sys.cpu.cpl).toBe(0);
    expect(sys.cpu.segSel[SS]).toBe(SEL.data0);
    const frame = Array.from({ length: 5 }, (_, k) => sys.cpu.readSys32(sys.cpu.regs[4] + 4 * k) >>> 0);
    expect(frame).toEqual([CODE + 0x10c, SEL.code3, 0x1234, 0x7ffec, SEL.data3]);
    expect(sys.cpu.regs[4]).toBe(STACK0 - 20);
  });

  it('RETF imm16 returns through the gate to ring 3 and releases the parameters', () => {
    const { sys, off } = withCallGate();
    sys.load(TO_RING3);
    // push 0x1234; call 0x4b:0; int 0x31
    sys.load([0x68, 0x34, 0x12, 0x00, 0x00, 0x9a, 0x00, 0x00, 0x00, 0x00, 0x4b, 0x00, 0xcd, 0x31], CODE + 0x100);
    sys.load([0xca, 0x04, 0x00], off); // retf 4
    sys.run();
    expect(sys.lastVector()).toBe(0x31);
    const frame = Array.from({ length: 5 }, (_, k) => sys.cpu.readSys32(sys.cpu.regs[4] + 4 * k) >>> 0);
    expect(frame).toEqual([CODE + 0x10e, SEL.code3, 0x202, 0x7fff0, SEL.data3]); // call gates keep IF
  });

  it('a far JMP to a non-conforming ring-0 segment from ring 3 raises #GP(selector)', () => {
    const sys = miniSystem();
    sys.load(TO_RING3);
    sys.load([0xea, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00], CODE + 0x100); // jmp 0x08:CODE
    sys.run();
    expect(sys.lastVector()).toBe(13);
    expect(sys.cpu.readSys32(sys.cpu.regs[4]) >>> 0).toBe(0x08);
  });
});
