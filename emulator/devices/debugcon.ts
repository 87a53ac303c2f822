/**
 * QEMU's debug console on port 0xE9 (`-debugcon stdio`, hw/char/debugcon.c): every byte written
 * goes to the console output, the same stream as COM1's transmitted bytes on ringside (stdout
 * for `run`, `record` and `replay`); each write is an `io` event like any port access. Reads
 * return 0xE9, QEMU's read-back value, which is how guests detect the port. A wider write sends
 * its low byte, as QEMU's byte-wide region does with the first byte.
 */
import type { AccessSize, PortDevice } from './bus';

export const DEBUGCON_PORT = 0xe9;
const READBACK = 0xe9;

export class DebugCon implements PortDevice {
  constructor(private readonly onByte: (byte: number) => void) {}

  portIn(_port: number, size: AccessSize): number {
    return size === 1 ? READBACK : size === 2 ? 0xff00 | READBACK : (0xffffff00 | READBACK) >>> 0;
  }

  portOut(_port: number, value: number, _size: AccessSize): void {
    this.onByte(value & 0xff);
  }
}
