/**
 * Recorder figures for `npm run bench`: recording overhead, events per second recorded end to
 * end (through the writer's thread and inline), the store's ingest rate alone and SQLite's own
 * insert rate (what bounds the writer), bytes per event, replay speed against record speed, and
 * seek latency over a long recording. The machine may be shared: the rates are taken in one run,
 * one after the other, so that they compare with each other.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Machine, DEFAULT_RAM_SIZE } from '../emulator/machine';
import { Recording } from '../recorder/record';
import { replayRun } from '../recorder/replay';
import { openTrace, openTraceReadOnly, closeTrace, createRun, EventWriter } from '../recorder/store';
import { pickRun, loadRecordedRun } from '../recorder/load-run';
import { Timeline } from '../recorder/timeline';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../recorder/session';
import type { TraceEvent } from '../recorder/events';
import type { WriterKind } from '../recorder/writer/run-writer';

function opts(): RunOptions {
  return { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };
}

function timeRun(image: Uint8Array): number {
  const m = new Machine(image);
  const t0 = performance.now();
  m.run();
  return (performance.now() - t0) / 1000;
}

/**
 * CPU seconds of each thread of this process (Linux: /proc/self/task; empty elsewhere). On a
 * loaded machine the CPU time each thread needed says what wall times cannot: what bounds the
 * recording when each thread has a core.
 */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync('/proc/self/task')) return out;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100); // utime + stime, in clock ticks of 1/100 s
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function timeRecord(image: Uint8Array, name: string, out: string, writer: WriterKind = 'thread') {
  rmSync(out, { force: true });
  const before = threadCpu();
  const t0 = performance.now();
  const rec = new Recording({ image, imageName: name, options: opts(), out, writer });
  let result;
  try {
    result = rec.run();
  } catch (e) {
    rec.close();
    throw e;
  }
  // The threads' CPU before finish(): the writer's thread ends with it (its last batch is left out).
  const cpu = [...threadCpu()].map(([tid, s]) => ({ tid, seconds: s - (before.get(tid) ?? 0) })).filter((t) => t.seconds > 0.05);
  const r = rec.finish(result);
  const main = cpu.find((t) => t.tid === String(process.pid))?.seconds ?? NaN;
  const others = cpu.filter((t) => t.tid !== String(process.pid)).sort((a, b) => b.seconds - a.seconds);
  return { seconds: (performance.now() - t0) / 1000, mainCpu: main, writerCpu: others[0]?.seconds ?? NaN, ...r };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Cores this process may use. */
function availableCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function benchRecorder(guest: (name: string) => Uint8Array, line: (s: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-bench-'));
  // 1. Recording overhead on the ALU loop (few events: what recording costs when little happens).
  const loop = guest('bench-loop');
  // Best of three each, interleaved: the JIT makes single runs vary by 10-20%.
  let run = Infinity, rec = Infinity, recInline = Infinity;
  for (let k = 0; k < 3; k++) {
    run = Math.min(run, timeRun(loop));
    rec = Math.min(rec, timeRecord(loop, 'bench-loop.elf', join(dir, 'loop.sqlite')).seconds);
    recInline = Math.min(recInline, timeRecord(loop, 'bench-loop.elf', join(dir, 'loop-inline.sqlite'), 'inline').seconds);
  }
  // The writer's thread starts here from the TypeScript sources (it registers tsx and compiles
  // its modules), which the CLI's bundle does not: the inline figure shows the rest of the cost.
  line(`record overhead     bench-loop  run ${run.toFixed(3)} s, record ${rec.toFixed(3)} s: ${(rec / run).toFixed(3)}x (target <= 1.05x); inline writer ${recInline.toFixed(3)} s: ${(recInline / run).toFixed(3)}x`);

  // 2. An event-heavy guest: bench-syscall, 8 events per SYSENTER/SYSEXIT round trip (8 M events).
  line(`load average        ${loadavg()[0].toFixed(1)} on ${availableCores()} cores: on a shared machine the rates vary from run to run; compare the lines of one run`);
  const sys = guest('bench-syscall');
  const runUsage0 = process.cpuUsage();
  const sysRun = timeRun(sys);
  const sysUsage = process.cpuUsage(runUsage0);
  const sysCpu = (sysUsage.user + sysUsage.system) / 1e6;
  const out = join(dir, 'bench-syscall.sqlite');
  const r = timeRecord(sys, 'bench-syscall.elf', out, 'thread');
  const bytes = statSync(out).size;
  const inline = timeRecord(sys, 'bench-syscall.elf', join(dir, 'bench-syscall-inline.sqlite'), 'inline');
  line(`record overhead     bench-syscall run ${sysRun.toFixed(3)} s, record ${r.seconds.toFixed(3)} s: ${(r.seconds / sysRun).toFixed(2)}x with ${r.events} events (writer thread); inline writer ${inline.seconds.toFixed(3)} s: ${(inline.seconds / sysRun).toFixed(2)}x`);
  line(`events recorded     bench-syscall ${(r.events / r.seconds / 1e6).toFixed(2)} M events/s end to end, writer thread (target >= 3 M/s); inline writer ${(inline.events / inline.seconds / 1e6).toFixed(2)} M events/s`);
  if (Number.isFinite(r.mainCpu) && Number.isFinite(r.writerCpu)) {
    line(`threads' CPU time   bench-syscall emulator's thread ${r.mainCpu.toFixed(2)} s, writer's thread ${r.writerCpu.toFixed(2)} s (plain run ${sysCpu.toFixed(2)} s; inline ${inline.mainCpu.toFixed(2)} s): with a core each, ${(r.events / Math.max(r.mainCpu, r.writerCpu) / 1e6).toFixed(2)} M events/s, bound by the ${r.writerCpu > r.mainCpu ? 'writer' : 'emulator'}`);
  }
  line(`bytes per event     bench-syscall ${(bytes / r.events).toFixed(1)} B/event (${(bytes / 1e6).toFixed(1)} MB file, target <= 45)`);
  let repSeconds = Infinity;
  let rep: ReturnType<typeof replayRun> | undefined;
  for (let k = 0; k < 2; k++) {
    const db = openTraceReadOnly(out);
    const t0 = performance.now();
    rep = replayRun(db, { verify: true });
    repSeconds = Math.min(repSeconds, (performance.now() - t0) / 1000);
    closeTrace(db);
  }
  {
    const db = openTraceReadOnly(out);
    const t0 = performance.now();
    replayRun(db, { verify: false });
    const plain = (performance.now() - t0) / 1000;
    closeTrace(db);
    line(`replay              bench-syscall ${plain.toFixed(3)} s: ${(r.seconds / plain).toFixed(2)}x record speed (target >= 0.9x)`);
  }
  line(`replay --verify     bench-syscall ${repSeconds.toFixed(3)} s, ${rep!.mismatch === null ? 'identical' : 'MISMATCH'}: ${(r.seconds / repSeconds).toFixed(2)}x record speed (target >= 0.9x)`);

  // 3. The store alone: 1,000,000 events through EventWriter (packing, digests and inserts on
  // this thread). Then SQLite alone: the same rows made by SQL from a table of numbers and
  // inserted by INSERT ... SELECT (no JavaScript, nothing bound), the most any writer can get
  // out of SQLite for this table; and the same rows bound from JavaScript, 11 values a row.
  const storeFile = join(dir, 'store.sqlite');
  const sdb = openTrace(storeFile, { create: true });
  const newRun = () => createRun(sdb, { image: new Uint8Array(16), imageName: 'x', mode: 'native', options: {}, ringsideVersion: '0', snapshotInterval: 0 });
  const id = newRun();
  const w = new EventWriter(sdb, id);
  const ev: TraceEvent = { seq: 0, icount: 0, kind: 5, cpl: 0, cs: 8, eip: 0x100000, a: 3, b: 0x10, c: 0, d: -1, text: '00cf9300' };
  const s0 = performance.now();
  for (let k = 0; k < 1_000_000; k++) {
    ev.seq = k;
    ev.icount = k * 3;
    ev.eip = 0x100000 + (k & 0xfff);
    w.add(ev);
  }
  w.close();
  const storeSeconds = (performance.now() - s0) / 1000;
  const fileBytes = statSync(storeFile).size;
  const text = sdb.prepare('SELECT id FROM strings WHERE text = ?').pluck().get(ev.text) as number;
  sdb.exec('CREATE TEMP TABLE numbers (v INTEGER PRIMARY KEY)');
  sdb.exec('INSERT INTO temp.numbers WITH RECURSIVE g(v) AS (SELECT 0 UNION ALL SELECT v + 1 FROM g WHERE v < 999999) SELECT v FROM g');
  const sqlRun = newRun();
  const fromSql = sdb.prepare(`INSERT INTO events SELECT ${sqlRun}, v, v * 3, 5, 0, 8, 1048576 + (v & 4095), 3, 16, 0, -1, ${text} FROM temp.numbers WHERE v >= ? AND v < ?`);
  const c0 = performance.now();
  for (let k = 0; k < 1_000_000; k += 8192) fromSql.run(k, k + 8192);
  const sqlSeconds = (performance.now() - c0) / 1000;
  const boundRun = newRun();
  const ROWS = 128;
  const bound = sdb.prepare(`INSERT INTO events VALUES ${Array(ROWS).fill(`(${boundRun}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).join(', ')}`);
  const args = new Array<number>(ROWS * 11).fill(0);
  const b0 = performance.now();
  for (let k = 0; k < 1_000_000; k += 8192) {
    sdb.transaction(() => {
      for (let r = k; r < k + 8192; r += ROWS) {
        for (let i = 0; i < ROWS; i++) {
          const v = r + i;
          const o = i * 11;
          args[o] = v;
          args[o + 1] = v * 3;
          args[o + 2] = 5;
          args[o + 3] = 0;
          args[o + 4] = 8;
          args[o + 5] = 0x100000 + (v & 0xfff);
          args[o + 6] = 3;
          args[o + 7] = 16;
          args[o + 8] = 0;
          args[o + 9] = -1;
          args[o + 10] = text;
        }
        bound.run(...args);
      }
    })();
  }
  const boundSeconds = (performance.now() - b0) / 1000;
  closeTrace(sdb);
  line(`events into SQLite  store         ${(1 / storeSeconds).toFixed(2)} M events/s, EventWriter alone (1,000,000 events, ${(fileBytes / 1e6).toFixed(1)} B/event, target >= 1 M/s)`);
  line(`                    SQLite alone  ${(1 / sqlSeconds).toFixed(2)} M events/s inserting rows made by SQL (nothing bound: the ceiling); ${(1 / boundSeconds).toFixed(2)} M events/s with the 11 values of each row bound from JavaScript`);

  // 4. Seek latency over the 200 M-instruction bench-loop recording.
  const ldb = openTraceReadOnly(join(dir, 'loop.sqlite'));
  const tl = new Timeline(loadRecordedRun(ldb, pickRun(ldb)));
  closeTrace(ldb);
  let seed = 12345;
  const times: number[] = [];
  for (let k = 0; k < 60; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const target = seed % tl.end;
    const t = performance.now();
    tl.seek(target);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  line(`seek latency        bench-loop  p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms over ${tl.end} instructions, snapshot every ${DEFAULT_SNAPSHOT_INTERVAL} (target p99 <= 50 ms)`);
  rmSync(dir, { recursive: true, force: true });
}
