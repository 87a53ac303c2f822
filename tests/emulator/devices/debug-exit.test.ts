import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../emulator/devices/bus';
import { DebugExit } from '../../../emulator/devices/debug-exit';

describe('DebugExit', () => {
  function setup() {
    const codes: number[] = [];
    const bus = new IoBus();
    bus.register(DebugExit.PORT, DebugExit.IOSIZE, new DebugExit((c) => codes.push(c)));
    return { bus, codes };
  }

  it('exits with (v << 1) | 1 for the value as written', () => {
    const { bus, codes } = setup();
    bus.portOut(0xf4, 0x10, 1);
    bus.portOut(0xf4, 0, 1);
    bus.portOut(0xf4, 0x1234, 2);
    bus.portOut(0xf4, 0x12345678, 4);
    bus.portOut(0xf4, 0xffffffff, 4);
    expect(codes).toEqual([0x21, 1, 0x2469, 0x2468acf1, 0xffffffff]);
  });

  it('masks the value to the access width and answers on all four ports', () => {
    const { bus, codes } = setup();
    bus.portOut(0xf4, 0x1ff, 1);
    bus.portOut(0xf7, 3, 1);
    expect(codes).toEqual([0x1ff, 7]);
  });

  it('reads 0 like QEMU', () => {
    const { bus, codes } = setup();
    expect(bus.portIn(0xf4, 1)).toBe(0);
    expect(bus.portIn(0xf4, 4)).toBe(0);
    expect(codes).toEqual([]);
  });
});
