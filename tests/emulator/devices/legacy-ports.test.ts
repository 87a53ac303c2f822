import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../emulator/devices/bus';
import { LegacyPorts } from '../../../emulator/devices/legacy-ports';

function setup() {
  const dev = new LegacyPorts();
  const bus = new IoBus();
  for (const [first, count] of LegacyPorts.RANGES) bus.register(first, count, dev);
  return { dev, bus };
}

describe('LegacyPorts', () => {
  it('reads all-masked PIC data ports at reset and 0xFF elsewhere', () => {
    const { bus } = setup();
    expect(bus.portIn(0x21, 1)).toBe(0xff);
    expect(bus.portIn(0xa1, 1)).toBe(0xff);
    expect(bus.portIn(0x20, 1)).toBe(0xff);
    expect(bus.portIn(0xa0, 1)).toBe(0xff);
    expect(bus.portIn(0x8900, 1)).toBe(0xff);
  });

  it('returns the last mask written (OCW1)', () => {
    const { bus } = setup();
    bus.portOut(0x21, 0xfb, 1);
    bus.portOut(0xa1, 0x7f, 1);
    expect(bus.portIn(0x21, 1)).toBe(0xfb);
    expect(bus.portIn(0xa1, 1)).toBe(0x7f);
  });

  it('does not take ICW2-ICW4 of the init sequence for masks; ICW1 clears the mask', () => {
    const { bus, dev } = setup();
    bus.portOut(0x20, 0x11, 1);
    expect(dev.imr(0)).toBe(0);
    bus.portOut(0x21, 0x20, 1); // ICW2
    bus.portOut(0x21, 0x04, 1); // ICW3
    bus.portOut(0x21, 0x01, 1); // ICW4
    expect(bus.portIn(0x21, 1)).toBe(0);
    bus.portOut(0x21, 0xff, 1);
    expect(bus.portIn(0x21, 1)).toBe(0xff);
    // single mode without ICW4: only ICW2 follows
    bus.portOut(0xa0, 0x12, 1);
    bus.portOut(0xa1, 0x28, 1);
    bus.portOut(0xa1, 0xee, 1);
    expect(bus.portIn(0xa1, 1)).toBe(0xee);
  });

  it('ignores OCW2/OCW3 and port 0x8900 writes; splits wide accesses', () => {
    const { bus } = setup();
    bus.portOut(0x20, 0x20, 1); // EOI
    bus.portOut(0x8900, 0x53, 1);
    bus.portOut(0x8900, 0x1234, 2);
    expect(bus.portIn(0x21, 1)).toBe(0xff);
    bus.portOut(0x20, 0x3c00, 2); // OCW2 at 0x20, mask 0x3c at 0x21
    expect(bus.portIn(0x20, 2)).toBe(0x3cff);
  });
});
