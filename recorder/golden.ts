/**
 * Golden event streams: the readable text form of a guest's recorded events, kept in
 * traces/golden/ and compared exactly by the tests. Long streams keep their first
 * GOLDEN_HEAD events; the summary at the top counts every event of every kind.
 */
import { packageRoot } from '../emulator/package-root';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KIND_NAMES, emittersSource, formatEvent, kindTable, viewTable, type TraceEvent } from './events';
import { Session, buildMachine, DEFAULT_SNAPSHOT_INTERVAL } from './session';
import { DEFAULT_RAM_SIZE } from '../emulator/machine';
import { SCENARIOS } from '../scenarios/scenarios';

export const GOLDEN_HEAD = 1500;
export const GOLDEN_DIR = join(packageRoot(import.meta.dirname), 'traces/golden');
export const GOLDEN_GUESTS = SCENARIOS.map((s) => s.name);

/**
 * Guests whose stream is also pinned under the software monitors (file `<guest>.<mode>.events.txt`):
 * one per kind of divergence, so that a change in what the monitors do shows event by event.
 */
export const GOLDEN_MONITORED: { guest: string; mode: 'sw-013' | 'sw-033' | 'vtx' }[] = [
  { guest: 'ring-aliasing', mode: 'sw-013' },
  { guest: 'interrupts', mode: 'sw-013' },
  { guest: 'hidden-state', mode: 'sw-033' },
  { guest: 'ring-compression', mode: 'sw-033' },
  // VT-x: interrupt injection, the interrupt window and HLT exits; the TPR shadow's silent writes.
  { guest: 'interrupts', mode: 'vtx' },
  { guest: 'minikernel', mode: 'vtx' },
];

/** The golden file of a guest under a mode. */
export function goldenFile(guest: string, mode = 'native'): string {
  return join(GOLDEN_DIR, mode === 'native' ? `${guest}.events.txt` : `${guest}.${mode}.events.txt`);
}

/** Records a guest in memory and renders its golden text. */
export function goldenText(guestPath: string, mode = 'native'): string {
  const image = new Uint8Array(readFileSync(guestPath));
  const opts = { mode, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };
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

/**
 * Files made from the event declaration (recorder/events.ts), each with the function that
 * makes its current text from the file's text: the typed emitters, and the tables of kinds in
 * README.md and recorder/README-queries.md. `npm run golden` writes them; a test checks them.
 */
export const EVENT_DERIVED_FILES: { path: string; update: (text: string) => string }[] = [
  { path: 'recorder/event-emitters.ts', update: () => emittersSource() },
  { path: 'README.md', update: (text) => replaceTable(text, '| kind | fields | emitted when |', kindTable()) },
  { path: 'recorder/README-queries.md', update: (text) => replaceTable(text, '| view | columns |', viewTable()) },
];

/** `text` with the Markdown table whose header line starts with `header` replaced by `table`. */
export function replaceTable(text: string, header: string, table: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) throw new Error(`no table starting with ${header}`);
  let end = start;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  return [...lines.slice(0, start), table, ...lines.slice(end)].join('\n');
}
