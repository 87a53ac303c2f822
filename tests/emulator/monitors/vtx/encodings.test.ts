import { describe, it, expect } from 'vitest';
import * as F from '../../../../emulator/monitors/vtx/encodings';
import { Vmcs } from '../../../../emulator/monitors/vtx/vmcs';
import { EXIT_REASON_NAMES } from '../../../../emulator/monitors/vtx/exit-reasons';

/** Which SDM appendix B group each field constant was declared in: width and type, by prefix of its encoding. */
const GROUPS: [string, number, number][] = [
  // [name, width, type] as appendix B names the tables
  ['B.1.1 16-bit control', F.WIDTH_16, F.TYPE_CONTROL],
  ['B.1.2 16-bit guest-state', F.WIDTH_16, F.TYPE_GUEST],
  ['B.1.3 16-bit host-state', F.WIDTH_16, F.TYPE_HOST],
  ['B.2.1 64-bit control', F.WIDTH_64, F.TYPE_CONTROL],
  ['B.2.2 64-bit read-only data', F.WIDTH_64, F.TYPE_EXIT_INFO],
  ['B.2.3 64-bit guest-state', F.WIDTH_64, F.TYPE_GUEST],
  ['B.3.1 32-bit control', F.WIDTH_32, F.TYPE_CONTROL],
  ['B.3.2 32-bit read-only data', F.WIDTH_32, F.TYPE_EXIT_INFO],
  ['B.3.3 32-bit guest-state', F.WIDTH_32, F.TYPE_GUEST],
  ['B.3.4 32-bit host-state', F.WIDTH_32, F.TYPE_HOST],
  ['B.4.1 natural-width control', F.WIDTH_NATURAL, F.TYPE_CONTROL],
  ['B.4.2 natural-width read-only data', F.WIDTH_NATURAL, F.TYPE_EXIT_INFO],
  ['B.4.3 natural-width guest-state', F.WIDTH_NATURAL, F.TYPE_GUEST],
  ['B.4.4 natural-width host-state', F.WIDTH_NATURAL, F.TYPE_HOST],
];

describe('VMCS field encodings (SDM appendix B)', () => {
  const fields = [...F.fieldNames()];

  it('decodes width, type and index of every field, and rebuilds the same encoding', () => {
    expect(fields.length).toBeGreaterThan(100);
    for (const [enc, name] of fields) {
      const d = F.decodeEncoding(enc);
      expect(d, name).not.toBeNull();
      expect(d!.high, name).toBe(false);
      expect(F.makeEncoding(d!.width, d!.type, d!.index)).toBe(enc);
      // The SDM's naming agrees with the decoded type.
      if (name.startsWith('guest_') && !/^guest_(linear|physical)_address$/.test(name)) expect(d!.type, name).toBe(F.TYPE_GUEST);
      if (name.startsWith('host_')) expect(d!.type, name).toBe(F.TYPE_HOST);
    }
  });

  it('places known fields in their appendix B group', () => {
    const cases: [number, number, number, number][] = [
      // encoding, width, type, index
      [F.GUEST_ES_SELECTOR, F.WIDTH_16, F.TYPE_GUEST, 0],
      [F.GUEST_TR_SELECTOR, F.WIDTH_16, F.TYPE_GUEST, 7],
      [F.HOST_TR_SELECTOR, F.WIDTH_16, F.TYPE_HOST, 6],
      [F.EPT_POINTER, F.WIDTH_64, F.TYPE_CONTROL, 13],
      [F.GUEST_PHYSICAL_ADDRESS, F.WIDTH_64, F.TYPE_EXIT_INFO, 0],
      [F.VMCS_LINK_POINTER, F.WIDTH_64, F.TYPE_GUEST, 0],
      [F.PIN_BASED_VM_EXEC_CONTROL, F.WIDTH_32, F.TYPE_CONTROL, 0],
      [F.SECONDARY_VM_EXEC_CONTROL, F.WIDTH_32, F.TYPE_CONTROL, 15],
      [F.VM_EXIT_REASON, F.WIDTH_32, F.TYPE_EXIT_INFO, 1],
      [F.VMX_INSTRUCTION_INFO, F.WIDTH_32, F.TYPE_EXIT_INFO, 7],
      [F.GUEST_INTERRUPTIBILITY_INFO, F.WIDTH_32, F.TYPE_GUEST, 18],
      [F.HOST_IA32_SYSENTER_CS, F.WIDTH_32, F.TYPE_HOST, 0],
      [F.CR3_TARGET_VALUE3, F.WIDTH_NATURAL, F.TYPE_CONTROL, 7],
      [F.EXIT_QUALIFICATION, F.WIDTH_NATURAL, F.TYPE_EXIT_INFO, 0],
      [F.GUEST_LINEAR_ADDRESS, F.WIDTH_NATURAL, F.TYPE_EXIT_INFO, 5],
      [F.GUEST_RIP, F.WIDTH_NATURAL, F.TYPE_GUEST, 15],
      [F.HOST_RIP, F.WIDTH_NATURAL, F.TYPE_HOST, 11],
    ];
    for (const [enc, width, type, index] of cases) expect(F.decodeEncoding(enc)).toEqual({ high: false, width, type, index });
  });

  it('covers every appendix B group, with indexes unique within a group', () => {
    for (const [group, width, type] of GROUPS) {
      const inGroup = fields.filter(([enc]) => F.decodeEncoding(enc)!.width === width && F.decodeEncoding(enc)!.type === type);
      expect(inGroup.length, group).toBeGreaterThan(0);
      const idx = inGroup.map(([enc]) => F.decodeEncoding(enc)!.index);
      expect(new Set(idx).size, group).toBe(idx.length);
    }
  });

  it('rejects encodings with reserved bits set', () => {
    expect(F.decodeEncoding(0x1000)).toBeNull();
    expect(F.decodeEncoding(0x8000)).toBeNull();
    expect(F.decodeEncoding(0x10000)).toBeNull();
  });

  it('VMREAD/VMWRITE: high access to 64-bit fields, read-only exit information, unsupported components', () => {
    const v = new Vmcs(0);
    expect(v.vmwrite(F.EPT_POINTER, 0x1234501e)).toBe(0);
    expect(v.vmwrite(F.EPT_POINTER | 1, 0x7)).toBe(0);
    expect(v.get(F.EPT_POINTER)).toBe(7 * 2 ** 32 + 0x1234501e);
    expect(v.vmread(F.EPT_POINTER | 1)).toEqual({ value: 7 });
    expect(v.vmread(F.EPT_POINTER)).toEqual({ value: 0x1234501e });
    expect(v.vmwrite(F.VM_EXIT_REASON, 1)).toBe(13);
    expect(v.vmwrite(F.GUEST_RIP | 1, 1)).toBe(12);
    expect(v.vmread(0x6c7e)).toEqual({ error: 12 });
    v.vmwrite(F.GUEST_CS_SELECTOR, 0x12345);
    expect(v.get(F.GUEST_CS_SELECTOR)).toBe(0x2345);
  });
});

describe('basic exit reasons (SDM appendix C)', () => {
  it('numbers and names the reasons the model produces as the SDM does', () => {
    expect(EXIT_REASON_NAMES[0]).toBe('exception or non-maskable interrupt (NMI)');
    expect(EXIT_REASON_NAMES[10]).toBe('CPUID');
    expect(EXIT_REASON_NAMES[28]).toBe('control-register accesses');
    expect(EXIT_REASON_NAMES[30]).toBe('I/O instruction');
    expect(EXIT_REASON_NAMES[33]).toBe('VM-entry failure due to invalid guest state');
    expect(EXIT_REASON_NAMES[43]).toBe('TPR below threshold');
    expect(EXIT_REASON_NAMES[44]).toBe('APIC access');
    expect(EXIT_REASON_NAMES[48]).toBe('EPT violation');
    expect(EXIT_REASON_NAMES[49]).toBe('EPT misconfiguration');
    expect(EXIT_REASON_NAMES[35]).toBeUndefined(); // reserved
  });
});
