/** The VM exits a vtx machine takes, read from the VMCS's exit-information fields as each happens. */
import type { Machine } from '../../../../emulator/machine';
import type { VtxMonitor } from '../../../../emulator/monitors/vtx/vmm';
import * as F from '../../../../emulator/monitors/vtx/encodings';

export interface Seen {
  reason: number; qualification: number; length: number; info: number; linear: number; physical: number; rip: number;
  intrInfo: number; errorCode: number; vectoring: number; vectoringError: number;
}

/** From now on, every VM exit of `m` is appended to the returned list before the VMM handles it. */
export function logExits(m: Machine): Seen[] {
  const mon = m.monitor as VtxMonitor;
  const v = mon.vmx.vmcs;
  const seen: Seen[] = [];
  const handle = mon.vmx.onExit;
  mon.vmx.onExit = () => {
    seen.push({
      reason: v.get(F.VM_EXIT_REASON), qualification: v.get(F.EXIT_QUALIFICATION), length: v.get(F.VM_EXIT_INSTRUCTION_LEN),
      info: v.get(F.VMX_INSTRUCTION_INFO), linear: v.get(F.GUEST_LINEAR_ADDRESS), physical: v.get(F.GUEST_PHYSICAL_ADDRESS), rip: v.get(F.GUEST_RIP),
      intrInfo: v.get(F.VM_EXIT_INTR_INFO), errorCode: v.get(F.VM_EXIT_INTR_ERROR_CODE),
      vectoring: v.get(F.IDT_VECTORING_INFO), vectoringError: v.get(F.IDT_VECTORING_ERROR_CODE),
    });
    handle();
  };
  return seen;
}
