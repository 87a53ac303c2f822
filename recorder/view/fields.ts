/**
 * A CPU view flattened into named fields (`eax`, `ds.base`, `cr0`, `v.cpl`, ...), each with the
 * text it is shown as. The debugger highlights the fields that changed since the previous
 * point, and the diff pane those that differ between two runs: both compare these texts.
 */
import type { CpuView, TableRegisterView } from './cpu-view';

export const hex = (n: number, w = 8): string => (n >>> 0).toString(16).padStart(w, '0');

function table(out: Map<string, string>, prefix: string, t: TableRegisterView): void {
  if (t.selector !== undefined) out.set(`${prefix}.sel`, hex(t.selector, 4));
  out.set(`${prefix}.base`, hex(t.base));
  out.set(`${prefix}.limit`, t.limit > 0xffff ? hex(t.limit) : hex(t.limit, 4));
}

export function cpuFields(v: CpuView): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of v.regs) out.set(r.name, hex(r.value));
  out.set('eip', hex(v.eip));
  out.set('eflags', hex(v.eflags));
  out.set('cpl', String(v.cpl));
  for (const s of v.segments) {
    out.set(`${s.name}.sel`, hex(s.selector, 4));
    out.set(`${s.name}.base`, hex(s.base));
    out.set(`${s.name}.limit`, hex(s.limit));
    out.set(`${s.name}.rights`, s.rightsText);
    out.set(`${s.name}.stale`, s.stale ? 'stale' : '');
  }
  table(out, 'gdtr', v.gdtr);
  table(out, 'idtr', v.idtr);
  table(out, 'ldtr', v.ldtr);
  table(out, 'tr', v.tr);
  for (const [k, n] of Object.entries(v.cr)) out.set(k, hex(n));
  const mon = v.monitor;
  if (mon !== null) {
    out.set('v.cpl', String(mon.cpl));
    out.set('v.if', String(mon.if));
    out.set('v.iopl', String(mon.iopl));
    for (const [k, n] of Object.entries(mon.cr)) out.set(`v.${k}`, hex(n));
    table(out, 'v.gdtr', mon.gdtr);
    table(out, 'v.idtr', mon.idtr);
    table(out, 'v.ldtr', mon.ldtr);
    table(out, 'v.tr', mon.tr);
    out.set('v.exits', String(mon.exits));
  }
  return out;
}

/** The fields whose text differs between two views (a field missing on one side differs). */
export function changedFields(before: CpuView | null, after: CpuView): Set<string> {
  const changed = new Set<string>();
  if (before === null) return changed;
  const a = cpuFields(before), b = cpuFields(after);
  for (const [k, v] of b) if (a.get(k) !== v) changed.add(k);
  for (const k of a.keys()) if (!b.has(k)) changed.add(k);
  return changed;
}
