/**
 * The built-in VMM's VM entries: before each, the event it injects (a queued NMI, an external
 * interrupt the guest can take, a vector held while VTPR blocked it), the interrupt and NMI
 * windows it opens when the guest cannot take one, and the TPR threshold; then VMLAUNCH or
 * VMRESUME, and what follows a failed entry.
 */
import { IF } from '../../cpu/constants';
import * as F from './encodings';
import * as X from './exit-reasons';
import * as C from './controls';
import { tprShadow, vtpr } from './vmm-apic';
import { handleExit } from './vmm-exits';
import type { VtxMonitor } from './vmm';

/**
 * Prepares the VM entry (event injection, interrupt and NMI windows, TPR threshold) and enters
 * the guest: VMLAUNCH when `launch`, else VMRESUME.
 */
export function resume(vmm: VtxMonitor, launch: boolean): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  let pin = v.get(F.PIN_BASED_VM_EXEC_CONTROL) | C.PIN_EXTERNAL_INTERRUPT_EXITING;
  let proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL) & ~(C.CPU_INTERRUPT_WINDOW_EXITING | C.CPU_NMI_WINDOW_EXITING);
  let threshold = 0;
  const interruptible = (v.get(F.GUEST_RFLAGS) & IF) !== 0 && (v.get(F.GUEST_INTERRUPTIBILITY_INFO) & 3) === 0;
  const inject = (vector: number) => {
    v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_EXTERNAL, vector, false));
    if (v.get(F.GUEST_ACTIVITY_STATE) === C.ACTIVITY_HLT) v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_ACTIVE);
  };
  if (vmm.nmiQueued && (v.get(F.VM_ENTRY_INTR_INFO) & C.INTR_INFO_VALID) === 0) {
    // 26.3.1.5: an NMI is injected only without virtual-NMI blocking and without blocking by
    // MOV SS (and, here, STI); otherwise NMI-window exiting says when.
    if ((v.get(F.GUEST_INTERRUPTIBILITY_INFO) & (C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS | C.INTERRUPTIBILITY_NMI)) === 0) {
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_NMI, 2, false));
      if (v.get(F.GUEST_ACTIVITY_STATE) === C.ACTIVITY_HLT) v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_ACTIVE);
      vmm.nmiQueued = false;
    } else proc |= C.CPU_NMI_WINDOW_EXITING;
  }
  if ((v.get(F.VM_ENTRY_INTR_INFO) & C.INTR_INFO_VALID) === 0) {
    if (vmm.held.length > 0) {
      // A vector acknowledged while VTPR blocked it: injected once VTPR and IF allow.
      const vector = vmm.held[0];
      if (tprShadow(vmm) && vector >>> 4 <= vtpr(vmm) >>> 4) threshold = vector >>> 4;
      else if (interruptible) inject(vmm.held.shift()!);
      else proc |= C.CPU_INTERRUPT_WINDOW_EXITING;
    } else {
      const vector = vmm.apicPage.pendingVector();
      if (vector >= 0) {
        if (tprShadow(vmm) && vector >>> 4 <= vtpr(vmm) >>> 4) {
          // Blocked by the guest's (virtual) TPR: the VMM takes it from the APIC and holds it;
          // a TPR write below the threshold will exit.
          vmm.held.push(vmm.apicPage.acknowledge());
          vmm.held.sort((a, b) => b - a);
          threshold = vector >>> 4;
        } else if (interruptible) inject(vmm.apicPage.acknowledge());
        else {
          // Blocked by IF or a shadow: the interrupt stays pending in the APIC (the guest sees
          // it in IRR, as natively) until the interrupt window opens.
          pin &= ~C.PIN_EXTERNAL_INTERRUPT_EXITING;
          proc |= C.CPU_INTERRUPT_WINDOW_EXITING;
        }
      }
    }
  }
  v.set(F.PIN_BASED_VM_EXEC_CONTROL, pin);
  v.set(F.CPU_BASED_VM_EXEC_CONTROL, proc);
  if (tprShadow(vmm)) v.set(F.TPR_THRESHOLD, threshold);
  const r = vmm.vmx.vmEntry(launch);
  if (r.ok) {
    // The injected event met a task gate: a VM exit during the entry (task switch); the VMM handles it now.
    if (!vmm.vmx.nonRoot) return handleExit(vmm);
    // The guest's physical address space: its RAM (EPT maps nothing else). Generation 1: every
    // guest access goes through the VMM's shadow tables, which the processor must reach.
    cpu.physLimit = vmm.shadow !== null ? cpu.ramSize : vmm.guestRam;
    return;
  }
  if ('error' in r) cpu.shutdown(`vmx: ${launch ? 'VMLAUNCH' : 'VMRESUME'} failed, VM-instruction error ${r.error} (${X.VM_INSTRUCTION_ERROR_NAMES[r.error] ?? ''}): ${r.check}`);
  else cpu.shutdown(`vmx: VM entry failed with exit reason 33 (${X.exitReasonName(33)}): ${r.check}`);
}
