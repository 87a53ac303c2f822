/**
 * Port 0x61, system control port B, as QEMU's pcspk device gives it on the `pc` machine:
 *
 *   bit 0  (read/write) GATE of PIT channel 2
 *   bit 1  (read/write) speaker data enable (stored; there is no sound)
 *   bit 4  (read only)  refresh toggle: flips on every read (QEMU's dummy refresh clock), which
 *                       is what delay loops that wait for it to change need
 *   bit 5  (read only)  OUT of PIT channel 2
 * Other bits read 0 and are ignored on write (no NMI status or parity checks).
 *
 * This is the port kernels use to calibrate delays: gate channel 2 on, program it in mode 0,
 * poll bit 5 until the count ends.
 */
import type { AccessSize, PortDevice } from './bus';
import type { Pit8254 } from './pit8254';
import { sealState, openState } from '../state/codec';

export const PORT_B = 0x61;

export class PcSpeaker implements PortDevice {
  private dataOn = false;
  private refresh = false;

  constructor(private readonly pit: Pit8254) {}

  portIn(port: number, size: AccessSize): number {
    if (port !== PORT_B) return 0xff;
    this.refresh = !this.refresh;
    const v = (this.pit.gate2() ? 1 : 0) | (this.dataOn ? 2 : 0) | (this.refresh ? 0x10 : 0) | (this.pit.out2() ? 0x20 : 0);
    return size === 1 ? v : (v | (0xffffff00 >>> 0)) & (size === 2 ? 0xffff : 0xffffffff);
  }

  portOut(port: number, value: number, _size: AccessSize): void {
    if (port !== PORT_B) return;
    this.dataOn = (value & 2) !== 0;
    this.pit.setGate2((value & 1) !== 0);
  }

  saveState(): Uint8Array {
    return sealState('SPKR', 1, (w) => {
      w.bool(this.dataOn);
      w.bool(this.refresh);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('SPKR', 1, bytes, 'port 0x61 state');
    const dataOn = r.bool(), refresh = r.bool();
    r.end();
    this.dataOn = dataOn;
    this.refresh = refresh;
  }
}
