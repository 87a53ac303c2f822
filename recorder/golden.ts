/**
 * Golden event streams: the readable text form of a guest's recorded events, kept in
 * traces/golden/ and compared exactly by the tests. Long streams keep their first
 * GOLDEN_HEAD events; the summary at the top counts every event of every kind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KIND_NAMES, formatEvent, type TraceEvent } from './events';
import { Session, buildMachine, DEFAULT_SNAPSHOT_INTERVAL } from './session';
import { DEFAULT_RAM_SIZE } from '../emulator/machine';

export const GOLDEN_HEAD = 1500;
export const GOLDEN_DIR = join(import.meta.dirname, '../traces/golden');
export const GOLDEN_GUESTS = [
  'ring-aliasing', 'address-space', 'privileged-state', 'syscalls', 'interrupts', 'hidden-state',
  'ring-compression', 'tpr', 'minikernel',
];

/** Records a guest in memory (native mode) and renders its golden text. */
export function goldenText(guestPath: string): string {
  const image = new Uint8Array(readFileSync(guestPath));
  const opts = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };
  const head: string[] = [];
  const counts = new Map<string, number>();
  let total = 0;
  const sink = (e: TraceEvent) => {
    total++;
    const name = KIND_NAMES[e.kind];
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (head.length < GOLDEN_HEAD) head.push(formatEvent(e));
  };
  const session = new Session(buildMachine(image, opts), opts, sink, []);
  const r = session.run(Infinity);
  session.end(r);
  const summary = [...counts.entries()].sort().map(([k, v]) => `# ${k}: ${v}`);
  return [`# ${total} events, end ${r.reason} exit ${r.exitCode} at icount ${r.icount}`, ...summary, ...head, ''].join('\n');
}
