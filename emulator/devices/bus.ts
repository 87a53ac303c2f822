/**
 * The machine's buses: I/O ports and memory-mapped devices.
 *
 * The CPU reaches devices only through these two interfaces, so a monitor or an
 * observer can sit between the CPU and a device without the device knowing.
 */

/** Access width in bytes of a port or MMIO access. */
export type AccessSize = 1 | 2 | 4;

/** A device on the I/O port bus. `port` is the absolute port number. */
export interface PortDevice {
  portIn(port: number, size: AccessSize): number;
  portOut(port: number, value: number, size: AccessSize): void;
}

/** A device mapped into the physical address space. `offset` is relative to its base. */
export interface MmioDevice {
  mmioRead(offset: number, size: AccessSize): number;
  mmioWrite(offset: number, value: number, size: AccessSize): void;
}

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/**
 * The I/O port bus. Ports nobody claims read as all ones and ignore writes, as on a
 * PC (and as QEMU does).
 */
export class IoBus {
  private readonly devices: (PortDevice | undefined)[] = new Array(0x10000);

  register(first: number, count: number, device: PortDevice): void {
    for (let p = first; p < first + count; p++) this.devices[p & 0xffff] = device;
  }

  portIn(port: number, size: AccessSize): number {
    const d = this.devices[port & 0xffff];
    return d ? d.portIn(port & 0xffff, size) : ALL_ONES[size];
  }

  portOut(port: number, value: number, size: AccessSize): void {
    const d = this.devices[port & 0xffff];
    if (d) d.portOut(port & 0xffff, value, size);
  }
}

/** One memory-mapped window: [base, base + size). */
export interface MmioWindow {
  base: number;
  size: number;
  device: MmioDevice;
}
