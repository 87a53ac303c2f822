/**
 * The event model: the closed set of state transitions a run emits, in order, each kind
 * declared once in EVENT_KINDS below: its number, why it exists (when it is emitted), and its
 * fields, each with its name (the column of its `ev_<kind>` view), the slot that stores it, how
 * it prints, and its values when they form a closed set. Everything else is made from it:
 * EventKind, KIND_NAMES, KIND_FIELDS, the typed emitters the recorder uses (event-emitters.ts:
 * `emit.privilege(from_cpl, to_cpl, to_cs, to_eip, cause)`, never a list of bare slots) and the
 * tests' makeEvent (`makeEvent('privilege', { from_cpl, ... }, stamp)`), the store's
 * views and model string (store/schema.ts), one-line printing (formatEvent, the golden
 * streams; the debugger's event lines), and the tables of kinds in README.md and
 * recorder/README-queries.md (kindTable, viewTable; a test keeps the files current, and
 * `npm run golden` rewrites them).
 *
 * Every event carries its sequence number (its position in the run), the retired-instruction
 * count when it happened, and the CS:EIP and CPL of the instruction at which it happened: the
 * faulting instruction; for an interrupt (or an input), the instruction it interrupted; for
 * IRET, SYSEXIT or a far transfer, that instruction itself. An event that transfers control
 * carries its destination (CS:EIP and the new CPL) as fields (privilege, interrupt, fast_syscall).
 * Kind-specific fields go in four integer slots (a, b, c, d) and one text slot.
 *
 * Replay verification compares every event of every kind (each stored block's digest, then the
 * first event that differs; see replay.ts): no kind is exempt, so no kind carries a flag saying
 * whether replay checks it.
 */
import { DTR_OPS, FAST_SYSCALL_OPS, IFLAG_CAUSES, INTERRUPT_SOURCES, PRIVILEGE_CAUSES, TASK_SWITCH_CAUSES } from '../emulator/cpu/observer';
import { END_REASONS } from './end-reasons';

/** Where a field is stored: one of the four integer slots or the text slot. */
export type Slot = 'a' | 'b' | 'c' | 'd' | 'text';

/**
 * How a field prints on one line (formatEvent, the debugger's event lines):
 * - `number`: decimal below 16, otherwise unsigned hexadecimal with 0x (every integer slot);
 * - `label`: the text as it is, and in the debugger's line first and without its name (a cause,
 *   an op, a reason: what the event is about);
 * - `hex-text`: a text that holds hexadecimal digits (segment rights), printed with its name
 *   after the numbers.
 */
export type FieldPrint = 'number' | 'label' | 'hex-text';

export interface FieldDeclaration {
  readonly name: string; // the column of ev_<kind>, and the parameter of the kind's emitter
  readonly slot: Slot;
  readonly print: FieldPrint;
  readonly about?: string; // what it holds, when its name does not say it all (the READMEs' tables)
  readonly values?: readonly string[]; // the closed set of texts it takes
  /**
   * A signed integer (it has a -1 sentinel). Every other integer field is a 32-bit unsigned
   * quantity (an address, a limit, a register value), which ev_<kind> shows unsigned whatever
   * sign its slot was stored with.
   */
  readonly signed?: true;
}

export interface KindDeclaration {
  readonly id: number; // the number stored in events.kind (never reused: traces keep it)
  readonly why: string; // when it is emitted (the READMEs' tables)
  readonly fields: readonly FieldDeclaration[]; // in slot order: a, b, c, d, text
}

/** io_string's op by direction and element size (index: write * 3 + size / 2). */
export const IO_STRING_OPS = ['insb', 'insw', 'insd', 'outsb', 'outsw', 'outsd'] as const;
/** The channels an input arrives on (the trace stores the name). */
export const INPUT_CHANNELS = ['uart', 'irq', 'keyboard'] as const;
export type InputChannel = (typeof INPUT_CHANNELS)[number];

/**
 * One input: a UART byte fed to the receiver, an interrupt raised at the local APIC, or a
 * scancode typed on the keyboard (set 1, queued at the 8042). Recording stores it (the inputs
 * table), replay and seek apply it at the same count, and it is an `input` event when applied.
 */
export interface Input {
  icount: number; // applied before the instruction with this count retires
  channel: InputChannel;
  value: number; // the byte, the vector, or the scancode
}

export const EVENT_KINDS = {
  privilege: {
    id: 1,
    why: 'the CPL changes (under a monitor: the real CPL on traps and returns, the virtual one in emulated instructions)',
    fields: [
      { name: 'from_cpl', slot: 'a', print: 'number' },
      { name: 'to_cpl', slot: 'b', print: 'number' },
      { name: 'to_cs', slot: 'c', print: 'number' },
      { name: 'to_eip', slot: 'd', print: 'number' },
      { name: 'cause', slot: 'text', print: 'label', values: PRIVILEGE_CAUSES },
    ],
  },
  exception: {
    id: 2,
    why: 'the CPU raises an exception',
    fields: [
      { name: 'vector', slot: 'a', print: 'number' },
      { name: 'error_code', slot: 'b', print: 'number', about: '-1: none', signed: true },
      { name: 'cr2', slot: 'c', print: 'number', about: 'for #PF' },
    ],
  },
  interrupt: {
    id: 3,
    why: "an event enters its handler through the IDT (`reflected`: a monitor delivered it through the guest's own IDT; `injected`: VT-x VM entry injected it)",
    fields: [
      { name: 'vector', slot: 'a', print: 'number' },
      { name: 'to_cs', slot: 'b', print: 'number' },
      { name: 'to_eip', slot: 'c', print: 'number' },
      { name: 'to_cpl', slot: 'd', print: 'number', about: 'the handler' },
      { name: 'source', slot: 'text', print: 'label', values: INTERRUPT_SOURCES },
    ],
  },
  iflag: {
    id: 4,
    why: 'EFLAGS.IF changes, or POPF/CLI/STI leave it as it was',
    fields: [
      { name: 'real_if', slot: 'a', print: 'number' },
      { name: 'virtual_if', slot: 'b', print: 'number', about: '-1 without a monitor', signed: true },
      { name: 'changed', slot: 'c', print: 'number', about: '0/1' },
      { name: 'by_instruction', slot: 'text', print: 'label', values: IFLAG_CAUSES },
    ],
  },
  segment_load: {
    id: 5,
    why: 'a segment register and its hidden cache are loaded',
    fields: [
      { name: 'reg', slot: 'a', print: 'number', about: '0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS' },
      { name: 'selector', slot: 'b', print: 'number' },
      { name: 'base', slot: 'c', print: 'number' },
      { name: 'seg_limit', slot: 'd', print: 'number' },
      { name: 'rights', slot: 'text', print: 'hex-text', about: 'the descriptor\'s high dword, 8 hex digits' },
    ],
  },
  stale_descriptor: {
    id: 6,
    why: 'a guest write hits the descriptor a loaded register has cached',
    fields: [{ name: 'reg', slot: 'a', print: 'number' }, { name: 'selector', slot: 'b', print: 'number' }],
  },
  dtr: {
    id: 7,
    why: 'descriptor-table registers are loaded or stored',
    fields: [
      { name: 'base', slot: 'a', print: 'number', about: 'CR0 for smsw' },
      { name: 'dt_limit', slot: 'b', print: 'number' },
      { name: 'selector', slot: 'c', print: 'number' },
      { name: 'op', slot: 'text', print: 'label', values: DTR_OPS },
    ],
  },
  cr: {
    id: 8,
    why: 'MOV to/from CRn, CLTS, LMSW',
    fields: [{ name: 'is_write', slot: 'a', print: 'number', about: '0/1' }, { name: 'reg', slot: 'b', print: 'number' }, { name: 'value', slot: 'c', print: 'number' }],
  },
  msr: {
    id: 9,
    why: 'RDMSR, WRMSR',
    fields: [{ name: 'is_write', slot: 'a', print: 'number', about: '0/1' }, { name: 'msr_index', slot: 'b', print: 'number' }, { name: 'value_lo', slot: 'c', print: 'number' }, { name: 'value_hi', slot: 'd', print: 'number' }],
  },
  tpr: {
    id: 10,
    why: 'the guest writes the APIC TPR (under vtx with the TPR shadow: its virtual TPR, which causes no exit)',
    fields: [{ name: 'old_tpr', slot: 'a', print: 'number' }, { name: 'new_tpr', slot: 'b', print: 'number' }],
  },
  io: {
    id: 11,
    why: 'IN, OUT, and INS, OUTS without REP',
    fields: [{ name: 'is_write', slot: 'a', print: 'number', about: '0/1' }, { name: 'port', slot: 'b', print: 'number' }, { name: 'size', slot: 'c', print: 'number' }, { name: 'value', slot: 'd', print: 'number' }],
  },
  fast_syscall: {
    id: 12,
    why: 'SYSENTER, SYSEXIT',
    fields: [{ name: 'to_cs', slot: 'a', print: 'number' }, { name: 'to_eip', slot: 'b', print: 'number' }, { name: 'to_cpl', slot: 'c', print: 'number' }, { name: 'op', slot: 'text', print: 'label', values: FAST_SYSCALL_OPS }],
  },
  monitor_exit: {
    id: 13,
    why: "the CPU entered the monitor (stamped with the guest's CS:EIP, the instruction that trapped, and its virtual CPL)",
    fields: [
      { name: 'exit_reason', slot: 'a', print: 'number', about: 'the vector; 256 for SYSENTER; the VT-x basic exit reason' },
      { name: 'qualification', slot: 'b', print: 'number', about: 'error code; CR2 for #PF; the VT-x exit qualification' },
      { name: 'reason', slot: 'text', print: 'label', about: '#GP, #PF, ..., interrupt, sysenter; a VT-x exit reason\'s name' },
    ],
  },
  monitor_entry: {
    id: 14,
    why: 'the monitor resumed the guest',
    fields: [{ name: 'how', slot: 'text', print: 'label', about: '`iret to ring 1`, `iret to ring 3`; `vmlaunch`, `vmresume` and the event injected' }],
  },
  monitor_emulation: {
    id: 15,
    why: 'what the monitor did about it',
    fields: [
      { name: 'value', slot: 'a', print: 'number', about: 'port, address or error code' },
      {
        name: 'what',
        slot: 'text',
        print: 'label',
        about: "the emulated instruction's mnemonic, or e.g. `shadow page-table entry filled`, `local apic access emulated`, `#GP delivered through the guest idt`",
      },
    ],
  },
  input: {
    id: 16,
    why: 'an input reaches the machine',
    fields: [
      { name: 'value', slot: 'a', print: 'number', about: 'the byte, the vector or the scancode' },
      { name: 'channel', slot: 'text', print: 'label', values: INPUT_CHANNELS },
    ],
  },
  halt: {
    id: 17,
    why: 'HLT',
    fields: [],
  },
  shutdown: {
    id: 18,
    why: 'the processor shuts down (stamped with the faulting instruction)',
    fields: [
      {
        name: 'reason',
        slot: 'text',
        print: 'label',
        about:
          '`triple fault:` and the exception chain (`#GP(0) -> #TS(1) -> #DF -> #TS(1) -> shutdown`: each event delivered or raised while delivering the previous one), or `monitor:` and what a monitor could not handle',
      },
    ],
  },
  run_end: {
    id: 19,
    why: 'the run ends',
    fields: [{ name: 'exit_code', slot: 'a', print: 'number' }, { name: 'reason', slot: 'text', print: 'label', values: END_REASONS }],
  },
  io_string: {
    id: 20,
    why: 'one execution of REP INS or REP OUTS',
    fields: [
      { name: 'port', slot: 'a', print: 'number' },
      { name: 'elements', slot: 'b', print: 'number' },
      { name: 'digest', slot: 'c', print: 'number', about: 'FNV-1a of the values' },
      { name: 'last_value', slot: 'd', print: 'number' },
      { name: 'op', slot: 'text', print: 'label', values: IO_STRING_OPS },
    ],
  },
  task_switch: {
    id: 21,
    why: 'a hardware task switch passes its commit point (JMP, CALL or IRET to a task, or an event through a task gate)',
    fields: [
      { name: 'old_tss', slot: 'a', print: 'number' },
      { name: 'new_tss', slot: 'b', print: 'number' },
      { name: 'vector', slot: 'c', print: 'number', about: 'the IDT vector of a task gate; -1 otherwise' },
      { name: 'cause', slot: 'text', print: 'label', values: TASK_SWITCH_CAUSES },
    ],
  },
} as const satisfies Record<string, KindDeclaration>;

export type EventKindName = keyof typeof EVENT_KINDS;
type Fields<K extends EventKindName> = (typeof EVENT_KINDS)[K]['fields'][number];
type FieldValue<F> = F extends { readonly values: readonly (infer V)[] } ? V : F extends { readonly slot: 'text' } ? string : number;

/** The named fields of one event of kind K: what its emitter takes and eventFields returns. */
export type EventFields<K extends EventKindName> = { [F in Fields<K> as F['name']]: FieldValue<F> };

/** Kind name -> number. */
export const EventKind = Object.fromEntries(Object.entries(EVENT_KINDS).map(([name, k]) => [name, k.id])) as {
  readonly [K in EventKindName]: (typeof EVENT_KINDS)[K]['id'];
};

/** Kind number -> name (holes where no kind has that number). */
export const KIND_NAMES: EventKindName[] = [];
for (const [name, k] of Object.entries(EVENT_KINDS)) KIND_NAMES[k.id] = name as EventKindName;

/** The declaration of a kind by its number (undefined for a number no kind has). */
export function kindDeclaration(kind: number): KindDeclaration | undefined {
  const name = KIND_NAMES[kind];
  return name === undefined ? undefined : EVENT_KINDS[name];
}

/** The named columns of each kind, by slot (a, b, c, d, text). */
export const KIND_FIELDS = Object.fromEntries(
  Object.entries(EVENT_KINDS).map(([name, k]) => [name, Object.fromEntries(k.fields.map((f: FieldDeclaration) => [f.slot, f.name]))]),
) as Record<EventKindName, Partial<Record<Slot, string>>>;

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

/** Where an event happened and its place in the run: everything but its kind and fields. */
export type EventStamp = Pick<TraceEvent, 'seq' | 'icount' | 'cpl' | 'cs' | 'eip'>;

/** Receives one event as its kind number and slots (the recorder stamps and stores it). */
export type SlotSink = (kind: number, a: number, b: number, c: number, d: number, text: string) => void;

/**
 * The source of recorder/event-emitters.ts: a class with one method per kind, taking that
 * kind's fields as named, typed parameters in slot order, that puts them in their slots.
 * It is generated (by `npm run golden`; a test keeps it current) rather than built at run time,
 * so that a recorded event costs one inlined call with no object to allocate.
 */
export function emittersSource(): string {
  const lines = [
    '// Generated from EVENT_KINDS (recorder/events.ts) by `npm run golden`; do not edit.',
    "import type { EventFields, SlotSink } from './events';",
    '',
    '/** One method per event kind, taking its fields by name; each puts them in their slots and sends them to the sink. */',
    'export class EventEmitters {',
    '  private readonly sink: SlotSink; // where the slots go',
    '',
    '  constructor(sink: SlotSink) {',
    '    this.sink = sink;',
    '  }',
  ];
  for (const [name, k] of Object.entries(EVENT_KINDS)) {
    const fields: readonly FieldDeclaration[] = k.fields;
    const params = fields.map((f) => `${f.name}: ${f.values !== undefined ? `EventFields<'${name}'>['${f.name}']` : f.slot === 'text' ? 'string' : 'number'}`);
    const slot = (s: Slot, none: string) => fields.find((f) => f.slot === s)?.name ?? none;
    lines.push(
      '',
      `  /** ${k.why[0].toUpperCase()}${k.why.slice(1)}. */`,
      `  ${name}(${params.join(', ')}): void {`,
      `    this.sink(${k.id}, ${slot('a', '0')}, ${slot('b', '0')}, ${slot('c', '0')}, ${slot('d', '0')}, ${slot('text', "''")});`,
      '  }',
    );
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** One event of kind `kind` with these fields, stamped with `stamp` (tests, fixtures). */
export function makeEvent<K extends EventKindName>(kind: K, fields: EventFields<K>, stamp: EventStamp): TraceEvent {
  const slots: TraceEvent = { ...stamp, kind: EVENT_KINDS[kind].id, a: 0, b: 0, c: 0, d: 0, text: '' };
  for (const f of EVENT_KINDS[kind].fields as readonly FieldDeclaration[]) {
    const v = (fields as Record<string, number | string>)[f.name];
    if (f.slot === 'text') slots.text = v as string;
    else slots[f.slot] = (v as number) | 0;
  }
  return slots;
}

/** The named fields of an event, as its ev_<kind> view has them (empty for an unknown kind). */
export function eventFields(e: TraceEvent): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const f of kindDeclaration(e.kind)?.fields ?? []) {
    const v = e[f.slot];
    // As ev_<kind> shows it: a 32-bit unsigned field unsigned, a signed one as stored.
    out[f.name] = typeof v === 'number' && f.signed !== true ? v >>> 0 : v;
  }
  return out;
}

/** An integer field as it prints: decimal below 16, otherwise unsigned hexadecimal. */
export function printNumber(n: number): string {
  return n >= 0 && n < 16 ? String(n) : '0x' + (n >>> 0).toString(16);
}

/** One line per event, used by golden traces and by replay mismatch reports. */
export function formatEvent(e: TraceEvent): string {
  const name = KIND_NAMES[e.kind] ?? `kind${e.kind}`;
  const parts: string[] = [];
  const fields = kindDeclaration(e.kind)?.fields ?? [];
  for (const f of fields) if (f.slot !== 'text') parts.push(`${f.name}=${printNumber(e[f.slot])}`);
  for (const f of fields) if (f.slot === 'text') parts.push(`${f.name}=${e.text}`);
  return `#${e.seq} @${e.icount} cpl${e.cpl} ${e.cs.toString(16).padStart(4, '0')}:${(e.eip >>> 0).toString(16).padStart(8, '0')} ${name} ${parts.join(' ')}`.trimEnd();
}

/** An event's fields on one line as the debugger lists them: a label first, then name=value. */
export function fieldsLine(e: TraceEvent): string {
  const fields = kindDeclaration(e.kind)?.fields ?? [];
  const parts: string[] = [];
  for (const f of fields) if (f.print === 'label') parts.push(e.text);
  for (const f of fields) if (f.print === 'number') parts.push(`${f.name}=${printNumber(e[f.slot] as number)}`);
  for (const f of fields) if (f.print === 'hex-text') parts.push(`${f.name}=${e.text}`);
  return parts.join(' ');
}

/** A field as the READMEs' tables show it: `name` (about; values). */
function fieldCell(f: FieldDeclaration): string {
  const notes = [f.about, f.values?.join(', ')].filter((s) => s !== undefined);
  return notes.length === 0 ? `\`${f.name}\`` : `\`${f.name}\` (${notes.join('; ')})`;
}

/** The README's table of kinds: kind, fields, emitted when. */
export function kindTable(): string {
  const rows = Object.entries(EVENT_KINDS).map(([name, k]) => ['', `\`${name}\``, k.fields.map(fieldCell).join(', '), k.why, ''].join(' | ').trim().replace('|  |', '| |'));
  return ['| kind | fields | emitted when |', '|---|---|---|', ...rows].join('\n');
}

/** recorder/README-queries.md's table of views: view, columns, one row per. */
export function viewTable(): string {
  const rows = Object.entries(EVENT_KINDS).map(
    ([name, k]) => `| \`ev_${name}\` | ${k.fields.length === 0 ? '(none)' : k.fields.map(fieldCell).join(', ')} | ${k.why} |`,
  );
  return ['| view | columns | emitted when |', '|---|---|---|', '| `ev_all` | `kind` (name), `kind_id`, `a`, `b`, `c`, `d`, `text` | any event |', ...rows].join('\n');
}
