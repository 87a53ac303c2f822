/**
 * The ISA interrupt lines of the `pc` machine: ISA IRQ n goes both to input n of the 8259s
 * and to pin n of the I/O APIC, except IRQ 0 (the PIT), which reaches I/O APIC pin 2 (the
 * interrupt source override the MADT and the MP table announce). Devices raise their IRQ here
 * and never know which controller the guest uses.
 */
import type { Pic8259Pair } from './pic8259';
import type { IoApic } from './ioapic';
import type { LocalApic } from './local-apic';

export class IsaIrqs {
  constructor(
    private readonly pic: Pic8259Pair,
    private readonly ioapic: IoApic,
    private readonly apic: LocalApic,
  ) {}

  /**
   * Whether a request on `irq` now would interrupt the CPU, through the 8259s (not masked nor
   * blocked by a level in service, and LINT0 passing ExtINT) or through the I/O APIC (the
   * entry unmasked, not waiting for an EOI, its vector above the processor priority).
   */
  canInterrupt(irq: number): boolean {
    if (this.pic.wouldRequest(irq) && this.apic.passesExtInt()) return true;
    return this.ioapic.wouldDeliver(irq === 0 ? 2 : irq);
  }

  /** Drives ISA IRQ `irq` (0-15) high or low. */
  set(irq: number, high: boolean): void {
    this.pic.setIrq(irq, high);
    this.ioapic.setPin(irq === 0 ? 2 : irq, high);
  }
}
