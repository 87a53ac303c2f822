/**
 * The BIOS data area (0x400-0x4FF) and the extended BIOS data area as SeaBIOS and its VGA
 * BIOS leave them when QEMU's Multiboot option ROM starts a kernel (QEMU 7.2, `pc` machine,
 * `-nic none`). Every byte not listed is zero, as on QEMU.
 *
 * One field differs by design: the timer tick count at 0x46C (ticks of the 18.2 Hz BIOS clock
 * since midnight) and its midnight flag at 0x470 come from the host's clock on QEMU; ringside
 * stores the count for its fixed start time, midnight: 0.
 */
import { BDA_ADDRESS, EBDA_ADDRESS, EBDA_KIB, EBDA_SEGMENT } from './layout';
import { TableWriter } from './checksum';

/** Conventional memory in KiB as INT 12h reports it: 640 KiB minus the EBDA. */
export const BASE_MEMORY_KIB = 640 - EBDA_KIB;

/** [offset in the BDA, size in bytes, value, meaning] */
const FIELDS: readonly (readonly [number, 1 | 2 | 4, number, string])[] = [
  [0x00, 2, 0x3f8, 'COM1 base port'],
  [0x08, 2, 0x378, 'LPT1 base port'],
  [0x0e, 2, EBDA_SEGMENT, 'EBDA segment'],
  [0x10, 2, 0x4227, 'equipment word: floppy, x87 (QEMU\'s value; ringside\'s CPUID has no FPU), PS/2 mouse, 80x25 colour, 1 serial, 1 parallel port'],
  [0x13, 2, BASE_MEMORY_KIB, 'conventional memory (KiB)'],
  [0x1a, 2, 0x1e, 'keyboard buffer head'],
  [0x1c, 2, 0x1e, 'keyboard buffer tail'],
  [0x49, 1, 0x03, 'video mode 3 (80x25 text)'],
  [0x4a, 2, 80, 'text columns'],
  [0x4c, 2, 0x1000, 'video page size'],
  [0x50, 2, 0x0200, 'page 0 cursor: row 2, column 0 (after the firmware banner)'],
  [0x60, 2, 0x0607, 'cursor shape (scan lines 6-7)'],
  [0x63, 2, 0x3d4, 'CRTC index port'],
  [0x6c, 4, 0, 'timer ticks since midnight (ringside: its fixed start, midnight)'],
  [0x76, 1, 0xc0, 'fixed-disk control byte'],
  [0x78, 1, 0x14, 'LPT1 timeout'],
  [0x7c, 1, 0x0a, 'COM1 timeout'],
  [0x80, 2, 0x1e, 'keyboard buffer start'],
  [0x82, 2, 0x3e, 'keyboard buffer end'],
  [0x84, 1, 24, 'text rows minus one'],
  [0x85, 2, 16, 'character height (scan lines)'],
  [0x87, 1, 0x60, 'video control'],
  [0x88, 1, 0xf9, 'video switches'],
  [0x89, 1, 0x51, 'video mode-set control'],
  [0x8a, 1, 0x08, 'display combination code index'],
  [0x8f, 1, 0x07, 'floppy/hard disk information'],
  [0x96, 1, 0x10, 'keyboard flags: 101/102-key keyboard'],
  [0xa8, 4, 0xc0006820, 'VGA save pointer table (C000:6820)'],
  [0xb9, 2, 0x0340, 'SeaVGABIOS private: VBE flags and mode 3'],
  [0xbc, 2, 0x68c6, 'SeaVGABIOS private: its video parameter table offset'],
];

/** Writes the BDA and the EBDA's size word (the rest of both reads zero). */
export function writeBiosDataArea(ram: Uint8Array): void {
  ram.fill(0, BDA_ADDRESS, BDA_ADDRESS + 0x100);
  ram.fill(0, EBDA_ADDRESS, EBDA_ADDRESS + EBDA_KIB * 1024);
  const w = new TableWriter(ram, 0);
  for (const [offset, size, value] of FIELDS) {
    w.at = BDA_ADDRESS + offset;
    if (size === 1) w.u8(value);
    else if (size === 2) w.u16(value);
    else w.u32(value);
  }
  ram[EBDA_ADDRESS] = EBDA_KIB; // first byte of the EBDA: its size in KiB
}
