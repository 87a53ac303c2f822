/**
 * The ACPI tables SeaBIOS installs from QEMU 7.2's `pc` machine (`-nic none`), ACPI 1.0:
 *
 *   RSDP at 0xF59D0 (revision 0, OEM "BOCHS ") -> RSDT at area + 0x1AD8
 *   RSDT  lists the FADT and the MADT
 *   FADT  (area + 0x198C, revision 1) -> FACS (area + 0) and DSDT (area + 0x40); the PIIX4
 *         power-management block at 0x600 (PM1a event 0x600, control 0x604, PM timer 0x608),
 *         GPE0 at 0xAFE0, SCI on IRQ 9, SMI command port 0xB2, RTC century index 0x32
 *   MADT  (area + 0x1A00) local APIC 0xFEE00000 with PCAT_COMPAT, processor 0 / APIC ID 0,
 *         I/O APIC 0 at 0xFEC00000 (GSI base 0), interrupt source overrides ISA IRQ 0 -> GSI 2
 *         and IRQs 5, 9, 10, 11 level-triggered active-high, LINT1 NMI for every processor
 *
 * where `area` is the start of the reserved top 128 KiB of the RAM below 4 GiB (layout.ts).
 * Every table sits at QEMU's address with QEMU's bytes, except:
 *   - the DSDT holds no AML (QEMU's 6476 bytes describe devices ringside does not model);
 *     ringside's is the bare 36-byte header, so a kernel that walks the tables finds it valid;
 *   - the RSDT does not list QEMU's HPET and WAET tables (ringside has no HPET).
 * The PIIX4 power-management ports the FADT names are not emulated (reads give all ones).
 */
import { ACPI_RSDP_ADDRESS, acpiAreaBase } from './layout';
import { TableWriter } from './checksum';
import { IOAPIC_ADDRESS, LOCAL_APIC_ADDRESS } from './mp-table';

export const FACS_OFFSET = 0x0;
export const DSDT_OFFSET = 0x40;
export const FADT_OFFSET = 0x198c;
export const MADT_OFFSET = 0x1a00;
export const RSDT_OFFSET = 0x1ad8;
const HEADER = 36;

/** Writes the standard 36-byte description header (checksum filled by `finish`). */
function header(w: TableWriter, signature: string, length: number, revision: number): void {
  w.text(signature, 4).u32(length).u8(revision).u8(0).text('BOCHS', 6).text('BXPC', 8).u32(1).text('BXPC', 4).u32(1);
}

function finish(w: TableWriter, start: number): void {
  if (w.at - start !== new DataView(w.mem.buffer, w.mem.byteOffset).getUint32(start + 4, true)) {
    throw new Error(`ACPI table at 0x${start.toString(16)}: length field disagrees with its content`);
  }
  w.checksum(start + 9, start, w.at);
}

/** Writes the tables for a RAM of `ramSize` bytes; returns the RSDT address (undefined: no ACPI). */
export function writeAcpiTables(ram: Uint8Array, ramSize: number): number | undefined {
  const area = acpiAreaBase(ramSize);
  if (area === undefined) return undefined;
  const facs = area + FACS_OFFSET, dsdt = area + DSDT_OFFSET, fadt = area + FADT_OFFSET;
  const madt = area + MADT_OFFSET, rsdt = area + RSDT_OFFSET;

  let w = new TableWriter(ram, facs);
  w.text('FACS', 4).u32(64);
  ram.fill(0, facs + 8, facs + 64); // hardware signature, waking vector, global lock, flags: 0

  w = new TableWriter(ram, dsdt);
  header(w, 'DSDT', HEADER, 1);
  finish(w, dsdt);

  w = new TableWriter(ram, fadt);
  header(w, 'FACP', 116, 1);
  w.u32(facs).u32(dsdt);
  w.u8(1).u8(0).u16(9); // INT_MODEL (ACPI 1.0), reserved, SCI_INT
  w.u32(0xb2).u8(0xf1).u8(0xf0).u8(0).u8(0); // SMI_CMD, ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, reserved
  w.u32(0x600).u32(0).u32(0x604).u32(0).u32(0).u32(0x608); // PM1a_EVT, PM1b_EVT, PM1a_CNT, PM1b_CNT, PM2_CNT, PM_TMR
  w.u32(0xafe0).u32(0); // GPE0_BLK, GPE1_BLK
  w.u8(4).u8(2).u8(0).u8(4).u8(4).u8(0).u8(0).u8(0); // PM1_EVT_LEN PM1_CNT_LEN PM2_CNT_LEN PM_TMR_LEN GPE0_LEN GPE1_LEN GPE1_BASE reserved
  w.u16(0xfff).u16(0xfff).u16(0).u16(0); // P_LVL2_LAT, P_LVL3_LAT (no C2/C3), FLUSH_SIZE, FLUSH_STRIDE
  w.u8(0).u8(0).u8(0).u8(0).u8(0x32); // DUTY_OFFSET, DUTY_WIDTH, DAY_ALRM, MON_ALRM, CENTURY (CMOS index)
  w.u8(0).u8(0).u8(0); // reserved (IAPC_BOOT_ARCH in later revisions), reserved
  w.u32(0x80a5); // flags: WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, USE_PLATFORM_CLOCK
  finish(w, fadt);

  w = new TableWriter(ram, madt);
  header(w, 'APIC', 120, 1);
  w.u32(LOCAL_APIC_ADDRESS).u32(1); // local APIC address, PCAT_COMPAT (8259s present)
  w.u8(0).u8(8).u8(0).u8(0).u32(1); // processor 0, APIC ID 0, enabled
  w.u8(1).u8(12).u8(0).u8(0).u32(IOAPIC_ADDRESS).u32(0); // I/O APIC 0, GSI base 0
  w.u8(2).u8(10).u8(0).u8(0).u32(2).u16(0); // ISA IRQ 0 -> GSI 2, conforming
  for (const irq of [5, 9, 10, 11]) w.u8(2).u8(10).u8(0).u8(irq).u32(irq).u16(0x000d); // level, active high
  w.u8(4).u8(6).u8(0xff).u16(0).u8(1); // NMI on LINT1 of every processor
  finish(w, madt);

  w = new TableWriter(ram, rsdt);
  header(w, 'RSDT', HEADER + 8, 1);
  w.u32(fadt).u32(madt);
  finish(w, rsdt);

  w = new TableWriter(ram, ACPI_RSDP_ADDRESS);
  w.text('RSD PTR ', 8).u8(0).text('BOCHS', 6).u8(0).u32(rsdt);
  w.checksum(ACPI_RSDP_ADDRESS + 8, ACPI_RSDP_ADDRESS, ACPI_RSDP_ADDRESS + 20);
  return rsdt;
}
