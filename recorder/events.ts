/**
 * The event model: the closed set of state transitions a run emits, in order.
 *
 * Every event carries its sequence number (its position in the run), the retired-instruction
 * count when it happened, and the CS:EIP and CPL of the instruction at which it happened: the
 * faulting instruction; for an interrupt (or an input), the instruction it interrupted; for
 * IRET, SYSEXIT or a far transfer, that instruction itself. An event that transfers control
 * carries its destination (CS:EIP and the new CPL) as fields (privilege, interrupt, fast_syscall).
 * Kind-specific fields go in four integer slots (a, b, c, d) and one text slot; KIND_FIELDS
 * names them, and the store exposes one SQL view per kind with those names as columns.
 *
 * Replay verification compares every event of every kind (each stored block's digest, then the
 * first event that differs; see replay.ts): no kind is exempt, so no kind carries a flag saying
 * whether replay checks it.
 */

export const EventKind = {
  privilege: 1, // CPL changed: a: from, b: to, c: destination CS, d: destination EIP, text: cause (interrupt, int, exception, iret, far-call, far-ret, sysenter, sysexit, monitor)
  exception: 2, // the CPU raised an exception: a: vector, b: error code (-1 none), c: CR2 (for #PF)
  interrupt: 3, // an interrupt or exception entered its handler: a: vector, b: handler CS, c: handler EIP, d: new CPL, text: source (apic, nmi, software, exception, injected, reflected)
  iflag: 4, // EFLAGS.IF changed or a change was refused: a: real IF after, b: virtual IF (-1 when no monitor), c: changed (0/1), text: by (cli, sti, popf, iret, interrupt-gate, sysenter)
  segment_load: 5, // a segment register and its hidden cache were loaded: a: register (0 ES..5 GS), b: selector, c: base, d: limit, text: rights as hex
  stale_descriptor: 6, // a guest write changed a descriptor cached by a loaded segment register: a: register, b: selector
  dtr: 7, // descriptor-table register load or store: text: op (lgdt lidt lldt ltr sgdt sidt sldt str smsw), a: base, b: limit, c: selector
  cr: 8, // control-register access: a: write (0/1), b: register, c: value
  msr: 9, // RDMSR/WRMSR: a: write (0/1), b: index, c: low dword, d: high dword
  tpr: 10, // local APIC TPR write: a: old, b: new
  io: 11, // port I/O: a: write (0/1), b: port, c: size, d: value
  fast_syscall: 12, // SYSENTER or SYSEXIT: a: destination CS, b: destination EIP, c: new CPL, text: op
  monitor_exit: 13, // a monitor took control: text: reason, a: exit reason number, b: qualification
  monitor_entry: 14, // the monitor resumed the guest: text: how
  monitor_emulation: 15, // what the monitor emulated: text: description, a: value
  input: 16, // an input reached the machine: text: uart or irq, a: byte or vector
  halt: 17, // HLT executed
  shutdown: 18, // the processor shut down: text: reason (a triple fault names its exception chain)
  run_end: 19, // the run ended: text: reason (see end-reasons.ts), a: exit code
  io_string: 20, // one execution of REP INS/OUTS: text: op (insb insw insd outsb outsw outsd), a: port, b: elements, c: FNV-1a digest of the values, d: last value
  task_switch: 21, // a hardware task switch passed its commit point: a: old TSS selector, b: new TSS selector, c: IDT vector of a task gate (-1 otherwise), text: cause (jmp, call, iret, int, exception, interrupt)
} as const;
export type EventKindName = keyof typeof EventKind;
export const KIND_NAMES: EventKindName[] = [];
for (const [name, id] of Object.entries(EventKind)) KIND_NAMES[id] = name as EventKindName;

/** The named columns of each kind, mapped onto the slots a, b, c, d, text. */
export const KIND_FIELDS: Record<EventKindName, { a?: string; b?: string; c?: string; d?: string; text?: string }> = {
  privilege: { a: 'from_cpl', b: 'to_cpl', c: 'to_cs', d: 'to_eip', text: 'cause' },
  exception: { a: 'vector', b: 'error_code', c: 'cr2' },
  interrupt: { a: 'vector', b: 'to_cs', c: 'to_eip', d: 'to_cpl', text: 'source' },
  iflag: { a: 'real_if', b: 'virtual_if', c: 'changed', text: 'by_instruction' },
  segment_load: { a: 'reg', b: 'selector', c: 'base', d: 'seg_limit', text: 'rights' },
  stale_descriptor: { a: 'reg', b: 'selector' },
  dtr: { a: 'base', b: 'dt_limit', c: 'selector', text: 'op' },
  cr: { a: 'is_write', b: 'reg', c: 'value' },
  msr: { a: 'is_write', b: 'msr_index', c: 'value_lo', d: 'value_hi' },
  tpr: { a: 'old_tpr', b: 'new_tpr' },
  io: { a: 'is_write', b: 'port', c: 'size', d: 'value' },
  fast_syscall: { a: 'to_cs', b: 'to_eip', c: 'to_cpl', text: 'op' },
  monitor_exit: { a: 'exit_reason', b: 'qualification', text: 'reason' },
  monitor_entry: { text: 'how' },
  monitor_emulation: { a: 'value', text: 'what' },
  input: { a: 'value', text: 'channel' },
  halt: {},
  shutdown: { text: 'reason' },
  run_end: { a: 'exit_code', text: 'reason' },
  io_string: { a: 'port', b: 'elements', c: 'digest', d: 'last_value', text: 'op' },
  task_switch: { a: 'old_tss', b: 'new_tss', c: 'vector', text: 'cause' },
};

/** One event as the recorder and replay handle it (a, b, c, d are uint32 or small ints). */
export interface TraceEvent {
  seq: number;
  icount: number;
  kind: number;
  cpl: number;
  cs: number;
  eip: number;
  a: number;
  b: number;
  c: number;
  d: number;
  text: string;
}

/** One line per event, used by golden traces and by replay mismatch reports. */
export function formatEvent(e: TraceEvent): string {
  const name = KIND_NAMES[e.kind] ?? `kind${e.kind}`;
  const f = KIND_FIELDS[name as EventKindName] ?? {};
  const parts: string[] = [];
  const hexish = (n: number) => (n >= 0 && n < 16 ? String(n) : '0x' + (n >>> 0).toString(16));
  for (const slot of ['a', 'b', 'c', 'd'] as const) {
    const col = f[slot];
    if (col) parts.push(`${col}=${hexish(e[slot])}`);
  }
  if (f.text) parts.push(`${f.text}=${e.text}`);
  return `#${e.seq} @${e.icount} cpl${e.cpl} ${e.cs.toString(16).padStart(4, '0')}:${(e.eip >>> 0).toString(16).padStart(8, '0')} ${name} ${parts.join(' ')}`.trimEnd();
}
