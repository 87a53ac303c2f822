/** Shared fixtures of the store tests: temporary traces and events of every kind. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EVENT_KINDS, EventKind, eventFields, makeEvent, type EventFields, type EventKindName, type TraceEvent } from '../../../recorder/events';
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

/** The fields of one event of each kind, chosen to be told apart (some uint32, some negative). */
const FIELD_VALUES: { [K in EventKindName]: EventFields<K> } = {
  privilege: { from_cpl: 3, to_cpl: 0, to_cs: 0x08, to_eip: 0x00100040, cause: 'interrupt' },
  exception: { vector: 14, error_code: 6, cr2: 0xc0001234 },
  interrupt: { vector: 32, to_cs: 0x08, to_eip: 0x00100080, to_cpl: 0, source: 'apic' },
  iflag: { real_if: 0, virtual_if: -1, changed: 1, by_instruction: 'cli' },
  segment_load: { reg: 3, selector: 0x10, base: 0, seg_limit: -1, rights: '00c09300' },
  stale_descriptor: { reg: 3, selector: 0x23 },
  dtr: { base: 0x00101000, dt_limit: 0x2f, selector: 0, op: 'sgdt' },
  cr: { is_write: 1, reg: 3, value: 0x00200000 },
  msr: { is_write: 1, msr_index: 0x174, value_lo: 0x08, value_hi: 0 },
  tpr: { old_tpr: 0, new_tpr: 0x20 },
  io: { is_write: 1, port: 0x3f8, size: 1, value: 0x41 },
  fast_syscall: { to_cs: 0x08, to_eip: 0x00100200, to_cpl: 0, op: 'sysenter' },
  monitor_exit: { exit_reason: 48, qualification: 0x1c3, reason: 'ept-violation' },
  monitor_entry: { how: 'vmresume' },
  monitor_emulation: { value: 0x7f, what: 'cli' },
  input: { value: 0x61, channel: 'uart' },
  halt: {},
  shutdown: { reason: 'triple fault' },
  run_end: { exit_code: 3, reason: 'exit' },
  io_string: { port: 0x80, elements: 1024, digest: -0x7ee3623b, last_value: 0xff, op: 'outsb' },
  task_switch: { old_tss: 0x28, new_tss: 0x30, vector: 8, cause: 'exception' },
};

/** One event of every kind, in kind order, with seq from `firstSeq` and increasing icounts. */
export function eventsOfEveryKind(firstSeq = 0, firstIcount = 100): TraceEvent[] {
  const names = (Object.keys(EVENT_KINDS) as EventKindName[]).sort((x, y) => EVENT_KINDS[x].id - EVENT_KINDS[y].id);
  return names.map(<K extends EventKindName>(name: K, i: number) =>
    makeEvent(name, FIELD_VALUES[name], {
      seq: firstSeq + i,
      icount: firstIcount + i * 10,
      cpl: i % 4,
      cs: i % 2 ? 0x1b : 0x08,
      eip: i === 3 ? 0xc0100000 + i : 0x00100000 + i * 3,
    }),
  );
}

/** The named columns of an event as its ev_<kind> view should show them. */
export function namedColumns(e: TraceEvent): Record<string, unknown> {
  return { run: 1, seq: e.seq, icount: e.icount, cpl: e.cpl, cs: e.cs, eip: e.eip, ...eventFields(e) };
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

/**
 * Makes a trace written by this build look as schema version 3 wrote it: drops what the additive
 * steps after 3 added (the disk tables, the task_switch view and kind, the modules table).
 */
export function downgradeToVersion3(raw: { exec(sql: string): unknown; pragma(sql: string): unknown }): void {
  for (const t of ['disk_images', 'disk_image_chunks', 'run_disks', 'disk_writes', 'modules']) raw.exec(`DROP TABLE IF EXISTS ${t}`);
  raw.exec('DROP VIEW IF EXISTS ev_task_switch');
  raw.exec(`DELETE FROM kinds WHERE id = ${EventKind.task_switch}`);
  raw.pragma('user_version = 3');
  raw.exec('UPDATE runs SET schema_version = 3');
}

const ROOT = join(import.meta.dirname, '../../..');

/**
 * Runs a kill-child script (`child`, relative to the repository) on `trace` until it reports
 * `atLeast` committed events, then kills it with SIGKILL; resolves with the last count it reported.
 */
export function recordAndKill(child: string, trace: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, child), trace], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let reported = 0;
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const all = [...out.matchAll(/committed (\d+)\n/g)];
      if (all.length) reported = Number(all[all.length - 1][1]);
      if (reported >= atLeast && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}
