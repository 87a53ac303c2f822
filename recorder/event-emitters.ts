// Generated from EVENT_KINDS (recorder/events.ts) by `npm run golden`; do not edit.
import type { EventFields, SlotSink } from './events';

/** One method per event kind, taking its fields by name; each puts them in their slots and sends them to the sink. */
export class EventEmitters {
  private readonly sink: SlotSink; // where the slots go

  constructor(sink: SlotSink) {
    this.sink = sink;
  }

  /** The CPL changes (under a monitor: the real CPL on traps and returns, the virtual one in emulated instructions). */
  privilege(from_cpl: number, to_cpl: number, to_cs: number, to_eip: number, cause: EventFields<'privilege'>['cause']): void {
    this.sink(1, from_cpl, to_cpl, to_cs, to_eip, cause);
  }

  /** The CPU raises an exception. */
  exception(vector: number, error_code: number, cr2: number): void {
    this.sink(2, vector, error_code, cr2, 0, '');
  }

  /** An event enters its handler through the IDT (`reflected`: a monitor delivered it through the guest's own IDT; `injected`: VT-x VM entry injected it). */
  interrupt(vector: number, to_cs: number, to_eip: number, to_cpl: number, source: EventFields<'interrupt'>['source']): void {
    this.sink(3, vector, to_cs, to_eip, to_cpl, source);
  }

  /** EFLAGS.IF changes, or POPF/CLI/STI leave it as it was. */
  iflag(real_if: number, virtual_if: number, changed: number, by_instruction: EventFields<'iflag'>['by_instruction']): void {
    this.sink(4, real_if, virtual_if, changed, 0, by_instruction);
  }

  /** A segment register and its hidden cache are loaded. */
  segment_load(reg: number, selector: number, base: number, seg_limit: number, rights: string): void {
    this.sink(5, reg, selector, base, seg_limit, rights);
  }

  /** A guest write hits the descriptor a loaded register has cached. */
  stale_descriptor(reg: number, selector: number): void {
    this.sink(6, reg, selector, 0, 0, '');
  }

  /** Descriptor-table registers are loaded or stored. */
  dtr(base: number, dt_limit: number, selector: number, op: EventFields<'dtr'>['op']): void {
    this.sink(7, base, dt_limit, selector, 0, op);
  }

  /** MOV to/from CRn, CLTS, LMSW. */
  cr(is_write: number, reg: number, value: number): void {
    this.sink(8, is_write, reg, value, 0, '');
  }

  /** RDMSR, WRMSR. */
  msr(is_write: number, msr_index: number, value_lo: number, value_hi: number): void {
    this.sink(9, is_write, msr_index, value_lo, value_hi, '');
  }

  /** The guest writes the APIC TPR (under vtx with the TPR shadow: its virtual TPR, which causes no exit). */
  tpr(old_tpr: number, new_tpr: number): void {
    this.sink(10, old_tpr, new_tpr, 0, 0, '');
  }

  /** IN, OUT, and INS, OUTS without REP. */
  io(is_write: number, port: number, size: number, value: number): void {
    this.sink(11, is_write, port, size, value, '');
  }

  /** SYSENTER, SYSEXIT. */
  fast_syscall(to_cs: number, to_eip: number, to_cpl: number, op: EventFields<'fast_syscall'>['op']): void {
    this.sink(12, to_cs, to_eip, to_cpl, 0, op);
  }

  /** The CPU entered the monitor (stamped with the guest's CS:EIP, the instruction that trapped, and its virtual CPL). */
  monitor_exit(exit_reason: number, qualification: number, reason: string): void {
    this.sink(13, exit_reason, qualification, 0, 0, reason);
  }

  /** The monitor resumed the guest. */
  monitor_entry(how: string): void {
    this.sink(14, 0, 0, 0, 0, how);
  }

  /** What the monitor did about it. */
  monitor_emulation(value: number, what: string): void {
    this.sink(15, value, 0, 0, 0, what);
  }

  /** An input reaches the machine. */
  input(value: number, channel: EventFields<'input'>['channel']): void {
    this.sink(16, value, 0, 0, 0, channel);
  }

  /** HLT. */
  halt(): void {
    this.sink(17, 0, 0, 0, 0, '');
  }

  /** The processor shuts down (stamped with the faulting instruction). */
  shutdown(reason: string): void {
    this.sink(18, 0, 0, 0, 0, reason);
  }

  /** The run ends. */
  run_end(exit_code: number, reason: EventFields<'run_end'>['reason']): void {
    this.sink(19, exit_code, 0, 0, 0, reason);
  }

  /** One execution of REP INS or REP OUTS. */
  io_string(port: number, elements: number, digest: number, last_value: number, op: EventFields<'io_string'>['op']): void {
    this.sink(20, port, elements, digest, last_value, op);
  }

  /** A hardware task switch passes its commit point (JMP, CALL or IRET to a task, or an event through a task gate). */
  task_switch(old_tss: number, new_tss: number, vector: number, cause: EventFields<'task_switch'>['cause']): void {
    this.sink(21, old_tss, new_tss, vector, 0, cause);
  }
}
