/**
 * The VMCS: a 4 KiB region of host-physical memory, outside the guest's physical address space
 * (the guest cannot reach it: its RAM ends below, and no EPT entry maps it), holding the
 * revision identifier and the VMX-abort indicator (SDM 24.2), and the processor's cache of the
 * fields, kept apart in a typed array indexed by slot (the layout of the data inside the region
 * is implementation-specific, SDM 24.2; like processors, this model keeps the current VMCS's
 * fields in the processor). VMREAD/VMWRITE-style access is by encoding only.
 */
import { decodeEncoding, fieldNames, WIDTH_16, WIDTH_32, TYPE_EXIT_INFO } from './encodings';
import { VMXERR_UNSUPPORTED_VMCS_COMPONENT, VMXERR_VMWRITE_READ_ONLY_COMPONENT } from './exit-reasons';

/** Every kept encoding -> its slot in the field cache. */
const SLOTS = new Map<number, number>();
for (const enc of [...fieldNames().keys()].sort((a, b) => a - b)) SLOTS.set(enc, SLOTS.size);
export const VMCS_FIELD_COUNT = SLOTS.size;
/** The same, as an array indexed by encoding (-1: not kept): every VM exit and entry reads and writes dozens of fields. */
const SLOT_OF = new Int16Array(0x10000).fill(-1);
for (const [enc, slot] of SLOTS) SLOT_OF[enc] = slot;

/** Whether the model keeps a field with this encoding. */
export function isSupportedField(enc: number): boolean {
  return SLOTS.has(enc);
}

export class Vmcs {
  readonly fields = new Float64Array(VMCS_FIELD_COUNT); // the field cache, by slot
  launched = false; // launch state (SDM 24.1): "clear" until VMLAUNCH succeeds
  readonly address: number; // host-physical address of the VMCS region

  constructor(address: number) {
    this.address = address;
  }

  /** The value of a field (unsigned; 64-bit fields as numbers below 2^53). */
  get(enc: number): number {
    const slot = SLOT_OF[enc & 0xffff];
    if (slot < 0 || enc >>> 16 !== 0) throw new RangeError(`VMCS field ${enc.toString(16)} is not kept by this model`);
    return this.fields[slot];
  }

  /** Sets a field, truncated to its width (the processor's writes: exit information included). */
  set(enc: number, value: number): void {
    const slot = SLOT_OF[enc & 0xffff];
    if (slot < 0 || enc >>> 16 !== 0) throw new RangeError(`VMCS field ${enc.toString(16)} is not kept by this model`);
    const width = (enc >>> 13) & 3;
    this.fields[slot] = width === WIDTH_16 ? value & 0xffff : width === WIDTH_32 || width === 3 ? value >>> 0 : Math.max(0, Math.floor(value));
  }

  /**
   * VMREAD (SDM 30.3): the field's value, or a VM-instruction error number as `{ error }`.
   * The access-type bit selects the high half of a 64-bit field.
   */
  vmread(enc: number): { value: number } | { error: number } {
    const d = decodeEncoding(enc);
    const full = enc & ~1;
    if (d === null || !SLOTS.has(full) || (d.high && d.width !== 1)) return { error: VMXERR_UNSUPPORTED_VMCS_COMPONENT };
    const v = this.get(full);
    return { value: d.high ? Math.floor(v / 4294967296) : v % 4294967296 };
  }

  /** VMWRITE (SDM 30.3): the VM-exit information fields are read-only (no VMWRITE-all capability). */
  vmwrite(enc: number, value: number): number {
    const d = decodeEncoding(enc);
    const full = enc & ~1;
    if (d === null || !SLOTS.has(full) || (d.high && d.width !== 1)) return VMXERR_UNSUPPORTED_VMCS_COMPONENT;
    if (d.type === TYPE_EXIT_INFO) return VMXERR_VMWRITE_READ_ONLY_COMPONENT;
    if (d.high) {
      const lo = this.get(full) % 4294967296;
      this.set(full, (value >>> 0) * 4294967296 + lo);
    } else if (d.width === 1) {
      const hi = Math.floor(this.get(full) / 4294967296);
      this.set(full, hi * 4294967296 + (value >>> 0));
    } else this.set(full, value);
    return 0;
  }

  /** Every kept field with a non-zero value, by encoding (snapshots, `at`). */
  nonZero(): [number, number][] {
    const out: [number, number][] = [];
    for (const [enc, slot] of SLOTS) if (this.fields[slot] !== 0) out.push([enc, this.fields[slot]]);
    return out;
  }

  clearFields(): void {
    this.fields.fill(0);
  }
}
