import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../emulator/devices/bus';
import { FwCfg } from '../../../emulator/devices/fw-cfg';

function setup(ram = 128 * 1024 * 1024) {
  const bus = new IoBus();
  bus.register(0x510, 2, new FwCfg(ram));
  const read = (key: number, n: number) => {
    bus.portOut(0x510, key, 2);
    return Array.from({ length: n }, () => bus.portIn(0x511, 1));
  };
  return { bus, read };
}

describe('FwCfg', () => {
  it('reads the "QEMU" signature, selected at reset', () => {
    const { bus, read } = setup();
    expect([0, 1, 2, 3].map(() => bus.portIn(0x511, 1))).toEqual([0x51, 0x45, 0x4d, 0x55]);
    expect(read(0, 5)).toEqual([0x51, 0x45, 0x4d, 0x55, 0]);
  });

  it('reports the traditional interface only (ID = 1)', () => {
    expect(setup().read(1, 4)).toEqual([1, 0, 0, 0]);
  });

  it('reports the RAM size as a little-endian u64', () => {
    expect(setup().read(3, 8)).toEqual([0, 0, 0, 8, 0, 0, 0, 0]);
    expect(setup(0x1_2345_6000).read(3, 8)).toEqual([0x00, 0x60, 0x45, 0x23, 0x01, 0, 0, 0]);
  });

  it('reports one CPU (NB_CPUS and MAX_CPUS) and an empty file directory', () => {
    const { read } = setup();
    expect(read(5, 2)).toEqual([1, 0]);
    expect(read(0x0f, 2)).toEqual([1, 0]);
    expect(read(0x19, 4)).toEqual([0, 0, 0, 0]);
  });

  it('reads unknown items and past-the-end bytes as 0; reselecting restarts at offset 0', () => {
    const { read } = setup();
    expect(read(0x8003, 4)).toEqual([0, 0, 0, 0]);
    expect(read(5, 4)).toEqual([1, 0, 0, 0]);
    expect(read(5, 1)).toEqual([1]);
  });

  it('reads data from either port with byte reads; other widths read 0, byte writes are ignored', () => {
    const { bus } = setup();
    bus.portOut(0x510, 0, 2);
    expect(bus.portIn(0x510, 1)).toBe(0x51);
    bus.portOut(0x511, 0x77, 1);
    bus.portOut(0x510, 5, 1);
    expect(bus.portIn(0x511, 1)).toBe(0x45);
    expect(bus.portIn(0x510, 2)).toBe(0);
    expect(bus.portIn(0x511, 1)).toBe(0x4d);
  });
});
