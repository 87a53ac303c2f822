/**
 * What the CPU tells an observer (the recorder, the debugger) as state transitions happen.
 * Every call site is guarded by one `if (cpu.observer !== null)` branch, so a run nobody
 * watches pays one predictable branch per site and nothing else.
 *
 * Where a transition happened: the CS:EIP and CPL of the instruction at which it happened (the
 * faulting instruction; for an interrupt, the instruction it interrupted; for IRET, SYSEXIT or a
 * far transfer, that instruction itself). During a control transfer the CPU pins them
 * (Cpu.atPinned, atCs, atEip, atCpl), since CS, EIP and CPL change part-way; otherwise they are
 * the live segSel[CS], eip and cpl. A transition that transfers control also names where
 * control went (toCs, toEip, and the new CPL).
 */
// The closed sets of values the observer's calls carry. The recorder's event declaration
// (recorder/events.ts) lists them as the values of its fields, so each set is written here only.

/**
 * Why the CPL changed. No 'far-jmp': a JMP through a call gate never changes CPL (SDM vol. 2A,
 * JMP: the target code segment must be conforming or have DPL = CPL), so a far JMP is never a
 * privilege event.
 */
export const PRIVILEGE_CAUSES = ['interrupt', 'int', 'exception', 'iret', 'far-call', 'far-ret', 'sysenter', 'sysexit', 'task-switch'] as const;
export type PrivilegeCause = (typeof PRIVILEGE_CAUSES)[number];
/**
 * What delivered an event through the IDT. 'injected' is the VT-x model's VM-entry event
 * injection (SDM vol. 3 27.6); 'reflected' a software monitor's delivery through the guest's IDT.
 */
export const INTERRUPT_SOURCES = ['apic', 'nmi', 'software', 'exception', 'injected', 'reflected'] as const;
export type InterruptSource = (typeof INTERRUPT_SOURCES)[number];
/** What changed EFLAGS.IF (or tried to). */
export const IFLAG_CAUSES = ['cli', 'sti', 'popf', 'iret', 'interrupt-gate', 'sysenter', 'task-switch'] as const;
export type IflagCause = (typeof IFLAG_CAUSES)[number];
/** The descriptor-table register loads and stores (SMSW, which stores CR0's low word, with them). */
export const DTR_OPS = ['lgdt', 'lidt', 'lldt', 'ltr', 'sgdt', 'sidt', 'sldt', 'str', 'smsw'] as const;
export type DtrOp = (typeof DTR_OPS)[number];
export const FAST_SYSCALL_OPS = ['sysenter', 'sysexit'] as const;
export type FastSyscallOp = (typeof FAST_SYSCALL_OPS)[number];
/** What started a task switch: JMP, CALL or IRET, or an event through a task gate of the IDT (INT n, exception, interrupt). */
export const TASK_SWITCH_CAUSES = ['jmp', 'call', 'iret', 'int', 'exception', 'interrupt'] as const;
export type TaskSwitchCause = (typeof TASK_SWITCH_CAUSES)[number];

export interface CpuObserver {
  /** An exception is about to be delivered (before the IDT lookup). */
  exception(vector: number, errorCode: number, cr2: number): void;
  /** An interrupt or exception entered its handler through the IDT. */
  interruptDelivered(vector: number, source: InterruptSource, toCs: number, toEip: number, toCpl: number): void;
  privilegeChange(from: number, to: number, cause: PrivilegeCause, toCs: number, toEip: number): void;
  /** A segment register and its hidden descriptor cache were loaded. */
  segmentLoad(seg: number, selector: number, base: number, limit: number, rights: number): void;
  /** EFLAGS.IF changed (or an attempt left it unchanged: `changed` false). */
  interruptFlag(value: boolean, by: IflagCause, changed: boolean): void;
  /** LGDT/LIDT/LLDT/LTR (load) or SGDT/SIDT/SLDT/STR/SMSW (store). */
  descriptorTable(op: DtrOp, base: number, limit: number, selector: number): void;
  controlRegister(write: boolean, reg: number, value: number): void;
  /** The guest wrote its TPR where the APIC's own does not change: VT-x's virtual TPR (TPR shadow, SDM 29.4.3.1). */
  virtualTprWrite(oldTpr: number, newTpr: number): void;
  msr(write: boolean, index: number, value: bigint): void;
  io(write: boolean, port: number, size: number, value: number): void;
  /**
   * One execution of a REP INS or OUTS: `count` elements of `size` bytes moved through `port`,
   * `digest` the FNV-1a hash of their values (ioDigest), `last` the last value.
   */
  ioString(write: boolean, port: number, size: number, count: number, digest: number, last: number): void;
  /** A guest write changed a descriptor that a segment register has cached. */
  staleDescriptor(seg: number, selector: number): void;
  fastSyscall(op: FastSyscallOp, toCs: number, toEip: number): void;
  /** A task switch passed its commit point: the old and new TSS selectors, why, the IDT vector of a task gate (-1 otherwise). */
  taskSwitch(oldTss: number, newTss: number, cause: TaskSwitchCause, vector: number): void;
  halt(): void;
  /** A monitor took control: why (text and number) and a qualification (error code, address). */
  monitorExit(reason: string, number: number, qualification: number): void;
  /** What the monitor did about it (emulated an instruction, reflected an event, filled a shadow entry). */
  monitorEmulation(what: string, value: number): void;
  /** The monitor resumed the guest. */
  monitorEntry(how: string): void;
  /** The processor shut down: `reason` names why (for a triple fault, the exception chain). */
  shutdown(reason: string): void;
}

/** FNV-1a offset basis: the digest of no element. */
export const IO_DIGEST_START = 0x811c9dc5 | 0;
/** Folds one element of a string I/O transfer (its 1, 2 or 4 bytes, low first) into a digest. */
export function ioDigest(h: number, value: number, size: number): number {
  for (let k = 0; k < size; k++) h = Math.imul(h ^ ((value >>> (8 * k)) & 0xff), 0x01000193);
  return h;
}
