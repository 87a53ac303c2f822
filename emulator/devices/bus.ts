/**
 * The machine's buses: I/O ports and memory-mapped devices.
 *
 * The CPU reaches devices only through these two interfaces, so a monitor or an
 * observer can sit between the CPU and a device without the device knowing.
 */
import { sealState, openState, isStateful, SnapshotError, type StatefulDevice } from '../state/codec';
import type { MmioSpace } from '../cpu/cpu';

/** Access width in bytes of a port or MMIO access. */
export type AccessSize = 1 | 2 | 4;

/** A device on the I/O port bus. `port` is the absolute port number. */
export interface PortDevice {
  portIn(port: number, size: AccessSize): number;
  portOut(port: number, value: number, size: AccessSize): void;
}

/**
 * A port device whose registers are bytes (the PIC, the PIT, the UART): a wider access reaches
 * the byte registers at port, port + 1, ... in turn, low byte first, as the PC's 8-bit ISA bus
 * splits it.
 */
export abstract class BytePortDevice implements PortDevice {
  protected abstract readByte(port: number): number;
  protected abstract writeByte(port: number, value: number): void;

  portIn(port: number, size: AccessSize): number {
    if (size === 1) return this.readByte(port);
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(port + i) << (8 * i);
    return value >>> 0;
  }

  portOut(port: number, value: number, size: AccessSize): void {
    if (size === 1) {
      this.writeByte(port, value & 0xff);
      return;
    }
    for (let i = 0; i < size; i++) this.writeByte(port + i, (value >>> (8 * i)) & 0xff);
  }
}

/** A device mapped into the physical address space. `offset` is relative to its base. */
export interface MmioDevice {
  mmioRead(offset: number, size: AccessSize): number;
  mmioWrite(offset: number, value: number, size: AccessSize): void;
}

const ALL_ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

/**
 * The I/O port bus. Ports nobody claims read as all ones and ignore writes, as on a
 * PC (and as QEMU does); the bus counts those accesses per port (`unclaimed()`, a diagnostic
 * that is not part of the machine's state).
 */
export class IoBus {
  private readonly devices: (PortDevice | undefined)[] = new Array(0x10000);
  private readonly misses = new Map<number, number>(); // unclaimed port -> accesses
  private stateful: { port: number; device: StatefulDevice }[] | null = null; // devices with a state, by first port (null: to be found again)

  /** Ports no device claims that the guest accessed, with their access counts, by port. */
  unclaimed(): { port: number; count: number }[] {
    return [...this.misses.entries()].sort((a, b) => a[0] - b[0]).map(([port, count]) => ({ port, count }));
  }

  private miss(port: number): void {
    this.misses.set(port, (this.misses.get(port) ?? 0) + 1);
  }

  register(first: number, count: number, device: PortDevice): void {
    for (let p = first; p < first + count; p++) this.devices[p & 0xffff] = device;
    this.stateful = null;
  }

  portIn(port: number, size: AccessSize): number {
    const d = this.devices[port & 0xffff];
    if (d) return d.portIn(port & 0xffff, size);
    this.miss(port & 0xffff);
    return ALL_ONES[size];
  }

  portOut(port: number, value: number, size: AccessSize): void {
    const d = this.devices[port & 0xffff];
    if (d) d.portOut(port & 0xffff, value, size);
    else this.miss(port & 0xffff);
  }

  /**
   * Devices with saveState, each once, in the order of the first port they occupy: found once
   * per configuration (a scan of every port), again after a register().
   */
  private statefulDevices(): { port: number; device: StatefulDevice }[] {
    if (this.stateful !== null) return this.stateful;
    const seen = new Set<PortDevice>();
    const out: { port: number; device: StatefulDevice }[] = [];
    for (let p = 0; p < this.devices.length; p++) {
      const d = this.devices[p];
      if (d === undefined || seen.has(d)) continue;
      seen.add(d);
      if (isStateful(d)) out.push({ port: p, device: d });
    }
    this.stateful = out;
    return out;
  }

  /**
   * The state of every device on the bus that has one (emulator/state/codec.ts), keyed by the
   * device's first port. The set of devices is configuration: loadState requires the same.
   */
  saveState(): Uint8Array {
    const list = this.statefulDevices();
    return sealState('IOBS', 1, (w) => {
      w.u32(list.length);
      for (const { port, device } of list) {
        w.u16(port);
        w.bytes(device.saveState());
      }
    });
  }

  /** Loads every device's state; if any is rejected, none changes. */
  loadState(bytes: Uint8Array): void {
    const r = openState('IOBS', 1, bytes, 'I/O bus state');
    const list = this.statefulDevices();
    const n = r.u32();
    if (n !== list.length) r.fail(`${n} devices saved, this bus has ${list.length}`);
    const blobs: Uint8Array[] = [];
    for (const { port } of list) {
      const saved = r.u16();
      if (saved !== port) r.fail(`device at port 0x${saved.toString(16)} saved, this bus has one at 0x${port.toString(16)}`);
      blobs.push(r.bytes());
    }
    r.end();
    const before = list.map(({ device }) => device.saveState());
    let k = 0;
    try {
      for (; k < list.length; k++) list[k].device.loadState(blobs[k]);
    } catch (e) {
      for (let j = 0; j < k; j++) list[j].device.loadState(before[j]);
      if (e instanceof SnapshotError) throw new SnapshotError(`I/O bus state, device at port 0x${list[k].port.toString(16)}: ${e.message}`);
      throw e;
    }
  }
}

/** One memory-mapped window: [base, base + size). */
export interface MmioWindow {
  base: number;
  size: number;
  device: MmioDevice;
}

/**
 * Memory-mapped devices above RAM (the local APIC has its own fast path in the CPU). Addresses
 * no window claims read all ones and ignore writes.
 */
export class MmioBus implements MmioSpace {
  private readonly windows: MmioWindow[] = [];
  private readonly misses = new Map<number, number>(); // 4 KiB page of an unclaimed address -> accesses

  /** Pages above RAM no device claims that the guest accessed, with their access counts. */
  unclaimed(): { page: number; count: number }[] {
    return [...this.misses.entries()].sort((a, b) => a[0] - b[0]).map(([page, count]) => ({ page, count }));
  }

  private miss(phys: number): void {
    const page = (phys >>> 12) << 12 >>> 0;
    this.misses.set(page, (this.misses.get(page) ?? 0) + 1);
  }

  register(base: number, size: number, device: MmioDevice): void {
    this.windows.push({ base: base >>> 0, size, device });
  }

  private find(phys: number): MmioWindow | undefined {
    for (const w of this.windows) if (phys >= w.base && phys < w.base + w.size) return w;
    return undefined;
  }

  claims(phys: number): boolean {
    return this.find(phys >>> 0) !== undefined;
  }

  read(phys: number, size: AccessSize): number {
    const w = this.find(phys >>> 0);
    if (w) return w.device.mmioRead((phys >>> 0) - w.base, size);
    this.miss(phys);
    return ALL_ONES[size];
  }

  /** Writes to the device at `phys`; returns whether one claimed the address. */
  write(phys: number, value: number, size: AccessSize): boolean {
    const w = this.find(phys >>> 0);
    if (w === undefined) {
      this.miss(phys);
      return false;
    }
    w.device.mmioWrite((phys >>> 0) - w.base, value, size);
    return true;
  }

  /** The state of every stateful window's device, keyed by its base (as IoBus.saveState). */
  saveState(): Uint8Array {
    const list = this.windows.filter((w) => isStateful(w.device));
    return sealState('MMIO', 1, (w) => {
      w.u32(list.length);
      for (const x of list) {
        w.u32(x.base);
        w.bytes((x.device as unknown as StatefulDevice).saveState());
      }
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('MMIO', 1, bytes, 'MMIO bus state');
    const list = this.windows.filter((w) => isStateful(w.device));
    const n = r.u32();
    if (n !== list.length) r.fail(`${n} devices saved, this bus has ${list.length}`);
    const blobs: Uint8Array[] = [];
    for (const x of list) {
      const base = r.u32();
      if (base !== x.base) r.fail(`device at 0x${base.toString(16)} saved, this bus has one at 0x${x.base.toString(16)}`);
      blobs.push(r.bytes());
    }
    r.end();
    const devices = list.map((x) => x.device as unknown as StatefulDevice);
    const before = devices.map((d) => d.saveState());
    let k = 0;
    try {
      for (; k < devices.length; k++) devices[k].loadState(blobs[k]);
    } catch (e) {
      for (let j = 0; j < k; j++) devices[j].loadState(before[j]);
      throw e;
    }
  }
}
