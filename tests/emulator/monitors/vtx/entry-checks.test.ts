import { describe, it, expect } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import type { VtxMonitor } from '../../../../emulator/monitors/vtx/vmm';
import * as F from '../../../../emulator/monitors/vtx/encodings';
import { guestImage } from '../../../helpers/guests';

/** A vtx machine stopped in root operation right after its first VM exit, its VMCS valid for VMRESUME. */
function inRoot(): { m: Machine; mon: VtxMonitor } {
  const m = new Machine(guestImage('ring-aliasing'), { mode: 'vtx' });
  const mon = m.monitor as VtxMonitor;
  mon.vmx.onExit = () => {}; // the host does nothing: the processor stays in root operation
  m.run(100_000);
  expect(mon.vmx.nonRoot).toBe(false);
  return { m, mon };
}

describe('VM entry checks (SDM 26.2, 26.3.1)', () => {
  it('a valid VMCS resumes the guest in non-root operation', () => {
    const { mon } = inRoot();
    expect(mon.vmx.vmEntry(false)).toEqual({ ok: true });
    expect(mon.vmx.nonRoot).toBe(true);
  });

  it('VMLAUNCH of a launched VMCS fails with VM-instruction error 4', () => {
    const { mon } = inRoot();
    expect(mon.vmx.vmEntry(true)).toMatchObject({ ok: false, error: 4 });
    expect(mon.vmx.vmcs.get(F.VM_INSTRUCTION_ERROR)).toBe(4);
  });

  const controlCases: [string, number, number, RegExp][] = [
    ['a reserved pin-based bit', F.PIN_BASED_VM_EXEC_CONTROL, 0x1, /26\.2\.1\.1.*pin-based/],
    ['a CR3-target count above 4', F.CR3_TARGET_COUNT, 5, /26\.2\.1\.1.*CR3-target count/],
    ['an unaligned MSR bitmap', F.MSR_BITMAPS, 0x123, /26\.2\.1\.1.*MSR-bitmap/],
    ['a TPR threshold with bits 31:4', F.TPR_THRESHOLD, 0x10, /26\.2\.1\.1.*TPR threshold/],
    ['an EPT pointer with a 3-level walk', F.EPT_POINTER, 0x8000000 + (2 << 3) + 6, /26\.2\.1\.1.*page-walk length/],
    ['an injected NMI with vector 3', F.VM_ENTRY_INTR_INFO, 0x80000203, /26\.2\.1\.3.*NMI must have vector 2/],
  ];
  for (const [what, field, value, why] of controlCases) {
    it(`controls: ${what} fails with VM-instruction error 7 and nothing loaded`, () => {
      const { m, mon } = inRoot();
      const eip = m.cpu.eip;
      mon.vmx.vmcs.set(field, field === F.PIN_BASED_VM_EXEC_CONTROL ? mon.vmx.vmcs.get(field) & ~0x2 : value);
      const r = mon.vmx.vmEntry(false);
      expect(r).toMatchObject({ ok: false, error: 7 });
      expect((r as { check: string }).check).toMatch(field === F.PIN_BASED_VM_EXEC_CONTROL ? /26\.2\.1\.1.*pin-based/ : why);
      expect(mon.vmx.nonRoot).toBe(false);
      expect(m.cpu.eip).toBe(eip);
    });
  }

  it('host state: a host CR0 without PG and a host TR selector of 0 fail with VM-instruction error 8', () => {
    const a = inRoot();
    a.mon.vmx.vmcs.set(F.HOST_CR0, 0x21);
    expect(a.mon.vmx.vmEntry(false)).toMatchObject({ ok: false, error: 8, check: expect.stringMatching(/^26\.2\.2/) });
    const b = inRoot();
    b.mon.vmx.vmcs.set(F.HOST_TR_SELECTOR, 0);
    expect(b.mon.vmx.vmEntry(false)).toMatchObject({ ok: false, error: 8, check: expect.stringMatching(/^26\.2\.3.*TR selector/) });
  });

  const guestCases: [string, number, number, RegExp][] = [
    ['guest CR0.PE = 0', F.GUEST_CR0, 0x10, /^26\.3\.1\.1/],
    ['a CS that is a data segment', F.GUEST_CS_AR_BYTES, 0xc093, /^26\.3\.1\.2: CS type/],
    ['SS.RPL different from CS.RPL', F.GUEST_SS_SELECTOR, 0x13, /^26\.3\.1\.2: SS\.RPL/],
    ['a DS that is not present', F.GUEST_DS_AR_BYTES, 0xc013, /^26\.3\.1\.2: DS\.P/],
    ['a limit that disagrees with G', F.GUEST_ES_LIMIT, 0xfffff000, /^26\.3\.1\.2: ES limit/],
    ['a TR that is not busy', F.GUEST_TR_AR_BYTES, 0x89, /^26\.3\.1\.2: TR type/],
    ['a GDTR limit above FFFFh', F.GUEST_GDTR_LIMIT, 0x10000, /^26\.3\.1\.3/],
    ['RFLAGS bit 1 clear', F.GUEST_RFLAGS, 0, /^26\.3\.1\.4: RFLAGS bit 1/],
    ['the shutdown activity state', F.GUEST_ACTIVITY_STATE, 2, /^26\.3\.1\.5: the activity state/],
    ['blocking by STI and MOV SS together', F.GUEST_INTERRUPTIBILITY_INFO, 3, /^26\.3\.1\.5: blocking by STI and by MOV SS/],
    ['a VMCS link pointer that is not all ones', F.VMCS_LINK_POINTER, 0, /^26\.3\.1\.5: the VMCS link pointer/],
  ];
  for (const [what, field, value, why] of guestCases) {
    it(`guest state: ${what} is a VM exit with reason 33 (bit 31 set) and the host state loaded`, () => {
      const { m, mon } = inRoot();
      const v = mon.vmx.vmcs;
      v.set(field, value);
      const r = mon.vmx.vmEntry(false);
      expect(r).toMatchObject({ ok: false, exitReason: 33 });
      expect((r as { check: string }).check).toMatch(why);
      expect(v.get(F.VM_EXIT_REASON)).toBe(0x80000021);
      expect(mon.vmx.nonRoot).toBe(false);
      expect(m.cpu.eip >>> 0).toBe(v.get(F.HOST_RIP));
      expect(m.cpu.cr3 >>> 0).toBe(v.get(F.HOST_CR3));
    });
  }

  it('the built-in VMM stops the machine with the failed check when its own VMRESUME fails', () => {
    const m = new Machine(guestImage('ring-aliasing'), { mode: 'vtx' });
    const mon = m.monitor as VtxMonitor;
    const handle = mon.vmx.onExit;
    mon.vmx.onExit = () => {
      mon.vmx.vmcs.set(F.GUEST_CS_AR_BYTES, 0xc093);
      handle();
    };
    expect(m.run(100_000).reason).toBe('shutdown');
    expect(m.cpu.shutdownReason).toMatch(/exit reason 33.*26\.3\.1\.2: CS type/);
  });
});
