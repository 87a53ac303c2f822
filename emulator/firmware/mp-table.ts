/**
 * The MultiProcessor Specification 1.4 tables SeaBIOS builds for QEMU's `pc` machine
 * (`-nic none`): a floating pointer at 0xF5BA0 and, after it, the configuration table with
 * one processor, the PCI bus 0 and the ISA bus 1, the I/O APIC (ID 0, version 0x11 as SeaBIOS
 * writes it, at 0xFEC00000) and the interrupt routing of both buses.
 *
 * The only value that is not QEMU's is the processor entry's signature and feature flags:
 * SeaBIOS copies them from CPUID leaf 1, so ringside writes its own CPUID's.
 *
 * Interrupt routing, as SeaBIOS writes it: PCI device 1 (the PIIX3) pin A to I/O APIC pin 9
 * (the ACPI SCI of function 3); ISA IRQs 0-15 to the same-numbered pins except IRQ 0 (the
 * PIT), which goes to pin 2, and IRQ 2 (the cascade), 5, 9, 10 and 11 (PCI interrupts),
 * which are not listed; local interrupts: ExtINT on LINT0 and NMI on LINT1.
 */
import { MP_CONFIG_TABLE_ADDRESS, MP_FLOATING_POINTER_ADDRESS } from './layout';
import { TableWriter } from './checksum';
import { CPUID_FEATURES_EDX, CPUID_SIGNATURE } from '../cpu/ops/model';
import { LocalApic } from '../devices/local-apic';

export const IOAPIC_ADDRESS = 0xfec00000;
export const LOCAL_APIC_ADDRESS = 0xfee00000;
const MP_SPEC_REVISION = 4; // 1.4
const MP_IOAPIC_VERSION = 0x11; // SeaBIOS writes 0x11 whatever the I/O APIC reports
const PCI_BUS = 0;
const ISA_BUS = 1;
/** ISA IRQs SeaBIOS leaves out of the routing: the cascade and the PCI interrupt lines. */
const ISA_IRQS_NOT_ROUTED = new Set([2, 5, 9, 10, 11]);

/** Writes the floating pointer and the configuration table; returns the table's length. */
export function writeMpTables(ram: Uint8Array): number {
  const t = MP_CONFIG_TABLE_ADDRESS;
  const w = new TableWriter(ram, t + 44);
  let entries = 0;
  // processor: local APIC ID 0, its version, enabled + bootstrap, CPUID signature and features
  w.u8(0).u8(0).u8(LocalApic.VERSION & 0xff).u8(0x03).u32(CPUID_SIGNATURE).u32(CPUID_FEATURES_EDX).u32(0).u32(0);
  entries++;
  w.u8(1).u8(PCI_BUS).text('PCI', 6);
  w.u8(1).u8(ISA_BUS).text('ISA', 6);
  entries += 2;
  w.u8(2).u8(0).u8(MP_IOAPIC_VERSION).u8(0x01).u32(IOAPIC_ADDRESS); // I/O APIC 0, usable
  entries++;
  // I/O interrupt entries: type 3, INT, polarity/trigger flags, bus, IRQ (PCI: device << 2 | pin), I/O APIC 0, pin
  const intEntry = (bus: number, irq: number, pin: number, flags: number) => {
    w.u8(3).u8(0).u16(flags).u8(bus).u8(irq).u8(0).u8(pin);
    entries++;
  };
  intEntry(PCI_BUS, (1 << 2) | 0, 9, 0x0001); // PCI device 1, INTA#, flags as SeaBIOS writes them
  for (let irq = 0; irq < 16; irq++) {
    if (ISA_IRQS_NOT_ROUTED.has(irq)) continue;
    intEntry(ISA_BUS, irq, irq === 0 ? 2 : irq, 0);
  }
  // local interrupt entries: ExtINT to LINT0 of local APIC 0, NMI to LINT1 of every local APIC (0xFF)
  w.u8(4).u8(3).u16(0).u8(ISA_BUS).u8(0).u8(0).u8(0);
  w.u8(4).u8(1).u16(0).u8(ISA_BUS).u8(0).u8(0xff).u8(1);
  entries += 2;
  const length = w.at - t;

  const h = new TableWriter(ram, t);
  h.text('PCMP', 4).u16(length).u8(MP_SPEC_REVISION).u8(0).text('BOCHSCPU', 8).text('0.1', 12);
  h.u32(0).u16(0).u16(entries).u32(LOCAL_APIC_ADDRESS).u16(0).u8(0).u8(0);
  h.checksum(t + 7, t, t + length);

  const f = new TableWriter(ram, MP_FLOATING_POINTER_ADDRESS);
  // "_MP_", table address, length in 16-byte units, revision, checksum, features (all 0: a
  // configuration table is present; IMCR absent, virtual-wire mode)
  f.text('_MP_', 4).u32(t).u8(1).u8(MP_SPEC_REVISION).u8(0).u8(0).u32(0);
  f.checksum(MP_FLOATING_POINTER_ADDRESS + 10, MP_FLOATING_POINTER_ADDRESS, MP_FLOATING_POINTER_ADDRESS + 16);
  return length;
}
