/**
 * QEMU's old Bochs-style shutdown port 0x8900, which some `qemu -kernel` guests write: it
 * reads 0xFF and ignores writes, as on QEMU's `pc` machine (which does not decode it either).
 * Counted as emulated, so it is not reported as an unclaimed port.
 */
import type { AccessSize, PortDevice } from './bus';

export const SHUTDOWN_PORT = 0x8900;

export class LegacyPorts implements PortDevice {
  /** Ports to register on the I/O bus, as [first, count] pairs. */
  static readonly RANGES: readonly (readonly [number, number])[] = [[SHUTDOWN_PORT, 1]];

  portIn(_port: number, size: AccessSize): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }

  portOut(): void {}
}
