/**
 * The processor state in which QEMU's Multiboot option ROM (after SeaBIOS) jumps to a kernel,
 * read from QEMU 7.2 with gdb (`-s -S`, a hardware breakpoint on the entry point, `monitor info
 * registers`):
 *
 *   EAX 0x2BADB002  EBX 0x9500 (Multiboot information)  ECX the entry point
 *   EDX (mem_upper & 0xFFFF0000) | 0x511: the option ROM's last fw_cfg data port, under the
 *       high half of the KiB count it computed for mem_upper
 *   ESI 0  EDI 0x1000  EBP 0  ESP 0x6F08 (the option ROM's stack, left as it was)
 *   EFLAGS 0x00000006 (PF set)  CR0 0x11 (PE, ET)  CR2 = CR3 = CR4 = 0
 *   DR0-DR3 0, DR6 0xFFFF0FF0, DR7 0x400 (their reset values)
 *   GDTR 0xCA2B8 limit 0x27: null, 0x08 code32, 0x10 data32, 0x18 code16, 0x20 data16, all base
 *        0; the ROM is read-only, so CS's cached access byte stays 0x9A (not accessed)
 *   CS 0x08; DS ES FS GS SS 0x10, flat 4 GiB; IDTR 0 limit 0x3FF; LDTR and TR 0
 *
 * SeaBIOS also leaves the local APIC software-enabled in virtual-wire mode: spurious vector
 * register 0x1FF, LINT0 ExtINT level-triggered (0x8700), LINT1 NMI level-triggered (0x8400).
 */
import { OPTION_ROM_GDT } from './layout';

/** The option ROM's GDT, as QEMU's ROM holds it. */
export const ENTRY_GDT_BYTES: readonly number[] = [
  0, 0, 0, 0, 0, 0, 0, 0,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00, // 0x08: 32-bit code, 4 GiB, DPL 0
  0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00, // 0x10: 32-bit data, 4 GiB, DPL 0, accessed
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9e, 0x00, 0x00, // 0x18: 16-bit conforming code, 64 KiB
  0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0x00, 0x00, // 0x20: 16-bit data, 64 KiB
];
export const ENTRY_GDT = OPTION_ROM_GDT;
export const ENTRY_CS = 0x08;
export const ENTRY_DS = 0x10;
/** Cached attribute words (bits 8-23 of the descriptor's high dword) of CS and the data segments. */
export const ENTRY_CS_ATTR = 0x00cf9a00;
export const ENTRY_DATA_ATTR = 0x00cf9300;
export const ENTRY_EFLAGS = 0x00000006;
export const ENTRY_EDI = 0x1000;
export const ENTRY_DR6 = 0xffff0ff0;
export const ENTRY_DR7 = 0x400;

/** EDX at entry for a given mem_upper (KiB). */
export function entryEdx(memUpperKiB: number): number {
  return ((memUpperKiB & 0xffff0000) | 0x511) >>> 0;
}

/** Local APIC registers SeaBIOS programs: [MMIO offset, value]. */
export const APIC_VIRTUAL_WIRE: readonly (readonly [number, number])[] = [
  [0x0f0, 0x1ff], // spurious-interrupt vector: APIC enabled, vector 0xFF
  [0x350, 0x8700], // LINT0: ExtINT, level
  [0x360, 0x8400], // LINT1: NMI, level
];
