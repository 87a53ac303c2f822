/**
 * QEMU's `isa-debug-exit` device (hw/misc/debugexit.c), as configured by
 * `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.
 *
 * A write of value v to any of the four ports, of any width, ends the run with exit code
 * (v << 1) | 1. QEMU takes the value as written (its region accepts 1-, 2- and 4-byte
 * accesses without splitting), so `outb 0xf4, 0x10` gives 0x21 and `outl 0xf4, 0x12345678`
 * gives 0x2468ACF1. QEMU passes the code to exit()/shutdown as an int, so the host process
 * status is its low 8 bits; `onExit` receives the full 32-bit value (low 32 bits of
 * (v << 1) | 1, as QEMU computes it), and the caller decides how to truncate it.
 *
 * Reads: QEMU's debug_exit_read returns 0 for every port and width; so do we (this is the
 * only way a guest can probe for the device: an absent port would read all ones).
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

const VALUE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class DebugExit implements PortDevice {
  static readonly PORT = 0xf4; // iobase used with qemu -device isa-debug-exit
  static readonly IOSIZE = 4; // ports claimed (iosize=0x04)

  constructor(
    private readonly onExit: (code: number) => void, // told the exit code of every write
    readonly base: number = DebugExit.PORT, // first of the IOSIZE ports
  ) {}

  /** The device has no mutable state; the blob records its base port, which loadState checks. */
  saveState(): Uint8Array {
    return sealState('DBGX', 1, (w) => w.f64(this.base));
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('DBGX', 1, bytes, 'debug-exit state');
    const base = r.f64();
    r.end();
    if (base !== this.base) r.fail(`saved for port ${base}, this device is at ${this.base}`);
  }

  portIn(_port: number, _size: AccessSize): number {
    return 0;
  }

  portOut(_port: number, value: number, size: AccessSize): void {
    const v = (value & VALUE_MASK[size]) >>> 0;
    this.onExit(((v << 1) | 1) >>> 0);
  }
}
