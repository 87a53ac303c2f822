import { describe, expect, it } from 'vitest';
import { PciConfig } from '../../../emulator/devices/pci-config';

function read(p: PciConfig, addr: number, size: 1 | 2 | 4 = 4): number {
  p.portOut(0xcf8, (addr & ~3) >>> 0, 4);
  return p.portIn(0xcfc + (addr & 3), size);
}

describe('PCI configuration space', () => {
  it('finds exactly the i440FX host bridge and the PIIX3 ISA bridge on bus 0', () => {
    const p = new PciConfig();
    const found: string[] = [];
    for (let bus = 0; bus < 4; bus++) {
      for (let dev = 0; dev < 32; dev++) {
        for (let fn = 0; fn < 8; fn++) {
          const id = read(p, 0x80000000 | (bus << 16) | (dev << 11) | (fn << 8));
          if (id !== 0xffffffff) found.push(`${bus}:${dev}.${fn} ${id.toString(16)}`);
        }
      }
    }
    expect(found).toEqual(['0:0.0 12378086', '0:1.0 70008086']);
  });

  it('class codes, header type and subsystem as QEMU reports them', () => {
    const p = new PciConfig();
    expect(read(p, 0x80000008) >>> 8).toBe(0x060000); // host bridge
    expect(read(p, 0x80000808) >>> 8).toBe(0x060100); // ISA bridge
    expect(read(p, 0x8000080e, 1)).toBe(0x80); // multi-function
    expect(read(p, 0x8000002c)).toBe(0x11001af4);
  });

  it('routing registers take writes; identification registers do not; 0xCF8 latches only 32-bit writes', () => {
    const p = new PciConfig();
    p.portOut(0xcf8, 0x80000860, 4);
    p.portOut(0xcfd, 0x0b, 1); // PIRQB
    expect(read(p, 0x80000860)).toBe(0x0b0b0b0a);
    p.portOut(0xcf8, 0x80000800, 4);
    p.portOut(0xcfc, 0xffffffff, 4);
    expect(read(p, 0x80000800)).toBe(0x70008086);
    p.portOut(0xcf8, 0x12, 1);
    expect(p.portIn(0xcf8, 4)).toBe(0x80000800);
  });

  it('reads all ones with the enable bit clear', () => {
    expect(read(new PciConfig(), 0x00000000)).toBe(0xffffffff);
  });
});
