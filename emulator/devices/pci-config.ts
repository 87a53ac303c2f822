/**
 * PCI configuration space through configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF
 * data), with the two functions of QEMU's `pc` machine that every PCI scan meets first, as
 * QEMU 7.2 and SeaBIOS leave them:
 *
 *   00:00.0  Intel 82441FX (i440FX) host bridge, 8086:1237, revision 02, subsystem 1AF4:1100;
 *            PAM registers 0x59-0x5F as SeaBIOS leaves them (BIOS area shadowed), SMRAM 0x72
 *   00:01.0  Intel 82371SB (PIIX3) PCI-to-ISA bridge, 8086:7000, multi-function header,
 *            subsystem 1AF4:1100; PIRQ routing 0x60-0x63 = 0x0A 0x0A 0x0B 0x0B (PIRQA and B to
 *            IRQ 10, C and D to IRQ 11, as SeaBIOS routes them), and the other registers QEMU
 *            reads back (IORT 0x4C, top of memory 0x69, MBIRQ 0x70, APIC base 0x80...)
 *
 * Nothing else is there: every other device, function and bus reads all ones (QEMU also has
 * the PIIX3 IDE 01.1, the PIIX4 power management 01.3 and the VGA 02.0; ringside does not
 * model them). Reads of the 256 bytes return QEMU's values; writes reach only the registers a
 * kernel programs (command, latency timer, interrupt line; the host bridge's PAM, DRB and
 * SMRAM registers; the ISA bridge's PIRQ routing, top of memory, XBCS, MBIRQ and APIC base
 * registers): everything else is read-only, as are the identification registers on real
 * hardware.
 *
 * 0xCF8 latches a 32-bit address (bit 31 enable, bus 23-16, device 15-11, function 10-8,
 * register 7-2) only on a 32-bit access, and reads it back; 0xCFC-0xCFF access bytes
 * (register & 0xFC) + (port - 0xCFC) onward, with 1-, 2- or 4-byte accesses.
 * Not emulated: configuration mechanism #2, the PIIX3 reset control register at 0xCF9.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;

/** 256 bytes from the little-endian dwords QEMU reads back (dwords not listed are 0). */
function image(dwords: Record<number, number>): Uint8Array {
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  for (const [off, v] of Object.entries(dwords)) dv.setUint32(Number(off), v >>> 0, true);
  return b;
}

/** Writable byte ranges [first, last] of a function's configuration space. */
type Ranges = readonly (readonly [number, number])[];

interface PciFunction {
  device: number;
  fn: number;
  initial: Uint8Array;
  writable: Ranges;
}

const COMMON_WRITABLE: Ranges = [[0x04, 0x05], [0x0d, 0x0d], [0x3c, 0x3c]];

const FUNCTIONS: readonly PciFunction[] = [
  {
    device: 0,
    fn: 0,
    initial: image({ 0x00: 0x12378086, 0x04: 0x00000103, 0x08: 0x06000002, 0x2c: 0x11001af4, 0x54: 0x10000000, 0x58: 0x11111000, 0x5c: 0x33111111, 0x70: 0x000a0000 }),
    writable: [...COMMON_WRITABLE, [0x50, 0x5f], [0x60, 0x67], [0x72, 0x72]],
  },
  {
    device: 1,
    fn: 0,
    initial: image({ 0x00: 0x70008086, 0x04: 0x02000103, 0x08: 0x06010000, 0x0c: 0x00800000, 0x2c: 0x11001af4, 0x4c: 0x0003004d, 0x60: 0x0b0b0a0a, 0x68: 0x00000200, 0x70: 0x00000080, 0x74: 0x0c0c0000, 0x78: 0x00000002, 0xa0: 0x00000008, 0xa8: 0x0000000f }),
    writable: [...COMMON_WRITABLE, [0x4c, 0x4f], [0x60, 0x63], [0x69, 0x6a], [0x70, 0x70], [0x76, 0x77], [0x80, 0x80], [0x82, 0x82]],
  },
];

export class PciConfig implements PortDevice {
  private address = 0;
  private readonly spaces = FUNCTIONS.map((f) => Uint8Array.from(f.initial));

  /** Index into FUNCTIONS of the function the address selects, or -1. */
  private selected(): number {
    const a = this.address;
    if ((a & 0x80000000) === 0 || ((a >>> 16) & 0xff) !== 0) return -1;
    const device = (a >>> 11) & 0x1f, fn = (a >>> 8) & 7;
    return FUNCTIONS.findIndex((f) => f.device === device && f.fn === fn);
  }

  private static writable(ranges: Ranges, offset: number): boolean {
    for (const [a, b] of ranges) if (offset >= a && offset <= b) return true;
    return false;
  }

  portIn(port: number, size: AccessSize): number {
    const ones = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    if (port === PCI_CONFIG_ADDRESS) return size === 4 ? this.address >>> 0 : ones;
    const k = this.selected();
    if (k < 0) return ones;
    const at = (this.address & 0xfc) + (port - PCI_CONFIG_DATA);
    let v = 0;
    for (let i = 0; i < size; i++) v |= (at + i < 256 ? this.spaces[k][at + i] : 0xff) << (8 * i);
    return v >>> 0;
  }

  portOut(port: number, value: number, size: AccessSize): void {
    if (port === PCI_CONFIG_ADDRESS) {
      if (size === 4) this.address = value >>> 0;
      return;
    }
    const k = this.selected();
    if (k < 0) return;
    const at = (this.address & 0xfc) + (port - PCI_CONFIG_DATA);
    for (let i = 0; i < size; i++) {
      const off = at + i;
      if (off < 256 && PciConfig.writable(FUNCTIONS[k].writable, off)) this.spaces[k][off] = (value >>> (8 * i)) & 0xff;
    }
  }

  saveState(): Uint8Array {
    return sealState('PCIC', 1, (w) => {
      w.u32(this.address);
      for (const s of this.spaces) w.bytes(s);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('PCIC', 1, bytes, 'PCI configuration state');
    const address = r.u32();
    const spaces = this.spaces.map(() => r.bytes());
    r.end();
    if (spaces.some((s) => s.length !== 256)) r.fail('a configuration space is not 256 bytes');
    this.address = address;
    spaces.forEach((s, k) => this.spaces[k].set(s));
  }
}
