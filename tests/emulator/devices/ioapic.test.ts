import { describe, expect, it } from 'vitest';
import { IoApic } from '../../../emulator/devices/ioapic';
import { LocalApic } from '../../../emulator/devices/local-apic';

function setup() {
  const apic = new LocalApic(() => 0);
  apic.mmioWrite(0xf0, 0x1ff, 4);
  const io = new IoApic(apic);
  apic.onLevelEoi = (v) => io.eoi(v);
  const write = (index: number, v: number) => {
    io.mmioWrite(0, index, 4);
    io.mmioWrite(0x10, v, 4);
  };
  const read = (index: number) => {
    io.mmioWrite(0, index, 4);
    return io.mmioRead(0x10, 4);
  };
  return { apic, io, write, read };
}

describe('I/O APIC', () => {
  it('ID, version 0x20 with 24 entries, entries masked at reset', () => {
    const { read, write } = setup();
    expect(read(1)).toBe(0x00170020);
    expect(read(0x10)).toBe(0x10000);
    expect(read(0x10 + 2 * 23)).toBe(0x10000);
    write(0, 0x0a000000);
    expect(read(0)).toBe(0x0a000000);
  });

  it('an edge-triggered entry delivers each rising edge once; an edge while masked is lost', () => {
    const { apic, io, write } = setup();
    write(0x14, 0x30);
    io.setPin(2, true);
    io.setPin(2, false);
    expect(apic.acknowledge()).toBe(0x30);
    apic.mmioWrite(0xb0, 0, 4);
    write(0x14, 0x10030);
    io.setPin(2, true);
    io.setPin(2, false);
    write(0x14, 0x30);
    expect(apic.pendingVector()).toBe(-1);
  });

  it('a level-triggered entry sets remote IRR until the EOI, then delivers again while the line is high', () => {
    const { apic, io, write, read } = setup();
    write(0x18, 0x8041); // pin 4, vector 0x41, level
    io.setPin(4, true);
    expect(apic.acknowledge()).toBe(0x41);
    expect(read(0x18) & 0x4000).toBe(0x4000);
    expect(apic.mmioRead(0x180 + 0x20, 4) & 2).toBe(2); // TMR bit of vector 0x41
    apic.mmioWrite(0xb0, 0, 4); // EOI: broadcast to the I/O APIC
    expect(apic.pendingVector()).toBe(0x41);
    apic.acknowledge();
    io.setPin(4, false);
    apic.mmioWrite(0xb0, 0, 4);
    expect(read(0x18) & 0x4000).toBe(0);
    expect(apic.pendingVector()).toBe(-1);
  });

  it('the EOI register (version 0x20) clears remote IRR by vector', () => {
    const { io, write, read } = setup();
    write(0x18, 0x8041);
    io.setPin(4, true);
    io.setPin(4, false);
    expect(read(0x18) & 0x4000).toBe(0x4000);
    io.mmioWrite(0x40, 0x41, 4);
    expect(read(0x18) & 0x4000).toBe(0);
  });

  it('delivers only to its destination: physical ID 0 or broadcast, logical by LDR', () => {
    const { apic, io, write } = setup();
    write(0x15, 0x05000000); // physical destination 5: not this CPU
    write(0x14, 0x30);
    io.setPin(2, true);
    io.setPin(2, false);
    expect(apic.pendingVector()).toBe(-1);
    apic.mmioWrite(0xd0, 0x01000000, 4); // LDR bit 0
    write(0x15, 0x01000000);
    write(0x14, 0x830); // logical
    io.setPin(2, true);
    expect(apic.pendingVector()).toBe(0x30);
  });
});
