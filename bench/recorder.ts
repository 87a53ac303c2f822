/**
 * Recorder figures for `npm run bench`: recording overhead, events per second into SQLite,
 * bytes per event, replay speed against record speed, and seek latency over a long recording.
 */
import { mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Machine, DEFAULT_RAM_SIZE } from '../emulator/machine';
import { recordRun } from '../recorder/record';
import { replayRun } from '../recorder/replay';
import { openTrace, openTraceReadOnly, closeTrace, createRun, EventWriter } from '../recorder/store';
import { pickRun, loadRecordedRun } from '../recorder/load-run';
import { Timeline } from '../recorder/timeline';
import { DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../recorder/session';
import type { TraceEvent } from '../recorder/events';

function opts(): RunOptions {
  return { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };
}

function timeRun(image: Uint8Array): number {
  const m = new Machine(image);
  const t0 = performance.now();
  m.run();
  return (performance.now() - t0) / 1000;
}

function timeRecord(image: Uint8Array, name: string, out: string) {
  rmSync(out, { force: true });
  const t0 = performance.now();
  const r = recordRun({ image, imageName: name, options: opts(), out });
  return { seconds: (performance.now() - t0) / 1000, ...r };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function benchRecorder(guest: (name: string) => Uint8Array, line: (s: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-bench-'));
  // 1. Recording overhead on the ALU loop (few events: what recording costs when little happens).
  const loop = guest('bench-loop');
  // Best of three each, interleaved: the JIT makes single runs vary by 10-20%.
  let run = Infinity, rec = Infinity;
  for (let k = 0; k < 3; k++) {
    run = Math.min(run, timeRun(loop));
    rec = Math.min(rec, timeRecord(loop, 'bench-loop.elf', join(dir, 'loop.sqlite')).seconds);
  }
  line(`record overhead     bench-loop  run ${run.toFixed(3)} s, record ${rec.toFixed(3)} s: ${(rec / run).toFixed(3)}x (target <= 1.05x)`);

  // 2. An event-heavy guest: syscalls (8 events per SYSENTER/SYSEXIT round trip).
  const sys = guest('syscalls');
  const sysRun = timeRun(sys);
  const out = join(dir, 'syscalls.sqlite');
  const r = timeRecord(sys, 'syscalls.elf', out);
  const bytes = statSync(out).size;
  line(`record overhead     syscalls    run ${sysRun.toFixed(3)} s, record ${r.seconds.toFixed(3)} s: ${(r.seconds / sysRun).toFixed(2)}x with ${r.events} events`);
  line(`events recorded     syscalls    ${(r.events / r.seconds / 1e6).toFixed(2)} M events/s end to end (emulation included)`);
  line(`bytes per event     syscalls    ${(bytes / r.events).toFixed(1)} B/event (${(bytes / 1e6).toFixed(1)} MB file, target <= 45)`);
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
    line(`replay              syscalls    ${plain.toFixed(3)} s: ${(r.seconds / plain).toFixed(2)}x record speed (target >= 0.9x)`);
  }
  line(`replay --verify     syscalls    ${repSeconds.toFixed(3)} s, ${rep!.mismatch === null ? 'identical' : 'MISMATCH'}: ${(r.seconds / repSeconds).toFixed(2)}x record speed (target >= 0.9x)`);

  // 3. The store alone: 1,000,000 events through EventWriter.
  const storeFile = join(dir, 'store.sqlite');
  const sdb = openTrace(storeFile, { create: true });
  const id = createRun(sdb, { image: new Uint8Array(16), imageName: 'x', mode: 'native', options: {}, ringsideVersion: '0', snapshotInterval: 0 });
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
  closeTrace(sdb);
  line(`events into SQLite  store       ${(1 / storeSeconds).toFixed(2)} M events/s, ${(statSync(storeFile).size / 1e6).toFixed(1)} B/event (1,000,000 events, target >= 1 M/s)`);

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
