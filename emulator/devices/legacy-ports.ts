/**
 * Ports that do nothing but that kernels commonly touch, each as on QEMU's `pc` machine:
 *   0x80    the POST diagnostic port, written for short I/O delays (QEMU's ioport80: writes
 *           ignored, reads 0xFF);
 *   0x8900  the old Bochs shutdown port, which some `qemu -kernel` guests write (reads 0xFF).
 * Claimed, so they are not reported as ports the machine does not emulate.
 */
import type { AccessSize, PortDevice } from './bus';

export const POST_PORT = 0x80;
export const SHUTDOWN_PORT = 0x8900;

export class LegacyPorts implements PortDevice {
  /** Ports to register on the I/O bus, as [first, count] pairs. */
  static readonly RANGES: readonly (readonly [number, number])[] = [[POST_PORT, 1], [SHUTDOWN_PORT, 1]];

  portIn(_port: number, size: AccessSize): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }

  portOut(): void {}
}
