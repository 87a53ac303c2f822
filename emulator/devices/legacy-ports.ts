/**
 * Legacy PC ports a `qemu -kernel` guest commonly touches and that ringside does not
 * otherwise model: the two 8259 PICs (0x20/0x21, 0xA0/0xA1) and QEMU's old Bochs-style
 * port 0x8900. There is no PIC in the machine (interrupts come from the local APIC only),
 * so writes are accepted and have no effect beyond what a guest can read back:
 *
 *  - Data ports 0x21/0xA1 read the interrupt mask (IMR) last written with OCW1; 0xFF
 *    (all masked) initially. The initialization sequence is tracked so that ICW2-ICW4,
 *    which also go to the data port, are not mistaken for masks: ICW1 (a command-port
 *    write with bit 4 set) starts it, ICW3 follows unless ICW1 says single mode (bit 1),
 *    ICW4 follows only if ICW1 bit 0 asks for it. As the 8259A datasheet says (and QEMU's
 *    i8259 does), ICW1 clears the IMR, so the mask reads 0 until the guest writes one.
 *  - Command ports 0x20/0xA0 (OCW2/OCW3 reads of IRR/ISR) and port 0x8900 read 0xFF.
 *
 * Multi-byte accesses are split into byte accesses on consecutive ports; bytes that fall
 * on ports this device does not own read 0xFF and ignore writes.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../snapshot';

export const PIC1_COMMAND = 0x20;
export const PIC1_DATA = 0x21;
export const PIC2_COMMAND = 0xa0;
export const PIC2_DATA = 0xa1;
export const SHUTDOWN_PORT = 0x8900;

/** Init-sequence step: which ICW the next data-port write is. */
const READY = 0;
const ICW2 = 2;
const ICW3 = 3;
const ICW4 = 4;

export class LegacyPorts implements PortDevice {
  /** Ports to register on the I/O bus, as [first, count] pairs. */
  static readonly RANGES: readonly (readonly [number, number])[] = [
    [PIC1_COMMAND, 2],
    [PIC2_COMMAND, 2],
    [SHUTDOWN_PORT, 1],
  ]; // PIC1, PIC2, port 0x8900

  private readonly mask = new Uint8Array([0xff, 0xff]); // IMR of the master [0] and slave [1]
  private readonly step = new Uint8Array([READY, READY]); // ICW expected next, per PIC
  private readonly icw1 = new Uint8Array(2); // last ICW1 per PIC (bit 0: ICW4 needed, bit 1: single)

  portIn(port: number, size: AccessSize): number {
    if (size === 1) return this.readByte(port);
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(port + i) << (8 * i);
    return value >>> 0;
  }

  portOut(port: number, value: number, size: AccessSize): void {
    for (let i = 0; i < size; i++) this.writeByte(port + i, (value >>> (8 * i)) & 0xff);
  }

  /** The interrupt mask of the master (0) or slave (1) PIC, for tests and the debugger. */
  imr(pic: 0 | 1): number {
    return this.mask[pic];
  }

  /** Both PICs' masks, init-sequence steps and last ICW1, as bytes for emulator/snapshot.ts. */
  saveState(): Uint8Array {
    return sealState('PICS', 1, (w) => {
      w.bytes(this.mask);
      w.bytes(this.step);
      w.bytes(this.icw1);
    });
  }

  /** Loads a state saved by saveState; a rejected blob changes nothing. */
  loadState(bytes: Uint8Array): void {
    const r = openState('PICS', 1, bytes, 'legacy ports state');
    const mask = r.bytes(), step = r.bytes(), icw1 = r.bytes();
    r.end();
    if (mask.length !== 2 || step.length !== 2 || icw1.length !== 2) r.fail('expected two PICs');
    for (const s of step) if (s !== READY && s !== ICW2 && s !== ICW3 && s !== ICW4) r.fail(`bad init step ${s}`);
    this.mask.set(mask);
    this.step.set(step);
    this.icw1.set(icw1);
  }

  private readByte(port: number): number {
    if (port === PIC1_DATA) return this.mask[0];
    if (port === PIC2_DATA) return this.mask[1];
    return 0xff;
  }

  private writeByte(port: number, v: number): void {
    if (port === PIC1_COMMAND || port === PIC2_COMMAND) {
      if (v & 0x10) {
        const p = port === PIC1_COMMAND ? 0 : 1;
        this.icw1[p] = v;
        this.mask[p] = 0;
        this.step[p] = ICW2;
      }
      return; // OCW2/OCW3: no effect without an interrupt controller
    }
    if (port === PIC1_DATA) this.dataWrite(0, v);
    else if (port === PIC2_DATA) this.dataWrite(1, v);
    // 0x8900 and foreign ports: ignored
  }

  private dataWrite(p: number, v: number): void {
    switch (this.step[p]) {
      case ICW2:
        this.step[p] = this.icw1[p] & 0x02 ? (this.icw1[p] & 0x01 ? ICW4 : READY) : ICW3;
        return;
      case ICW3:
        this.step[p] = this.icw1[p] & 0x01 ? ICW4 : READY;
        return;
      case ICW4:
        this.step[p] = READY;
        return;
      default:
        this.mask[p] = v; // OCW1
    }
  }
}
