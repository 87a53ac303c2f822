/**
 * The seed's taxonomy of IA-32 virtualization challenges, as classification rules written as
 * data: one rule per category, tried in order; the first whose every condition holds names
 * the divergence. Conditions: the sensitive form of the divergent instruction; an event of a
 * kind (and vector) at that instruction in one run only; a stale-descriptor event in either
 * run before it; the right run's monitor mode. No rule: "unclassified", with the evidence.
 * The rules read events of a few kinds only (CLASSIFIER_KINDS at the divergent instruction,
 * STALE_KIND before it): the report asks the runs for just those, by kind and icount range,
 * instead of reading every event from the start of each run.
 */
import type { TraceEvent } from '../events';
import { EventKind, formatEvent } from '../events';
import type { Form } from './forms';
import type { Divergence } from './engine';

export interface CategoryRule {
  category: string;
  short: string; // for narrow tables (the matrix)
  /** What the rule recognises (the README lists these with an example each). */
  explains: string;
  forms?: Form[];
  /** A fault of this vector that reaches the guest's own handler at the divergent instruction, in one run only (faults a monitor takes for itself, such as hidden page faults, do not count). */
  guestFaultInOneRun?: number;
  /** The text of a monitor_emulation event at the divergent instruction in either run. */
  eventText?: RegExp;
  /** A stale_descriptor event in either run at or before the divergence. */
  staleDescriptorBefore?: boolean;
  /**
   * The interventions this challenge costs a monitor, by the text of their monitor_emulation
   * events (the cost summary's "by the seed's category"; cost.ts); without it, eventText.
   */
  interventions?: RegExp;
}

export const CATEGORY_RULES: CategoryRule[] = [
  { category: 'system calls', short: 'syscalls', explains: 'SYSENTER/SYSEXIT at the divergence: the fast system-call pair assumes ring 0 and ring 3', forms: ['sysenter', 'sysexit'], interventions: /^sysenter|^sysexit/ },
  { category: 'non-faulting access to privileged state', short: 'nonfaulting', explains: 'SGDT, SIDT, SLDT, STR or SMSW: they read privileged registers at any CPL without trapping, so the guest sees the monitor\'s values', forms: ['sgdt', 'sidt', 'sldt', 'str', 'smsw'], interventions: /^(sgdt|sidt|sldt|str|smsw)$/ },
  { category: 'ring aliasing', short: 'ring-alias', explains: 'PUSH/MOV from a segment register, LAR, LSL, VERR, VERW: the selector\'s RPL or the descriptor\'s DPL shows the ring the monitor runs the guest in', forms: ['push-sreg', 'mov-from-sreg', 'lar', 'lsl', 'verr', 'verw'] },
  { category: 'interrupt virtualization', short: 'interrupts', explains: 'PUSHF/POPF/CLI/STI/IRET: POPF at a deprivileged ring ignores IF silently and PUSHF shows the real IF', forms: ['pushf', 'popf', 'cli', 'sti', 'iret'], interventions: /^(cli|sti|popf|pushf|iret|int|int3|into)$|interrupt|delivered through the guest idt|injected/ },
  { category: 'hidden state', short: 'hidden', explains: 'a segment register used after its descriptor was rewritten (a stale_descriptor event): natively the hidden cache keeps the old descriptor, a monitor that reloads segments after a trap picks up the new one', staleDescriptorBefore: true, interventions: /segment reload/ },
  { category: 'ring compression', short: 'ring-compr', explains: 'a page fault in one run only: with guest kernel and user at the same real ring and one shadow page table, page protection no longer tells them apart', guestFaultInOneRun: 14 },
  { category: 'address-space compression', short: 'as-compr', explains: 'an access to the linear range the monitor reserves for itself, emulated by the monitor', eventText: /monitor region/ },
  { category: 'frequent access to privileged resources', short: 'frequent', explains: 'a TPR or local-APIC access, which a monitor must intercept every time', eventText: /local apic|tpr/i },
];

/** The kinds of event the rules read at the divergent instruction (derived from the rules' conditions). */
export const CLASSIFIER_KINDS: readonly number[] = [...new Set(CATEGORY_RULES.flatMap((r) => [
  ...(r.guestFaultInOneRun !== undefined ? [EventKind.interrupt, EventKind.monitor_exit] : []),
  ...(r.eventText !== undefined ? [EventKind.monitor_emulation] : []),
]))].sort((a, b) => a - b);

/** The kind a rule with staleDescriptorBefore looks for anywhere before the divergence. */
export const STALE_KIND = EventKind.stale_descriptor;

/** A category's short name (the category itself when no rule has it, as for 'unclassified'). */
export function shortCategory(category: string): string {
  return CATEGORY_RULES.find((r) => r.category === category)?.short ?? category;
}

export interface Classification {
  category: string; // one of CATEGORY_RULES' categories, or 'unclassified'
  rule: string; // the rule's explanation, or the evidence when unclassified
}

/** Faults of `vector` delivered at these events minus those the monitor took for itself (a monitor_exit for each). */
function guestFaults(es: TraceEvent[], vector: number): number {
  const delivered = es.filter((e) => e.kind === EventKind.interrupt && e.a === vector && (e.text === 'exception' || e.text === 'reflected')).length;
  const taken = es.filter((e) => e.kind === EventKind.monitor_exit && e.a === vector).length;
  return delivered - taken;
}

function eventsAt(events: TraceEvent[], icount: number): TraceEvent[] {
  // Events at the instruction: stamped with the count before it retired or with its own count.
  return events.filter((e) => e.icount === icount - 1 || e.icount === icount);
}

/**
 * Classifies `d` with the events of both runs at it (`left`, `right`: events of
 * CLASSIFIER_KINDS with icount d.icount - 1 or d.icount; others are ignored; `staleBefore`:
 * whether either run had a stale_descriptor event by then).
 */
export function classify(d: Divergence, left: TraceEvent[], right: TraceEvent[], staleBefore: boolean): Classification {
  const atL = eventsAt(left, d.icount), atR = eventsAt(right, d.icount);
  for (const rule of CATEGORY_RULES) {
    if (rule.forms !== undefined && (d.form === null || !rule.forms.includes(d.form))) continue;
    if (rule.staleDescriptorBefore === true && !staleBefore) continue;
    if (rule.guestFaultInOneRun !== undefined) {
      const v = rule.guestFaultInOneRun;
      const has = (es: TraceEvent[]) => guestFaults(es, v) > 0;
      if (has(atL) === has(atR)) continue;
    }
    if (rule.eventText !== undefined) {
      const re = rule.eventText;
      if (![...atL, ...atR].some((e) => e.kind === EventKind.monitor_emulation && re.test(e.text))) continue;
    }
    return { category: rule.category, rule: rule.explains };
  }
  const evidence = [
    `instruction form ${d.form ?? 'not sensitive'}`,
    `differs: ${d.differences.map((x) => x.name).join(', ')}`,
    ...atL.slice(0, 3).map((e) => `left ${formatEvent(e)}`),
    ...atR.slice(0, 3).map((e) => `right ${formatEvent(e)}`),
  ];
  return { category: 'unclassified', rule: evidence.join('; ') };
}
