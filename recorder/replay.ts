/**
 * Replay: rebuilds the machine from the trace alone (the image is inside it), re-executes the
 * run with its recorded inputs at their recorded instruction counts, and with verification
 * compares every regenerated event with the recorded one, stopping at the first difference.
 *
 * Verification goes block by block: each regenerated event enters a digest (every field), and
 * at the end of each stored block the digest must equal the one recorded. Only a block that
 * differs is read back row by row, to name its first differing event. This keeps verified
 * replay as fast as recording (reading every row back would cost more than writing it).
 */
import { createHash } from 'node:crypto';
import { readEventRows, readEventBlocks, readStrings, EventDigest, type EventRow, type TraceDb } from './store';
import { Session, buildMachine, type RunOptions } from './session';
import { formatEvent, type TraceEvent } from './events';
import { pickRun, runInputs } from './load-run';
import { checkRun } from './validate-run';
import { storedEventsDamage } from './check-events';
import { replayedEnd, replayBound, type RunEndResult } from './end-reasons';
import type { RunResult } from '../emulator/machine';
import { describeShutdown } from '../emulator/describe-state';
import { DiskImage, type SectorWrite } from '../emulator/devices/disk-image';
import { runDisks } from './run-disks';

export interface Mismatch {
  seq: number; // sequence number of the first differing event
  recorded: string; // the recorded event (formatted), or '(none)'
  replayed: string; // the regenerated one, or '(none)'
}

export interface ReplayResult {
  runId: number;
  result: RunEndResult;
  events: number; // events regenerated (verifying an incomplete run: those the recording holds)
  complete: boolean; // the recorded run had finished
  mismatch: Mismatch | null;
  damage: string | null; // verifying: what is wrong with the stored events (nothing was replayed)
  /** For a run that ended in a shutdown: where and why (describeShutdown), else ''. */
  shutdown: string;
  /** The recorded end (reason, exit code, final count), null for an incomplete run. */
  recordedEnd: { reason: string; exitCode: number; icount: number } | null;
}

/** A stored row as an event (for reports). */
function rowEvent(r: EventRow, texts: Map<number, string>): TraceEvent {
  return { seq: r[0], icount: r[1], kind: r[2], cpl: r[3], cs: r[4], eip: r[5], a: r[6], b: r[7], c: r[8], d: r[9], text: texts.get(r[10]) ?? '' };
}

function sameEvent(r: EventRow, e: TraceEvent, texts: Map<number, string>): boolean {
  return r[0] === e.seq && r[1] === e.icount && r[2] === e.kind && r[3] === e.cpl && r[4] === e.cs && r[5] >>> 0 === e.eip >>> 0 &&
    r[6] === e.a && r[7] === e.b && r[8] === e.c && r[9] === e.d && (texts.get(r[10]) ?? '') === e.text;
}

/** Instructions per slice between progress reports. */
const SLICE = 10_000_000;

export function replayRun(
  db: TraceDb,
  opts: { runId?: number; verify: boolean; onUartByte?: (b: number) => void; onProgress?: (icount: number, of: number) => void; onChecking?: () => void },
): ReplayResult {
  const run = pickRun(db, opts.runId);
  const options: RunOptions = checkRun(db, run);
  if (opts.verify) {
    // A damaged trace is reported as such, before (and instead of) any divergence.
    opts.onChecking?.();
    const damage = storedEventsDamage(db, run);
    if (damage !== null) {
      return { runId: run.id, result: { reason: 'limit', exitCode: 0, icount: 0 }, events: 0, complete: run.complete, mismatch: null, damage, shutdown: '', recordedEnd: null };
    }
  }
  const recordedDisks = runDisks(db, run.id);
  const disks = recordedDisks.map((d) => new DiskImage(d.bytes, d.name));
  const machine = buildMachine(run.image, options, opts.onUartByte, disks);
  const texts = readStrings(db);
  const textIds = new Map([...texts].map(([id, t]) => [t, id]));
  const blocks = opts.verify ? readEventBlocks(db, run.id) : null;
  const digest = new EventDigest();
  let block = 0; // index of the block being compared
  let mismatch: Mismatch | null = null;
  let count = 0;
  const held: TraceEvent[] = []; // the current block's regenerated events, to locate a difference

  /** Finds the first event of block `k` that differs from `events` (the regenerated ones). */
  const locate = (k: number, events: TraceEvent[]): Mismatch => {
    let j = 0;
    for (const r of readEventRows(db, run.id, blocks!.firstSeq[k], blocks!.lastSeq[k])) {
      const e = events[j++];
      if (e === undefined) return { seq: r[0], recorded: formatEvent(rowEvent(r, texts)), replayed: '(none)' };
      if (!sameEvent(r, e, texts)) return { seq: e.seq, recorded: formatEvent(rowEvent(r, texts)), replayed: formatEvent(e) };
    }
    const e = events[j];
    return e !== undefined ? { seq: e.seq, recorded: '(none)', replayed: formatEvent(e) } : { seq: blocks!.firstSeq[k], recorded: '(digest)', replayed: '(digest)' };
  };

  const sink = (e: TraceEvent) => {
    if (blocks !== null && mismatch === null && block >= blocks.firstSeq.length && !run.complete) {
      machine.cpu.stopReason = 'end of recording'; // a killed recording ends mid-stream: this event was never stored
      return;
    }
    count++;
    if (blocks === null || mismatch !== null) return;
    if (block >= blocks.firstSeq.length) {
      mismatch = { seq: e.seq, recorded: '(none)', replayed: formatEvent(e) };
      machine.cpu.stopReason = 'mismatch';
      return;
    }
    if (e.seq === blocks.firstSeq[block]) {
      digest.reset();
      held.length = 0;
    }
    held.push(e);
    const textId = textIds.get(e.text) ?? -1; // a text the recording never had cannot match
    digest.add(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, textId);
    if (e.seq === blocks.lastSeq[block]) {
      if (digest.value() !== blocks.digest[block]) {
        mismatch = locate(block, held);
        machine.cpu.stopReason = 'mismatch';
      }
      block++;
    }
  };
  // Verifying, every sector the guest writes must be the one recorded in the copy-on-write layer.
  const describeWrite = (slot: number, index: number, w: SectorWrite | undefined) =>
    w === undefined ? '(none)' : `disk ${slot} write #${index}: sector ${w.lba}, bytes sha256:${createHash('sha256').update(w.data).digest('hex').slice(0, 16)}`;
  if (opts.verify) {
    disks.forEach((disk, slot) => {
      const recorded = recordedDisks[slot].writes;
      disk.onWrite = (w, index) => {
        const r = recorded[index];
        if (mismatch !== null || (r === undefined && !run.complete)) return;
        if (r === undefined || r.lba !== w.lba || Buffer.compare(r.data, w.data) !== 0) {
          mismatch = { seq: count, recorded: describeWrite(slot, index, r), replayed: describeWrite(slot, index, w) };
          machine.cpu.stopReason = 'mismatch';
        }
      };
    });
  }
  const session = new Session(machine, { ...options, snapshotInterval: 0 }, sink, runInputs(db, run.id));
  // An incomplete run replays as far as its committed events go.
  // A complete run replays to its end: see end-reasons.ts for why some ends need room past the final count.
  const stopAt = run.complete && run.endReason !== null && run.finalIcount !== null
    ? replayBound(run.endReason, run.finalIcount)
    : run.lastIcount !== null ? run.lastIcount + 1 : options.maxInstructions ?? Infinity;
  let ran: RunResult;
  for (;;) {
    ran = session.run(Math.min(stopAt, machine.cpu.icount + SLICE));
    if (ran.reason !== 'limit' || machine.cpu.icount >= stopAt || machine.cpu.stopReason !== '') break;
    opts.onProgress?.(machine.cpu.icount, stopAt);
  }
  const result = replayedEnd(ran, run);
  if (mismatch === null && run.complete) session.end(result);
  if (blocks !== null && mismatch === null && block < blocks.firstSeq.length && (run.complete || held.length > 0)) {
    // The replay ended inside or before a recorded block: the recording has more events.
    const m = locate(block, held);
    if (run.complete || m.replayed !== '(none)') mismatch = m;
  }
  if (opts.verify && mismatch === null && run.complete) {
    disks.forEach((disk, slot) => {
      const recorded = recordedDisks[slot].writes;
      if (mismatch === null && disk.writes < recorded.length) mismatch = { seq: count, recorded: describeWrite(slot, disk.writes, recorded[disk.writes]), replayed: '(none)' };
    });
  }
  const recordedEnd = run.complete ? { reason: run.endReason ?? '', exitCode: run.exitCode ?? 0, icount: run.finalIcount ?? 0 } : null;
  if (mismatch === null && recordedEnd !== null && (recordedEnd.reason !== result.reason || recordedEnd.exitCode !== result.exitCode || recordedEnd.icount !== result.icount)) {
    // Without --verify the events are not compared, but the end must still be the recorded one.
    mismatch = {
      seq: count,
      recorded: `run end ${recordedEnd.reason} (exit code ${recordedEnd.exitCode}) at icount ${recordedEnd.icount}`,
      replayed: `run end ${result.reason} (exit code ${result.exitCode}) at icount ${result.icount}`,
    };
  }
  return { runId: run.id, result, events: count, complete: run.complete, mismatch, damage: null, shutdown: result.reason === 'shutdown' ? describeShutdown(machine) : '', recordedEnd };
}
