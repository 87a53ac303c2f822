/** Shared fixtures of the store tests: temporary traces and events of every kind. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EventKind, KIND_FIELDS, KIND_NAMES, type EventKindName, type TraceEvent } from '../../../recorder/events';
import { openTrace } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { createRun } from '../../../recorder/store/create-run';
import { finishRun } from '../../../recorder/store/finish-run';
import { EventWriter } from '../../../recorder/store/append-events';
import type { NewRun } from '../../../recorder/store/types';

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `ringside-${name}-`));
}

/** Files next to `path` that share its name (the trace, and any -wal, -shm or -journal). */
export function siblings(path: string): string[] {
  return readdirSync(dirname(path)).filter((f) => f.startsWith(basename(path))).sort();
}

/** Values of the slots of one event of each kind, chosen to be told apart (some uint32, some negative). */
const SLOT_VALUES: Record<EventKindName, Partial<Pick<TraceEvent, 'a' | 'b' | 'c' | 'd' | 'text'>>> = {
  privilege: { a: 3, b: 0, c: 0x08, d: 0x00100040, text: 'interrupt' },
  exception: { a: 14, b: 6, c: 0xc0001234 },
  interrupt: { a: 32, b: 0x08, c: 0x00100080, d: 0, text: 'apic' },
  iflag: { a: 0, b: -1, c: 1, text: 'cli' },
  segment_load: { a: 3, b: 0x10, c: 0, d: -1, text: '00c09300' },
  stale_descriptor: { a: 3, b: 0x23 },
  dtr: { a: 0x00101000, b: 0x2f, c: 0, text: 'sgdt' },
  cr: { a: 1, b: 3, c: 0x00200000 },
  msr: { a: 1, b: 0x174, c: 0x08, d: 0 },
  tpr: { a: 0, b: 0x20 },
  io: { a: 1, b: 0x3f8, c: 1, d: 0x41 },
  fast_syscall: { a: 0x08, b: 0x00100200, c: 0, text: 'sysenter' },
  monitor_exit: { a: 48, b: 0x1c3, text: 'ept-violation' },
  monitor_entry: { text: 'vmresume' },
  monitor_emulation: { a: 0x7f, text: 'cli' },
  input: { a: 0x61, text: 'uart' },
  halt: {},
  shutdown: { text: 'triple fault' },
  run_end: { a: 3, text: 'exit' },
  io_string: { a: 0x80, b: 1024, c: -0x7ee3623b, d: 0xff, text: 'outsb' },
  task_switch: { a: 0x28, b: 0x30, c: 8, text: 'exception' },
};

/** One event of every kind, in kind order, with seq from `firstSeq` and increasing icounts. */
export function eventsOfEveryKind(firstSeq = 0, firstIcount = 100): TraceEvent[] {
  const out: TraceEvent[] = [];
  KIND_NAMES.forEach((name, kind) => {
    if (!name) return;
    const v = SLOT_VALUES[name];
    const i = out.length;
    out.push({
      seq: firstSeq + i,
      icount: firstIcount + i * 10,
      kind,
      cpl: i % 4,
      cs: i % 2 ? 0x1b : 0x08,
      eip: i === 3 ? 0xc0100000 + i : 0x00100000 + i * 3,
      a: v.a ?? 0,
      b: v.b ?? 0,
      c: v.c ?? 0,
      d: v.d ?? 0,
      text: v.text ?? '',
    });
  });
  return out;
}

/** The named columns of an event as its ev_<kind> view should show them. */
export function namedColumns(e: TraceEvent): Record<string, unknown> {
  const f = KIND_FIELDS[KIND_NAMES[e.kind]] as Record<string, string | undefined>;
  const row: Record<string, unknown> = { run: 1, seq: e.seq, icount: e.icount, cpl: e.cpl, cs: e.cs, eip: e.eip };
  for (const slot of ['a', 'b', 'c', 'd'] as const) if (f[slot]) row[f[slot]!] = e[slot];
  if (f.text) row[f.text] = e.text;
  return row;
}

/** A deterministic stream of events like a recording's: mostly I/O and segment loads. */
export function* syntheticEvents(count: number, firstSeq = 0): Generator<TraceEvent> {
  let icount = 0;
  let x = 0x2545f491;
  const rights = ['00c09b00', '00c09300', '00cffa00', '00cff200'];
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    icount += r % 300;
    const pick = r % 10;
    const seq = firstSeq + i;
    const base = { seq, icount, cpl: pick < 5 ? 0 : 3, cs: pick < 5 ? 0x08 : 0x1b, eip: 0x00100000 + (r & 0xffff) };
    if (pick < 5) yield { ...base, kind: EventKind.io, a: r & 1, b: 0x3f8 + (r % 8), c: 1, d: (r >>> 8) & 0xff, text: '' };
    else if (pick < 8) yield { ...base, kind: EventKind.segment_load, a: r % 6, b: 0x23, c: 0, d: -1, text: rights[r % 4] };
    else if (pick < 9) yield { ...base, kind: EventKind.privilege, a: 3, b: 0, c: 0, d: 0, text: 'sysenter' };
    else yield { ...base, kind: EventKind.iflag, a: 1, b: -1, c: r & 1, d: 0, text: 'sti' };
  }
}

export const SAMPLE_RUN: NewRun = {
  image: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3]),
  imageName: 'sample.elf',
  mode: 'native',
  options: { mode: 'native', cmdline: '', ramSize: 134217728, snapshotInterval: 1000 },
  ringsideVersion: '0.1.0',
  snapshotInterval: 1000,
  startState: new Uint8Array([9, 8, 7]),
  createdAt: '2025-01-01T00:00:00.000Z',
};

/** A closed trace with one finished run holding one event of every kind. */
export function smallTrace(path: string): void {
  const db = openTrace(path, { create: true });
  const run = createRun(db, SAMPLE_RUN);
  const w = new EventWriter(db, run);
  const events = eventsOfEveryKind();
  for (const e of events) w.add(e);
  w.addInput({ icount: 150, channel: 'uart', value: 0x61 });
  w.addInput({ icount: 170, channel: 'irq', value: 0x20 });
  w.close();
  finishRun(db, run, { endReason: 'exit', exitCode: 3, finalIcount: 400, eventCount: events.length });
  closeTrace(db);
}
