import { describe, expect, it } from 'vitest';
import { installFirmware } from '../../../emulator/firmware/install';
import { checksumByte } from '../../../emulator/firmware/checksum';
import { ACPI_RSDP_ADDRESS, MP_FLOATING_POINTER_ADDRESS, acpiAreaBase } from '../../../emulator/firmware/layout';
import { RSDT_OFFSET } from '../../../emulator/firmware/acpi';
import { memoryMap } from '../../../emulator/loader/multiboot';
import { Machine } from '../../../emulator/machine';
import { EAX, EBX, ECX, EDX, ESP, EBP, ESI, EDI, CS, SS } from '../../../emulator/cpu/constants';
import { CPUID_FEATURES_EDX, CPUID_SIGNATURE } from '../../../emulator/cpu/ops/model';
import { guestImage } from '../../helpers/guests';

const MIB = 0x100000;
const u32 = (m: Uint8Array, a: number) => new DataView(m.buffer, m.byteOffset).getUint32(a, true);
const u16 = (m: Uint8Array, a: number) => new DataView(m.buffer, m.byteOffset).getUint16(a, true);
const text = (m: Uint8Array, a: number, n: number) => String.fromCharCode(...m.subarray(a, a + n));
const sums = (m: Uint8Array, a: number, n: number) => checksumByte(m, a, a + n) === 0;

function firmware(ramSize: number): Uint8Array {
  const ram = new Uint8Array(ramSize);
  installFirmware(ram, ramSize);
  return ram;
}

describe('firmware tables', () => {
  const ram = firmware(128 * MIB);

  it('BIOS data area: COM1, LPT1, EBDA segment, 639 KiB, 80x25 text mode', () => {
    expect(u16(ram, 0x400)).toBe(0x3f8);
    expect(u16(ram, 0x408)).toBe(0x378);
    expect(u16(ram, 0x40e)).toBe(0x9fc0);
    expect(u16(ram, 0x413)).toBe(639);
    expect(ram[0x449]).toBe(3);
    expect(u16(ram, 0x463)).toBe(0x3d4);
    expect(ram[0x9fc00]).toBe(1);
  });

  it('MP floating pointer and configuration table are valid and describe ringside\'s CPU and I/O APIC', () => {
    const fp = MP_FLOATING_POINTER_ADDRESS;
    expect(text(ram, fp, 4)).toBe('_MP_');
    expect(sums(ram, fp, 16)).toBe(true);
    const t = u32(ram, fp + 4);
    expect(text(ram, t, 4)).toBe('PCMP');
    const len = u16(ram, t + 4);
    expect(sums(ram, t, len)).toBe(true);
    expect(u16(ram, t + 34)).toBe(18); // entries
    expect(u32(ram, t + 44 + 4)).toBe(CPUID_SIGNATURE);
    expect(u32(ram, t + 44 + 8)).toBe(CPUID_FEATURES_EDX);
    expect(u32(ram, t + 44 + 20 + 16 + 4)).toBe(0xfec00000); // the I/O APIC entry after two buses
  });

  it('ACPI: RSDP -> RSDT -> FADT and MADT, every checksum valid, inside the reserved area of the memory map', () => {
    expect(text(ram, ACPI_RSDP_ADDRESS, 8)).toBe('RSD PTR ');
    expect(sums(ram, ACPI_RSDP_ADDRESS, 20)).toBe(true);
    const rsdt = u32(ram, ACPI_RSDP_ADDRESS + 16);
    const area = acpiAreaBase(128 * MIB)!;
    expect(rsdt).toBe(area + RSDT_OFFSET);
    expect(memoryMap(128 * MIB)).toContainEqual({ base: area, length: 0x20000, type: 2 });
    const n = (u32(ram, rsdt + 4) - 36) / 4;
    const sigs = [];
    for (let i = 0; i < n; i++) {
      const a = u32(ram, rsdt + 36 + 4 * i);
      sigs.push(text(ram, a, 4));
      expect(sums(ram, a, u32(ram, a + 4))).toBe(true);
    }
    expect(sigs).toEqual(['FACP', 'APIC']);
    const fadt = u32(ram, rsdt + 36);
    const dsdt = u32(ram, fadt + 40);
    expect(text(ram, dsdt, 4)).toBe('DSDT');
    expect(sums(ram, dsdt, u32(ram, dsdt + 4))).toBe(true);
    expect(text(ram, u32(ram, fadt + 36), 4)).toBe('FACS');
  });

  it('with less than 2 MiB of RAM there is no ACPI (no RSDP, no reserved top area)', () => {
    const small = firmware(MIB);
    expect(text(small, ACPI_RSDP_ADDRESS, 8)).not.toBe('RSD PTR ');
    expect(memoryMap(MIB).some((e) => e.base === MIB - 0x20000)).toBe(false);
  });
});

describe('entry state', () => {
  it('registers, segments, GDTR and the local APIC as QEMU 7.2 leaves them (gdb -s -S at the entry point)', () => {
    const m = new Machine(guestImage('boot-state'));
    const r = m.cpu.regs;
    expect([r[EAX], r[EBX], r[ECX], r[EDX], r[ESI], r[EDI], r[EBP], r[ESP]].map((v) => v >>> 0)).toEqual([
      0x2badb002, 0x9500, m.cpu.eip, 0x10511, 0, 0x1000, 0, 0x6f08,
    ]);
    expect(m.cpu.getFlags() >>> 0).toBe(0x6);
    expect(m.cpu.cr0 >>> 0).toBe(0x11);
    expect([m.cpu.gdtrBase, m.cpu.gdtrLimit, m.cpu.idtrBase, m.cpu.idtrLimit]).toEqual([0xca2b8, 0x27, 0, 0x3ff]);
    expect([m.cpu.segSel[CS], m.cpu.segSel[SS]]).toEqual([0x08, 0x10]);
    expect(m.apic.mmioRead(0xf0, 4)).toBe(0x1ff);
    expect(m.apic.mmioRead(0x350, 4)).toBe(0x8700);
    expect(m.apic.mmioRead(0x360, 4)).toBe(0x8400);
  });

  it('the first snapshot\'s pages include every page the firmware wrote', () => {
    const m = new Machine(guestImage('boot-state'));
    const pages = new Set(m.firmwareRanges.map((r) => r.start >>> 12));
    for (const p of [0, 0x9f, 0xca, 0xf5, 0x7fe0]) expect(pages.has(p)).toBe(true);
  });
});
