/**
 * Where the PC firmware leaves its data in memory when `qemu-system-i386 -kernel` starts a
 * Multiboot kernel (QEMU 7.2's `pc` machine without a network card, `-nic none`: SeaBIOS
 * 1.16, then QEMU's Multiboot option ROM). ringside writes the same structures at the same
 * addresses (bios-data-area.ts, mp-table.ts, acpi.ts, entry-state.ts); this file is the one
 * place their addresses and the RAM layout they imply are defined.
 *
 *   0x00400  BIOS data area (256 bytes)
 *   0x06f08  ESP at the kernel's entry (the option ROM's stack)
 *   0x9fc00  extended BIOS data area (1 KiB, reserved in the memory map)
 *   0xca2b8  the option ROM's GDT (5 descriptors) that GDTR points to at entry
 *   0xf59d0  ACPI RSDP             0xf5ba0  MP floating pointer   0xf5bb0  MP configuration table
 *   0xf0000-0xfffff reserved in the memory map (SeaBIOS's F segment)
 *   top - 128 KiB .. top: ACPI tables (reserved), where top is the end of RAM below 4 GiB
 */

const MIB = 0x100000;
/** RAM of this size or more is split by QEMU's pc machine: 3 GiB below 4 GiB, the rest above. */
const PC_LOWMEM_LIMIT = 0xe0000000;
const PC_LOWMEM_SPLIT = 0xc0000000;

export const BDA_ADDRESS = 0x400;
export const EBDA_SEGMENT = 0x9fc0;
export const EBDA_ADDRESS = EBDA_SEGMENT << 4;
export const EBDA_KIB = 1;
export const OPTION_ROM_GDT = 0xca2b8;
export const ENTRY_ESP = 0x6f08;
export const ACPI_RSDP_ADDRESS = 0xf59d0;
export const MP_FLOATING_POINTER_ADDRESS = 0xf5ba0;
export const MP_CONFIG_TABLE_ADDRESS = 0xf5bb0;
export const BIOS_AREA = { start: 0xf0000, end: 0x100000 } as const;
/** SeaBIOS keeps the ACPI tables in the top 128 KiB of the RAM below 4 GiB (reserved in E820). */
export const ACPI_AREA_SIZE = 0x20000;
/** Below this much RAM there is no room for the ACPI area above 1 MiB: ringside leaves it out. */
export const ACPI_MIN_RAM = 2 * MIB;

/** End of the RAM below 4 GiB, as QEMU's pc machine lays it out. */
export function lowRamTop(ramSize: number): number {
  return ramSize >= PC_LOWMEM_LIMIT ? PC_LOWMEM_SPLIT : ramSize;
}

/** Start of the ACPI tables' reserved area, or undefined when RAM is too small to hold it. */
export function acpiAreaBase(ramSize: number): number | undefined {
  const top = lowRamTop(ramSize);
  return top >= ACPI_MIN_RAM ? top - ACPI_AREA_SIZE : undefined;
}

/** End of the RAM that starts at 1 MiB (the memory map's last RAM range below 4 GiB). */
export function highRamEnd(ramSize: number): number {
  return acpiAreaBase(ramSize) ?? lowRamTop(ramSize);
}
