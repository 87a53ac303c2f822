/**
 * Measures the trace store with 1,000,000 typical events: append rate of EventWriter, and bytes
 * per event of each table and index; with --alternatives, also what the indexes the schema does
 * without would cost (a full (run, icount) and (run, kind) index on events).
 *
 * The events are real: the guests' events recorded by the EventRecorder, repeated with shifted
 * seq and icount until there are enough.
 *
 *   node --import tsx tests/recorder/store/measure-store.ts [--events N] [--alternatives]
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Machine } from '../../../emulator/machine';
import { EventRecorder } from '../../../recorder/event-recorder';
import type { TraceEvent } from '../../../recorder/events';
import { openTrace } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { createRun } from '../../../recorder/store/create-run';
import { EventWriter } from '../../../recorder/store/append-events';
import { SAMPLE_RUN } from './helpers';

const args = process.argv.slice(2);
const COUNT = args.includes('--events') ? Number(args[args.indexOf('--events') + 1]) : 1_000_000;
const GUESTS = ['minikernel', 'interrupts', 'tpr', 'syscalls', 'hidden-state', 'ring-compression', 'privileged-state', 'address-space', 'ring-aliasing'];
const PER_GUEST = 20_000; // at most this many events from each guest, so that no guest dominates

function recordGuests(): TraceEvent[] {
  const pattern: TraceEvent[] = [];
  for (const g of GUESTS) {
    const image = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../emulator/guests', `${g}.elf`)));
    const events: TraceEvent[] = [];
    const m = new Machine(image, { onUartByte: () => {} });
    new EventRecorder(m, (e) => events.push(e)).attach();
    for (let i = 0; i < 10 && events.length < PER_GUEST; i++) if (m.run(2_000_000).reason !== 'limit') break;
    pattern.push(...events.slice(0, PER_GUEST));
  }
  // Repeat the pattern, keeping seq consecutive and icount increasing like one long run.
  const out: TraceEvent[] = [];
  let icount = 0;
  let prev = 0;
  for (let i = 0; i < COUNT; i++) {
    const p = pattern[i % pattern.length];
    const gap = p.icount - prev;
    prev = p.icount;
    icount += gap >= 0 ? gap : 50;
    out.push({ ...p, seq: i, icount });
  }
  return out;
}

function fresh(path: string): void {
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
}

function bytesPerObject(path: string): { name: string; perEvent: number }[] {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC').all() as { name: string; bytes: number }[];
  db.close();
  return rows.map((r) => ({ name: r.name, perEvent: r.bytes / COUNT }));
}

interface Rate {
  append: number; // events/s from the first add() to writer.close()
  withClose: number; // events/s including closeTrace (final checkpoint, back to one file)
  cpu: number; // events per CPU second (user + system) of the append: what a loaded machine hides
}

function record(path: string, events: TraceEvent[], extraIndexes: string[] = []): Rate {
  fresh(path);
  const db = openTrace(path, { create: true });
  for (const sql of extraIndexes) db.exec(sql);
  const w = new EventWriter(db, createRun(db, SAMPLE_RUN));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const e of events) w.add(e);
  w.close();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  closeTrace(db);
  const t2 = performance.now();
  return { append: events.length / ((t1 - t0) / 1000), withClose: events.length / ((t2 - t0) / 1000), cpu: events.length / ((cpu.user + cpu.system) / 1e6) };
}

const M = (r: number): string => (r / 1e6).toFixed(2);

const events = recordGuests();
const kinds = new Map<number, number>();
for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
console.log(`${events.length} events, last icount ${events[events.length - 1].icount}, kinds ${JSON.stringify(Object.fromEntries(kinds))}`);

const path = join(tmpdir(), `ringside-measure-${process.pid}.sqlite`);
const rates: Rate[] = [];
for (let i = 0; i < 3; i++) rates.push(record(path, events));
console.log(`EventWriter, M events/s (3 runs): append ${rates.map((r) => M(r.append)).join(', ')}; with closeTrace ${rates.map((r) => M(r.withClose)).join(', ')}; per CPU second ${rates.map((r) => M(r.cpu)).join(', ')}`);
console.log(`file: ${(statSync(path).size / COUNT).toFixed(1)} B/event`);
for (const o of bytesPerObject(path)) if (o.perEvent >= 0.01) console.log(`  ${o.name.padEnd(28)} ${o.perEvent.toFixed(2)} B/event`);

if (args.includes('--alternatives')) {
  const alternatives: Record<string, string> = {
    events_icount: 'CREATE INDEX events_icount ON events (run, icount)',
    events_kind: 'CREATE INDEX events_kind ON events (run, kind)',
  };
  for (const [name, sql] of Object.entries(alternatives)) {
    const rate = record(path, events, [sql]);
    const size = bytesPerObject(path).find((o) => o.name === name)!.perEvent;
    console.log(`with ${name}: append ${M(rate.append)} M events/s (${M(rate.cpu)} per CPU second), the index alone ${size.toFixed(2)} B/event, file ${(statSync(path).size / COUNT).toFixed(1)} B/event`);
  }
}
fresh(path);
