/**
 * What the CPU tells an observer (the recorder, the debugger) as state transitions happen.
 * Every call site is guarded by one `if (cpu.observer !== null)` branch, so a run nobody
 * watches pays one predictable branch per site and nothing else.
 */
export type PrivilegeCause = 'interrupt' | 'int' | 'exception' | 'iret' | 'far-call' | 'far-jmp' | 'far-ret' | 'sysenter' | 'sysexit' | 'monitor';
export type InterruptSource = 'apic' | 'nmi' | 'software' | 'exception' | 'injected' | 'reflected';

export interface CpuObserver {
  /** An exception is about to be delivered (before the IDT lookup). */
  exception(vector: number, errorCode: number, cr2: number): void;
  /** An interrupt or exception entered its handler through the IDT. */
  interruptDelivered(vector: number, source: InterruptSource): void;
  privilegeChange(from: number, to: number, cause: PrivilegeCause): void;
  /** A segment register and its hidden descriptor cache were loaded. */
  segmentLoad(seg: number, selector: number, base: number, limit: number, rights: number): void;
  /** EFLAGS.IF changed (or an attempt left it unchanged: `changed` false). */
  interruptFlag(value: boolean, by: string, changed: boolean): void;
  /** LGDT/LIDT/LLDT/LTR (load) or SGDT/SIDT/SLDT/STR/SMSW (store). */
  descriptorTable(op: string, base: number, limit: number, selector: number): void;
  controlRegister(write: boolean, reg: number, value: number): void;
  msr(write: boolean, index: number, value: bigint): void;
  io(write: boolean, port: number, size: number, value: number): void;
  /** A guest write changed a descriptor that a segment register has cached. */
  staleDescriptor(seg: number, selector: number): void;
  fastSyscall(op: 'sysenter' | 'sysexit'): void;
  halt(): void;
  /** A monitor took control: why (text and number) and a qualification (error code, address). */
  monitorExit(reason: string, number: number, qualification: number): void;
  /** What the monitor did about it (emulated an instruction, reflected an event, filled a shadow entry). */
  monitorEmulation(what: string, value: number): void;
  /** The monitor resumed the guest. */
  monitorEntry(how: string): void;
  shutdown(reason: string): void;
}
