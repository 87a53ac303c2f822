/**
 * The built-in VMM's exit handling: what it does on each VM exit, by basic exit reason, before it
 * resumes the guest (vmm-interrupts.ts). Most exits are completed by executing the guest's
 * instruction on the guest's state with no intercept active (`emulate`); I/O from the exit
 * qualification alone, CPUID and HLT by the VMM itself; generation 1's #PF and INVLPG exits by
 * its shadow page tables (vmm-shadow-paging.ts); task switches by task-switch.ts.
 */
import { cpuidLeaf } from '../../cpu/ops/model';
import { EAX, PF_VECTOR } from '../../cpu/constants';
import { hasErrorCode } from '../../cpu/fault';
import * as F from './encodings';
import * as X from './exit-reasons';
import * as C from './controls';
import * as Q from './qualifications';
import { performGuestTaskSwitch } from './task-switch';
import { vtpr } from './vmm-apic';
import { resume } from './vmm-interrupts';
import { pageFault, invlpg, enterGuestPaging, leaveGuestPaging } from './vmm-shadow-paging';
import { hex, type VtxMonitor } from './vmm';


/** The VMM's entry after every VM exit (the VMX core's `onExit`): handles it, then resumes the guest. */
export function handleExit(vmm: VtxMonitor): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  cpu.physLimit = cpu.ramSize; // root operation: the host's physical memory
  const reason = v.get(F.VM_EXIT_REASON) & 0xffff;
  vmm.exits++;
  vmm.counts.set(reason, (vmm.counts.get(reason) ?? 0) + 1);
  // What the VMM does is stamped with the guest instruction at which the exit happened.
  cpu.atPinned = true;
  cpu.atCs = v.get(F.GUEST_CS_SELECTOR);
  cpu.atEip = v.get(F.GUEST_RIP);
  cpu.atCpl = (v.get(F.GUEST_SS_AR_BYTES) >>> 5) & 3;
  try {
    dispatch(vmm, reason);
  } finally {
    cpu.atPinned = false;
  }
  if (cpu.stopReason !== '') return;
  resume(vmm, false);
}

/** Does what a VM exit asks, by basic exit reason; a shutdown where the VMM cannot. */
function dispatch(vmm: VtxMonitor, reason: number): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  const q = v.get(F.EXIT_QUALIFICATION);
  const len = v.get(F.VM_EXIT_INSTRUCTION_LEN);
  switch (reason) {
    case X.EXIT_EXCEPTION_OR_NMI: {
      const info = v.get(F.VM_EXIT_INTR_INFO);
      if (((info >>> 8) & 7) === C.INTR_TYPE_NMI) {
        // The NMI is the guest's: injected when it is not blocking NMIs, else at the NMI window.
        vmm.nmiQueued = true;
        note(vmm, 'nmi: held for the guest', 2);
        break;
      }
      if (vmm.shadow !== null && (info & 0xff) === PF_VECTOR && ((info >>> 8) & 7) === C.INTR_TYPE_HARDWARE_EXCEPTION) {
        pageFault(vmm, q, v.get(F.VM_EXIT_INTR_ERROR_CODE));
        break;
      }
      cpu.shutdown(`vmx: unexpected exception exit, interruption information ${hex(info)}`);
      return;
    }
    case X.EXIT_INVLPG:
      invlpg(vmm, q, len);
      break;
    case X.EXIT_EXTERNAL_INTERRUPT:
      note(vmm, 'external interrupt pending', vmm.apicPage.pendingVector());
      break;
    case X.EXIT_INTERRUPT_WINDOW:
      note(vmm, 'interrupt window open', 0);
      break;
    case X.EXIT_NMI_WINDOW:
      note(vmm, 'nmi window open (the guest unblocked nmis)', 0);
      break;
    case X.EXIT_MONITOR_TRAP_FLAG:
      note(vmm, 'monitor trap flag: one guest instruction done', v.get(F.GUEST_RIP));
      break;
    case X.EXIT_MOV_DR:
      // The guest uses its debug registers: from now on they are its own (no more exits).
      v.set(F.CPU_BASED_VM_EXEC_CONTROL, v.get(F.CPU_BASED_VM_EXEC_CONTROL) & ~C.CPU_MOV_DR_EXITING);
      emulate(vmm, 'mov dr executed for the guest; mov-dr exiting off', q);
      break;
    case X.EXIT_RDTSC:
    case X.EXIT_GDTR_IDTR_ACCESS:
    case X.EXIT_LDTR_TR_ACCESS:
      // Controls this VMM does not set; a VMM that sets them (the tests) gets the instruction executed.
      emulate(vmm, `${X.exitReasonName(reason)} executed for the guest`, q);
      break;
    case X.EXIT_RDPMC:
      emulate(vmm, 'rdpmc executed for the guest (no performance counters)', cpu.regs[1] >>> 0);
      break;
    case X.EXIT_TRIPLE_FAULT:
      cpu.shutdown(`vmx: the guest triple-faulted (VM exit reason 2): ${vmm.vmx.lastCheck}`);
      return;
    case X.EXIT_TPR_BELOW_THRESHOLD:
      note(vmm, 'vtpr dropped below the tpr threshold', vtpr(vmm));
      break;
    case X.EXIT_CPUID: {
      const leaf = cpu.regs[EAX];
      cpuidLeaf(cpu, leaf); // the guest's general registers are the processor's
      note(vmm, 'cpuid executed for the guest', leaf >>> 0);
      advance(vmm, len);
      break;
    }
    case X.EXIT_HLT:
      v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_HLT);
      note(vmm, 'guest halted (activity state hlt)', 0);
      advance(vmm, len);
      if (cpu.observer !== null) cpu.observer.halt();
      break;
    case X.EXIT_IO_INSTRUCTION:
      io(vmm, q, len);
      break;
    case X.EXIT_RDMSR:
    case X.EXIT_WRMSR:
      emulate(vmm, reason === X.EXIT_RDMSR ? 'rdmsr executed for the guest' : 'wrmsr executed for the guest', cpu.regs[1] >>> 0);
      break;
    case X.EXIT_CR_ACCESS:
      emulate(vmm, 'control-register access executed for the guest', q);
      break;
    case X.EXIT_APIC_ACCESS:
      if (!instructionCaused(vmm, reason)) return;
      emulate(vmm, 'apic access executed against the local apic', q);
      break;
    case X.EXIT_EPT_VIOLATION:
    case X.EXIT_EPT_MISCONFIG:
      if (!instructionCaused(vmm, reason)) return;
      emulate(vmm, 'access outside guest ram executed (no ram behind it)', v.get(F.GUEST_PHYSICAL_ADDRESS));
      break;
    case X.EXIT_TASK_SWITCH:
      performGuestTaskSwitch(cpu, vmm.vmx, vmm.guestRam, (what, value) => note(vmm, what, value), vmm.shadow === null ? undefined : {
        enter: () => enterGuestPaging(vmm),
        leave: () => leaveGuestPaging(vmm, true), // a task switch loads CR3
      });
      break;
    case X.EXIT_INVALID_GUEST_STATE:
      cpu.shutdown(`vmx: VM entry failed with invalid guest state (${vmm.vmx.lastCheck})`);
      return;
    default:
      cpu.shutdown(`vmx: unexpected VM exit, reason ${reason} (${X.exitReasonName(reason)})`);
      return;
  }
}

/**
 * An access exit is completed by executing the guest instruction at RIP again, which also
 * redoes a software interrupt's delivery; an exit while the processor delivered any other
 * event (IDT-vectoring information valid) through memory the VMM only emulates cannot be
 * completed so: the run ends as a shutdown that says why.
 */
function instructionCaused(vmm: VtxMonitor, reason: number): boolean {
  const vectoring = vmm.vmx.vmcs.get(F.IDT_VECTORING_INFO);
  if ((vectoring & C.INTR_INFO_VALID) === 0) return true;
  const type = (vectoring >>> 8) & 7;
  if (type === C.INTR_TYPE_SOFTWARE_INTERRUPT || type === C.INTR_TYPE_SOFTWARE_EXCEPTION || type === C.INTR_TYPE_PRIV_SOFTWARE_EXCEPTION) return true;
  vmm.cpu.shutdown(`vmx: exit reason ${reason} (${X.exitReasonName(reason)}) while delivering vector ${vectoring & 0xff} (${C.INTR_TYPE_NAMES[type]}): the VMM cannot complete an event delivery through memory outside guest RAM`);
  return false;
}

/** The guest's RIP past the exiting instruction, which retires (the guest's clock counts it). */
export function advance(vmm: VtxMonitor, len: number): void {
  const v = vmm.vmx.vmcs;
  v.set(F.GUEST_RIP, (v.get(F.GUEST_RIP) + len) >>> 0);
  // 24.4.2: completing an instruction ends blocking by STI or MOV SS.
  v.set(F.GUEST_INTERRUPTIBILITY_INFO, v.get(F.GUEST_INTERRUPTIBILITY_INFO) & ~3);
  vmm.cpu.icount++;
}

/** IN and OUT from the exit qualification alone; INS and OUTS executed on the guest's state. */
function io(vmm: VtxMonitor, q: number, len: number): void {
  const cpu = vmm.cpu;
  const d = Q.decodeIo(q);
  if (d.string) return emulate(vmm, 'string i/o executed for the guest', d.port);
  const size = d.size as 1 | 2 | 4;
  if (d.input) {
    const value = vmm.host.io.portIn(d.port, size);
    if (size === 1) cpu.regs8[0] = value;
    else if (size === 2) cpu.regs16[0] = value;
    else cpu.regs[EAX] = value;
    if (cpu.observer !== null) cpu.observer.io(false, d.port, size, value);
  } else {
    const value = size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[EAX] >>> 0;
    if (cpu.observer !== null) cpu.observer.io(true, d.port, size, value);
    vmm.host.io.portOut(d.port, value, size);
  }
  note(vmm, d.input ? 'in executed on the device' : 'out executed on the device', d.port);
  advance(vmm, len);
}

/**
 * Executes the guest's instruction at its RIP on its own register file with no intercept
 * active (APIC accesses reach the local APIC, with TPR and PPR answered from VTPR); a fault
 * it raises is injected into the guest at the VM entry that follows.
 */
export function emulate(vmm: VtxMonitor, what: string, value: number): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  vmm.vmx.loadGuestState();
  if (vmm.shadow !== null) enterGuestPaging(vmm);
  cpu.physLimit = vmm.guestRam;
  vmm.apicPage.virtualization = vmm.apicEmulation;
  const ok = vmm.host.stepOne();
  vmm.apicPage.virtualization = null;
  if (vmm.shadow !== null) {
    // A CR3 load flushes the guest's TLB: the whole shadow.
    leaveGuestPaging(vmm, v.get(F.VM_EXIT_REASON) === X.EXIT_CR_ACCESS && (v.get(F.EXIT_QUALIFICATION) & 0x3f) === 0x03 && ok);
  }
  if (!ok) {
    const vector = cpu.excVector;
    const code = hasErrorCode(vector) ? cpu.excCode : -1;
    if (vector === 14) cpu.cr2 = cpu.excAddr; // CR2 is the processor's, not part of the VMCS
    v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, vector, code >= 0));
    v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, code < 0 ? 0 : code & 0x7fff);
    note(vmm, 'the guest instruction faulted: exception injected', vector);
  } else note(vmm, what, value);
  if (cpu.halted) {
    cpu.halted = false;
  }
  vmm.vmx.saveGuestState();
  vmm.vmx.loadHostState();
  cpu.physLimit = cpu.ramSize;
}

/** Tells the observer what the VMM did for the guest (a monitor-emulation event). */
export function note(vmm: VtxMonitor, what: string, value: number): void {
  if (vmm.cpu.observer !== null) vmm.cpu.observer.monitorEmulation(what, value);
}
