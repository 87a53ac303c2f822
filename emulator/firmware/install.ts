/**
 * Everything the PC firmware leaves in memory for a kernel started like `qemu -kernel`: the BIOS
 * data areas, the MP tables, the ACPI tables and the option ROM's GDT (see layout.ts for where).
 */
import { writeBiosDataArea } from './bios-data-area';
import { writeMpTables } from './mp-table';
import { writeAcpiTables } from './acpi';
import { ENTRY_GDT, ENTRY_GDT_BYTES } from './entry-state';
import { ACPI_AREA_SIZE, ACPI_RSDP_ADDRESS, BDA_ADDRESS, EBDA_ADDRESS, MP_FLOATING_POINTER_ADDRESS, acpiAreaBase } from './layout';

/**
 * Writes the firmware's structures into `ram` (the guest's RAM of `ramSize` bytes); returns
 * the physical ranges [start, end) written (everything else it leaves untouched).
 */
export function installFirmware(ram: Uint8Array, ramSize: number): { start: number; end: number }[] {
  writeBiosDataArea(ram);
  const mpLength = writeMpTables(ram);
  ram.set(ENTRY_GDT_BYTES, ENTRY_GDT);
  const ranges = [
    { start: BDA_ADDRESS, end: BDA_ADDRESS + 0x100 },
    { start: EBDA_ADDRESS, end: EBDA_ADDRESS + 1 },
    { start: ENTRY_GDT, end: ENTRY_GDT + ENTRY_GDT_BYTES.length },
    { start: MP_FLOATING_POINTER_ADDRESS, end: MP_FLOATING_POINTER_ADDRESS + 16 + mpLength },
  ];
  if (writeAcpiTables(ram, ramSize) !== undefined) {
    ranges.push({ start: ACPI_RSDP_ADDRESS, end: ACPI_RSDP_ADDRESS + 20 });
    const area = acpiAreaBase(ramSize) as number;
    ranges.push({ start: area, end: area + ACPI_AREA_SIZE });
  }
  return ranges;
}
