import { describe, expect, it } from 'vitest';
import { I8042 } from '../../../emulator/devices/i8042';
import { textToScancodes } from '../../../emulator/devices/keyboard-layout';
import { Machine } from '../../../emulator/machine';

function setup() {
  const irq: boolean[] = [];
  let resets = 0;
  const k = new I8042((h) => irq.push(h), () => resets++);
  const read = () => k.portIn(0x60, 1);
  return { k, irq, read, resets: () => resets };
}

describe('8042 keyboard controller', () => {
  it('starts as SeaBIOS leaves it: status 0x14 (self-tested, unlocked), command byte 0x61, output port 0xCF', () => {
    const { k, read } = setup();
    expect(k.portIn(0x64, 1)).toBe(0x14);
    k.portOut(0x64, 0x20, 1);
    expect(k.portIn(0x64, 1) & 1).toBe(1);
    expect(read()).toBe(0x61);
    k.portOut(0x64, 0xd0, 1);
    expect(read()).toBe(0xcf);
  });

  it('typed keys wait while the keyboard is disabled, then arrive one byte at a time with IRQ 1', () => {
    const { k, irq, read } = setup();
    k.portOut(0x64, 0xad, 1);
    k.feed(textToScancodes('a'));
    expect(k.portIn(0x64, 1) & 1).toBe(0);
    k.portOut(0x64, 0xae, 1);
    expect(irq).toEqual([true]);
    expect(read()).toBe(0x1e);
    expect(irq).toEqual([true, false, true]);
    expect(read()).toBe(0x9e);
    expect(k.portIn(0x64, 1) & 1).toBe(0);
  });

  it('the byte in the output buffer comes first, then keyboard replies, then further typed keys', () => {
    const { k, read } = setup();
    k.feed([0x10, 0x90, 0x11]);
    expect(read()).toBe(0x10);
    k.portOut(0x60, 0xf2, 1); // identify, while 0x90 waits in the output buffer
    expect([read(), read(), read(), read(), read()]).toEqual([0x90, 0xfa, 0xab, 0x41, 0x11]);
  });

  it('0xFE and an output-port write with bit 0 clear request a reset', () => {
    const a = setup();
    a.k.portOut(0x64, 0xfe, 1);
    expect(a.resets()).toBe(1);
    const b = setup();
    b.k.portOut(0x64, 0xd1, 1);
    b.k.portOut(0x60, 0xce, 1);
    expect(b.resets()).toBe(1);
  });

  it('a reset request ends the run with exit code 0, as QEMU with -no-reboot', () => {
    // mov al, 0xFE; out 0x64, al; jmp $
    const m = new Machine(Uint8Array.from([0xb0, 0xfe, 0xe6, 0x64, 0xeb, 0xfe]), { flatAddress: 0x100000 });
    const r = m.run(1000);
    expect(r).toEqual({ reason: 'reset', exitCode: 0, icount: 2 });
  });

  it('port 0x92: reads 0x02 after the firmware; bit 0 requests a reset', () => {
    // in al, 0x92; mov bl, al; mov al, 3; out 0x92, al; jmp $
    const m = new Machine(Uint8Array.from([0xe4, 0x92, 0x88, 0xc3, 0xb0, 0x03, 0xe6, 0x92, 0xeb, 0xfe]), { flatAddress: 0x100000 });
    const r = m.run(1000);
    expect(r.reason).toBe('reset');
    expect(m.cpu.regs[3] & 0xff).toBe(0x02);
  });

  it('types text in scancode set 1 with Shift for capitals and symbols', () => {
    expect([...textToScancodes('Hi!\n')]).toEqual([0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97, 0x2a, 0x02, 0x82, 0xaa, 0x1c, 0x9c]);
    expect(() => textToScancodes('€')).toThrow(/cannot type/);
  });
});
