/**
 * The I/O APIC at 0xFEC00000, as QEMU's `ioapic` (version 0x20) on the `pc` machine,
 * documented against the 82093AA datasheet:
 *
 *   0x00 IOREGSEL  index of the register IOWIN reaches (bits 7-0)
 *   0x10 IOWIN     the selected register (32-bit)
 *   0x40 EOI       (version 0x20) writing a vector clears the remote IRR of the entries using it
 *   Registers: 0x00 ID (bits 27-24), 0x01 version 0x00170020 (24 entries, version 0x20),
 *   0x02 arbitration ID (= ID), 0x10 + 2n / 0x11 + 2n redirection entry n (0-23), low/high:
 *     vector 7-0, delivery mode 10-8, destination mode 11, delivery status 12 (read only, 0),
 *     polarity 13, remote IRR 14 (read only), trigger mode 15 (1 = level), mask 16,
 *     destination 63-56. Entries start masked (0x10000).
 *   Other indexes read 0 (QEMU reads 0); MMIO offsets other than these read 0 and ignore writes.
 *
 * Pins: ISA IRQ n drives pin n, except IRQ 0 (the PIT), which drives pin 2 (isa-irq.ts).
 * An edge-triggered entry delivers each rising edge once; an edge while it is masked is lost; a
 * level-triggered entry delivers while its pin is high and remote IRR is clear, then sets
 * remote IRR until the local APIC's EOI for that vector (or a write of the EOI register) clears
 * it, after which a still-high pin delivers again. Polarity is stored, not applied (QEMU).
 *
 * Delivery to the one local APIC: fixed and lowest-priority when the destination names it
 * (physical: its APIC ID or 0xFF; logical: its LDR/DFR), NMI as an NMI; SMI, INIT and ExtINT
 * entries are not delivered (a single processor, no SMM; the 8259s reach LINT0 directly).
 */
import type { AccessSize, MmioDevice } from './bus';
import type { LocalApic } from './local-apic';
import { sealState, openState } from '../state/codec';

export const IOAPIC_BASE = 0xfec00000;
export const IOAPIC_SIZE = 0x1000;
export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x00170020;

const MASKED = 1 << 16;
const LEVEL = 1 << 15;
const REMOTE_IRR = 1 << 14;
const WRITABLE_LOW = 0x1afff; // vector, delivery mode, destination mode, polarity, trigger, mask
const DELIVERY_FIXED = 0;
const DELIVERY_LOWEST = 1;
const DELIVERY_NMI = 4;

export class IoApic implements MmioDevice {
  private id = 0;
  private select = 0;
  private readonly low = new Uint32Array(IOAPIC_PINS).fill(MASKED);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  private irr = 0; // pins with a request latched (edge) or asserted (level)
  private levels = 0; // pin input levels

  constructor(private readonly apic: LocalApic) {}

  /** Drives pin `pin` (0-23). */
  setPin(pin: number, high: boolean): void {
    const bit = 1 << pin;
    const was = (this.levels & bit) !== 0;
    if (high) this.levels |= bit;
    else this.levels &= ~bit;
    if (this.low[pin] & LEVEL) {
      if (high) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (high && !was && (this.low[pin] & MASKED) === 0) {
      this.irr |= bit; // an edge on a masked pin is lost (82093AA datasheet, and QEMU)
    }
    this.service();
  }

  /** End of interrupt for `vector` (the local APIC's EOI of a level-triggered vector). */
  eoi(vector: number): void {
    for (let n = 0; n < IOAPIC_PINS; n++) {
      if ((this.low[n] & 0xff) === vector && this.low[n] & REMOTE_IRR) this.low[n] &= ~REMOTE_IRR;
    }
    this.service();
  }

  /** Whether an edge on `pin` now would interrupt the CPU (for halt detection; changes nothing). */
  wouldDeliver(pin: number): boolean {
    const e = this.low[pin];
    if (e & MASKED || (e & LEVEL && e & REMOTE_IRR)) return false;
    const mode = (e >>> 8) & 7;
    if (!this.apic.isDestination(this.high[pin] >>> 24, (e & (1 << 11)) !== 0)) return false;
    if (mode === DELIVERY_NMI) return true;
    return (mode === DELIVERY_FIXED || mode === DELIVERY_LOWEST) && this.apic.wouldAccept(e & 0xff);
  }

  /** The redirection entry of `pin` as [low, high], for tests and the debugger. */
  entry(pin: number): [number, number] {
    return [this.low[pin], this.high[pin]];
  }

  private service(): void {
    for (let n = 0; n < IOAPIC_PINS; n++) {
      const bit = 1 << n;
      if ((this.irr & bit) === 0) continue;
      const e = this.low[n];
      if (e & MASKED) continue;
      const level = (e & LEVEL) !== 0;
      if (level) {
        if (e & REMOTE_IRR) continue;
      } else {
        this.irr &= ~bit;
      }
      if (this.deliver(e, this.high[n] >>> 24) && level) this.low[n] |= REMOTE_IRR;
    }
  }

  /** Sends entry `e` to the local APIC; returns whether it was accepted as a fixed interrupt. */
  private deliver(e: number, dest: number): boolean {
    const mode = (e >>> 8) & 7;
    if (!this.apic.isDestination(dest, (e & (1 << 11)) !== 0)) return false;
    if (mode === DELIVERY_FIXED || mode === DELIVERY_LOWEST) {
      this.apic.raise(e & 0xff, (e & LEVEL) !== 0);
      return true;
    }
    if (mode === DELIVERY_NMI) this.apic.nmiPending = true;
    return false;
  }

  mmioRead(offset: number, size: AccessSize): number {
    if (offset === 0x00) return this.select;
    if (offset !== 0x10 || size !== 4) return 0;
    const i = this.select;
    if (i === 0x00) return (this.id << 24) >>> 0;
    if (i === 0x01) return IOAPIC_VERSION;
    if (i === 0x02) return (this.id << 24) >>> 0;
    if (i >= 0x10 && i < 0x10 + 2 * IOAPIC_PINS) {
      const n = (i - 0x10) >>> 1;
      return i & 1 ? this.high[n] : this.low[n];
    }
    return 0;
  }

  mmioWrite(offset: number, value: number, size: AccessSize): void {
    if (offset === 0x00) {
      this.select = value & 0xff;
      return;
    }
    if (offset === 0x40) {
      this.eoi(value & 0xff);
      return;
    }
    if (offset !== 0x10 || size !== 4) return;
    const i = this.select;
    if (i === 0x00) {
      this.id = (value >>> 24) & 0x0f;
      return;
    }
    if (i >= 0x10 && i < 0x10 + 2 * IOAPIC_PINS) {
      const n = (i - 0x10) >>> 1;
      if (i & 1) this.high[n] = value >>> 0; // destination in bits 31-24; QEMU keeps the reserved bits too
      else {
        this.low[n] = ((this.low[n] & REMOTE_IRR) | (value & WRITABLE_LOW)) >>> 0;
        if ((this.low[n] & LEVEL) === 0) this.low[n] &= ~REMOTE_IRR;
        else if (this.levels & (1 << n)) this.irr |= 1 << n;
        this.service();
      }
    }
  }

  saveState(): Uint8Array {
    return sealState('IOAP', 1, (w) => {
      w.u8(this.id);
      w.u8(this.select);
      w.u32s(this.low);
      w.u32s(this.high);
      w.u32(this.irr);
      w.u32(this.levels);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('IOAP', 1, bytes, 'I/O APIC state');
    const id = r.u8(), select = r.u8();
    const low = r.u32s(IOAPIC_PINS, 'redirection low'), high = r.u32s(IOAPIC_PINS, 'redirection high');
    const irr = r.u32(), levels = r.u32();
    r.end();
    this.id = id;
    this.select = select;
    this.low.set(low);
    this.high.set(high);
    this.irr = irr;
    this.levels = levels;
  }
}
