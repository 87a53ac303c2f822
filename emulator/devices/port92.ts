/**
 * Port 0x92, system control port A (QEMU's port92 device): bit 1 is the "fast A20" gate,
 * bit 0 a fast reset: writing it set requests a reset, which ends the run as QEMU does with
 * `-no-reboot`. Reads return the last value written with bit 0 clear; after the firmware (which
 * enabled A20 through this port) it reads 0x02. The A20 bit is stored only: ringside never
 * wraps memory at 1 MiB.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const PORT_A = 0x92;

export class Port92 implements PortDevice {
  private value = 0x02;

  constructor(private readonly onReset: () => void) {}

  portIn(_port: number, size: AccessSize): number {
    const v = this.value;
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  portOut(_port: number, value: number, _size: AccessSize): void {
    this.value = value & 0xfe;
    if (value & 1) this.onReset();
  }

  saveState(): Uint8Array {
    return sealState('PT92', 1, (w) => w.u8(this.value));
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('PT92', 1, bytes, 'port 0x92 state');
    const v = r.u8();
    r.end();
    this.value = v;
  }
}
