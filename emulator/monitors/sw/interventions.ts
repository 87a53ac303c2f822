/**
 * What the software monitor did, by kind: the counts the matrix and the bench read, and the
 * monitor_emulation event each intervention reports.
 */
import type { SoftwareMonitor } from './monitor';

/** What the monitor did, by kind (the matrix and the bench count these). */
export const INTERVENTIONS = [
  'interrupt', 'exception', 'hidden-page-fault', 'monitor-region', 'apic', 'mmio', 'descriptor-write',
  'page-table-write', 'write-protect', 'iflag', 'io', 'privileged', 'control-register', 'descriptor-table',
  'msr', 'int', 'iret', 'sysenter', 'sysexit', 'segment', 'far-transfer', 'memory', 'task-switch',
] as const;
export type Intervention = (typeof INTERVENTIONS)[number];
const KIND_INDEX = new Map<string, number>(INTERVENTIONS.map((k, n) => [k, n]));

/** Counts one intervention of `kind` and reports it (`what`, `value`) to the observer. */
export function note(m: SoftwareMonitor, kind: Intervention, what: string, value: number): void {
  m.counts[KIND_INDEX.get(kind)!]++;
  if (m.cpu.observer !== null) m.cpu.observer.monitorEmulation(what, value);
}
