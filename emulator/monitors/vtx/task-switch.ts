/**
 * Task switches under VT-x. In VMX non-root operation a task switch always causes a VM exit
 * (SDM vol. 3C 25.4.2): the processor makes the checks that precede the switch (the gate's and
 * the TSS descriptor's type, DPL, present bit and limit, which fault as natively), then exits
 * with basic reason 9 instead of saving anything. The exit qualification (27.2.1, "task
 * switch") holds the selector of the new TSS in bits 15:0 and the source in bits 31:30: 0 CALL,
 * 1 IRET, 2 JMP, 3 a task gate in the IDT; for a task gate the IDT-vectoring information names
 * the event being delivered (27.2.4), and for an instruction the VM-exit instruction length is
 * valid. The built-in VMM then performs the switch on the guest's state (its GDT, its TSSes)
 * with the processor's own task-switch code, pushes the error code, injects the #DB of a T bit
 * or the fault the switch raised, and resumes.
 */
import type { Cpu } from '../../cpu/cpu';
import { FAULT, hasErrorCode } from '../../cpu/fault';
import { EVENT_EXCEPTION, EVENT_EXTERNAL, EVENT_SOFTWARE } from '../../cpu/interrupts';
import { DB_VECTOR, NMI_VECTOR, BP_VECTOR, OF_VECTOR, PF_VECTOR } from '../../cpu/constants';
import {
  performTaskSwitch, SWITCHED_TRAP, TASK_CALL, TASK_IRET, TASK_JMP, TASK_GATE_IDT,
} from '../../cpu/ops/task-switch';
import type { ExitInfo, Vmx } from './vmx';
import * as F from './encodings';
import * as C from './controls';
import { EXIT_TASK_SWITCH } from './exit-reasons';

export { TASK_CALL, TASK_IRET, TASK_JMP, TASK_GATE_IDT };
const SOURCE_NAMES = ['call', 'iret', 'jmp', 'task gate in the idt'] as const;

/** The exit qualification of a task switch: bits 15:0 the new TSS selector, 31:30 the source. */
export function taskSwitchQualification(selector: number, source: number): number {
  return ((selector & 0xffff) | ((source & 3) << 30)) >>> 0;
}
export function decodeTaskSwitch(q: number): { selector: number; source: number } {
  return { selector: q & 0xffff, source: q >>> 30 };
}

/** The VMX interruption type of an event the CPU delivers (interrupts.ts EVENT_* kinds). */
function interruptionType(vector: number, kind: number): number {
  if (kind === EVENT_EXTERNAL) return vector === NMI_VECTOR ? C.INTR_TYPE_NMI : C.INTR_TYPE_EXTERNAL;
  if (kind === EVENT_EXCEPTION) return C.INTR_TYPE_HARDWARE_EXCEPTION;
  return vector === BP_VECTOR || vector === OF_VECTOR ? C.INTR_TYPE_SOFTWARE_EXCEPTION : C.INTR_TYPE_SOFTWARE_INTERRUPT;
}

/**
 * The exit information of a task switch attempted in non-root operation (the arguments of
 * MonitorHooks.taskSwitch). The instruction length is the distance from the guest's EIP to
 * the EIP the old task would have saved (CALL, JMP, IRET, INT n).
 */
export function taskSwitchExit(cpu: Cpu, selector: number, source: number, vector: number, kind: number, code: number, retEip: number): ExitInfo {
  const e: ExitInfo = { reason: EXIT_TASK_SWITCH, qualification: taskSwitchQualification(selector, source) };
  const len = (retEip - cpu.eip) >>> 0;
  if (source !== TASK_GATE_IDT || kind === EVENT_SOFTWARE) e.instructionLength = len;
  if (source === TASK_GATE_IDT) {
    e.idtVectoringInfo = C.intrInfo(interruptionType(vector, kind), vector, code >= 0) >>> 0;
    e.idtVectoringErrorCode = code < 0 ? 0 : code;
  }
  return e;
}

/**
 * The built-in VMM's handling of exit reason 9: the switch performed on the guest's state,
 * then the guest state saved back and the host's loaded. `note` records what was done.
 */
export function performGuestTaskSwitch(cpu: Cpu, vmx: Vmx, guestRam: number, note: (what: string, value: number) => void): void {
  const v = vmx.vmcs;
  const { selector, source } = decodeTaskSwitch(v.get(F.EXIT_QUALIFICATION));
  const len = v.get(F.VM_EXIT_INSTRUCTION_LEN);
  const idt = v.get(F.IDT_VECTORING_INFO);
  vmx.loadGuestState();
  cpu.physLimit = guestRam;
  let vector = -1, kind = EVENT_SOFTWARE, code = -1;
  let retEip = (cpu.eip + len) >>> 0;
  if (source === TASK_GATE_IDT && (idt & C.INTR_INFO_VALID) !== 0) {
    vector = idt & 0xff;
    const type = (idt >>> 8) & 7;
    kind = type === C.INTR_TYPE_EXTERNAL || type === C.INTR_TYPE_NMI ? EVENT_EXTERNAL : type === C.INTR_TYPE_HARDWARE_EXCEPTION ? EVENT_EXCEPTION : EVENT_SOFTWARE;
    if ((idt & C.INTR_INFO_DELIVER_CODE) !== 0) code = v.get(F.IDT_VECTORING_ERROR_CODE);
    if (kind !== EVENT_SOFTWARE) retEip = cpu.eip >>> 0;
  }
  try {
    const r = performTaskSwitch(cpu, selector, source, retEip, vector, kind, code);
    if (source === TASK_IRET) cpu.nmiBlocked = false;
    if (len > 0) cpu.icount++; // the instruction retires (its exit was fault-like)
    note(`task switch (${SOURCE_NAMES[source]}) performed on the guest's tss and gdt`, selector);
    if (r === SWITCHED_TRAP) {
      // The new TSS's T bit: a #DB before the new task's first instruction (DR6.BT is set).
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, DB_VECTOR, false));
    }
  } catch (e) {
    if (e !== FAULT) throw e;
    const fault = cpu.excVector;
    const faultCode = hasErrorCode(fault) ? cpu.excCode : -1;
    if (fault === PF_VECTOR) cpu.cr2 = cpu.excAddr;
    v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, fault, faultCode >= 0));
    v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, faultCode < 0 ? 0 : faultCode & 0x7fff);
    note('the task switch faulted: exception injected', fault);
  }
  cpu.halted = false;
  vmx.saveGuestState();
  vmx.loadHostState();
  cpu.physLimit = cpu.ramSize;
}
