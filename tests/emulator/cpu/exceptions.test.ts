import { describe, expect, it } from 'vitest';
import { miniSystem, SEL, CODE, STACK0, IDT, STUBS, writeDescriptor, gate, TO_RING3 } from '../../helpers/mini-system';
import { CS, SS, DS, IF } from '../../../emulator/cpu/constants';

/** Dwords at the top of the current stack. */
function stack(sys: ReturnType<typeof miniSystem>, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(sys.cpu.readSys32(sys.cpu.segBase[SS] + sys.cpu.regs[4] + 4 * k) >>> 0);
  return out;
}


describe('exceptions and interrupts through the IDT', () => {
  it('#DE is a fault: the pushed EIP is the DIV itself, with no error code', () => {
    const sys = miniSystem();
    sys.load([0x31, 0xc9, 0xf7, 0xf1]); // xor ecx,ecx; div ecx
    expect(sys.run()).toBe('halt');
    expect(sys.lastVector()).toBe(0);
    expect(stack(sys, 3)).toEqual([CODE + 2, SEL.code0, 0x46]); // ZF PF from the XOR
  });

  it('#UD for UD2 and for an unimplemented opcode', () => {
    const sys = miniSystem();
    sys.load([0x0f, 0x0b]);
    sys.run();
    expect(sys.lastVector()).toBe(6);
    const sys2 = miniSystem();
    sys2.load([0x0f, 0x37]); // GETSEC: not implemented
    sys2.run();
    expect(sys2.lastVector()).toBe(6);
  });

  it('INT n is a trap: the pushed EIP is the next instruction', () => {
    const sys = miniSystem();
    sys.load([0xcd, 0x80, 0xf4]);
    sys.run();
    expect(sys.lastVector()).toBe(0x80);
    expect(stack(sys, 3)).toEqual([CODE + 2, SEL.code0, 0x2]);
  });

  it('an interrupt from ring 3 switches to the TSS ring-0 stack and pushes SS:ESP', () => {
    const sys = miniSystem();
    sys.load(TO_RING3);
    sys.load([0xcd, 0x30], CODE + 0x100); // int 0x30 at ring 3
    sys.run();
    expect(sys.lastVector()).toBe(0x30);
    expect(sys.cpu.cpl).toBe(0);
    expect(sys.cpu.segSel[SS]).toBe(SEL.data0);
    expect(sys.cpu.regs[4]).toBe(STACK0 - 20);
    expect(stack(sys, 5)).toEqual([CODE + 0x102, SEL.code3, 0x202, 0x7fff0, SEL.data3]);
    expect(sys.cpu.getFlags() & IF).toBe(0); // interrupt gate
  });

  it('INT n through a gate whose DPL is below CPL raises #GP(vector*8+2)', () => {
    const sys = miniSystem();
    writeDescriptor(sys.cpu, IDT, 0x30 * 8, gate(SEL.code0, STUBS + 0x30 * 16, 0xe, 0));
    sys.load(TO_RING3);
    sys.load([0xcd, 0x30], CODE + 0x100);
    sys.run();
    expect(sys.lastVector()).toBe(13);
    expect(stack(sys, 6)).toEqual([0x30 * 8 + 2, CODE + 0x100, SEL.code3, 0x202, 0x7fff0, SEL.data3]);
  });

  it('CLI and HLT at ring 3 raise #GP(0); POPF at ring 3 leaves IF unchanged without a fault', () => {
    for (const code of [[0xfa], [0xf4]]) {
      const sys = miniSystem();
      sys.load(TO_RING3);
      sys.load(code, CODE + 0x100);
      sys.run();
      expect(sys.lastVector()).toBe(13);
      expect(stack(sys, 2)).toEqual([0, CODE + 0x100]);
    }
    const sys = miniSystem();
    sys.load(TO_RING3);
    // pushfd; pop eax; and eax,~IF; push eax; popfd; pushfd; pop ebx; int 0x31
    sys.load([0x9c, 0x58, 0x25, 0xff, 0xfd, 0xff, 0xff, 0x50, 0x9d, 0x9c, 0x5b, 0xcd, 0x31], CODE + 0x100);
    sys.run();
    expect(sys.lastVector()).toBe(0x31);
    expect(sys.cpu.regs[3] & IF).toBe(IF);
  });

  it('a contributory fault while delivering a contributory fault becomes #DF', () => {
    const sys = miniSystem();
    // #GP's gate is not present: delivering #UD... use #DE -> its gate missing -> #NP -> #DF
    const d = gate(SEL.code0, STUBS, 0xe, 0);
    d[1] &= ~0x8000;
    writeDescriptor(sys.cpu, IDT, 0, d);
    sys.load([0x31, 0xc9, 0xf7, 0xf1]);
    sys.run();
    expect(sys.lastVector()).toBe(8);
    expect(stack(sys, 1)).toEqual([0]); // #DF pushes error code 0
  });

  it('a fault while delivering #DF shuts the machine down (triple fault)', () => {
    const sys = miniSystem();
    sys.cpu.idtrLimit = 0; // every vector is outside the IDT
    sys.load([0x0f, 0x0b]);
    expect(sys.run()).toBe('shutdown');
  });

  it('segment loads check the table limit, the rights and presence', () => {
    const sys = miniSystem();
    sys.load([0x66, 0xb8, 0x48, 0x00, 0x8e, 0xd8]); // mov ax,0x48; mov ds,ax (beyond GDT limit 0x47)
    sys.run();
    expect(sys.lastVector()).toBe(13);
    expect(stack(sys, 1)).toEqual([0x48]);
    const sys2 = miniSystem();
    sys2.load([0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd0]); // mov ax,0x23; mov ss,ax (RPL 3 at CPL 0)
    sys2.run();
    expect(sys2.lastVector()).toBe(13);
    expect(stack(sys2, 1)).toEqual([0x20]);
  });

  it('the hidden descriptor cache keeps the old base until the segment is reloaded', () => {
    const sys = miniSystem();
    sys.cpu.ram32[0x100 >> 2] = 0x11111111;
    sys.cpu.ram32[0x100100 >> 2] = 0x22222222;
    // mov ax,0x10; mov ds,ax; mov byte [0x1014],0x10 (DS descriptor base 23:16 := 0x10);
    // mov eax,[0x100]; mov dx,0x10; mov ds,dx; mov ebx,[0x100]; hlt
    sys.load([0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xc6, 0x05, 0x14, 0x10, 0x00, 0x00, 0x10, 0xa1, 0x00, 0x01, 0x00, 0x00,
      0x66, 0xba, 0x10, 0x00, 0x8e, 0xda, 0x8b, 0x1d, 0x00, 0x01, 0x00, 0x00, 0xf4]);
    expect(sys.run()).toBe('halt');
    expect(sys.cpu.regs[0] >>> 0).toBe(0x11111111);
    expect(sys.cpu.regs[3] >>> 0).toBe(0x22222222);
    expect(sys.cpu.segBase[DS]).toBe(0x100000);
  });

  it('a data access beyond the segment limit raises #GP(0), and through SS #SS(0)', () => {
    const sys = miniSystem();
    sys.cpu.setSegCache(DS, 0x10, 0, 0xfff, 0x00409300);
    sys.load([0xa1, 0x00, 0x10, 0x00, 0x00]); // mov eax,[0x1000]
    sys.run();
    expect(sys.lastVector()).toBe(13);
    const sys2 = miniSystem();
    sys2.cpu.setSegCache(SS, 0x10, 0, 0x8ffff, 0x00409300);
    sys2.load([0x36, 0xa1, 0x00, 0x00, 0x09, 0x00]); // mov eax, ss:[0x90000]
    sys2.run();
    expect(sys2.lastVector()).toBe(12);
  });

  it('SYSEXIT enters ring 3 and SYSENTER returns to ring 0 with the MSR state', () => {
    const sys = miniSystem();
    // wrmsr SYSENTER_CS=0x08, ESP=0x90000, EIP=CODE+0x200; then iret to ring 3
    sys.load([0xb9, 0x74, 0x01, 0x00, 0x00, 0x31, 0xd2, 0xb8, 0x08, 0x00, 0x00, 0x00, 0x0f, 0x30, 0xb9, 0x75, 0x01, 0x00, 0x00, 0xb8,
      0x00, 0x00, 0x09, 0x00, 0x0f, 0x30, 0xb9, 0x76, 0x01, 0x00, 0x00, 0xb8, 0x00, 0x02, 0x01, 0x00, 0x0f, 0x30, ...TO_RING3]);
    sys.load([0x0f, 0x34], CODE + 0x100); // ring 3: sysenter
    sys.load([0xb9, 0xf0, 0xff, 0x07, 0x00, 0xba, 0x80, 0x01, 0x01, 0x00, 0x0f, 0x35], CODE + 0x200); // ring 0: sysexit to CODE+0x180
    sys.load([0xfa], CODE + 0x180); // ring 3: cli -> #GP
    sys.run();
    expect(sys.lastVector()).toBe(13);
    expect(stack(sys, 5)).toEqual([0, CODE + 0x180, 0x1b, 0x2, 0x7fff0]); // SYSENTER cleared IF; SYSEXIT leaves EFLAGS
    expect(sys.cpu.segSel[CS]).toBe(SEL.code0);
  });

  it('self-modifying code takes effect at the next instruction', () => {
    const sys = miniSystem();
    // mov byte [CODE+12], 0x48 (turns the following "inc eax" into "dec eax"); mov eax,1; inc eax; hlt
    sys.load([0xc6, 0x05, 0x0c, 0x00, 0x01, 0x00, 0x48, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x40, 0xf4]);
    sys.run();
    expect(sys.cpu.regs[0]).toBe(0);
    // and again after the block was cached: jump back and patch to inc
    const sys2 = miniSystem();
    sys2.load([0xb8, 0x01, 0x00, 0x00, 0x00, 0x40, 0xf4]);
    sys2.run();
    expect(sys2.cpu.regs[0]).toBe(2);
    sys2.cpu.halted = false;
    sys2.cpu.stopReason = '';
    sys2.cpu.writeL8(CODE + 5, 0x48);
    sys2.cpu.eip = CODE;
    sys2.run();
    expect(sys2.cpu.regs[0]).toBe(0);
  });
});
