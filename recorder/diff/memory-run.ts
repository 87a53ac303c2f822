/**
 * A run recorded in memory (no trace file): events, inputs and snapshots, for diffing runs
 * that were never stored (`ringside matrix`) and for tests.
 */
import { Session, buildMachine, type Input, type RunOptions } from '../session';
import { takeSnapshot } from '../snapshotter';
import { Timeline, type RecordedRun } from '../timeline';
import type { SnapshotContent } from '../store';
import type { TraceEvent } from '../events';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { DiskImage } from '../../emulator/devices/disk-image';
import type { RecordedDisk } from '../run-disks';
import type { DiffRun, EventQuery } from './engine';

export interface MemoryRun extends DiffRun {
  allEvents: TraceEvent[];
  interventions: Record<string, number>; // the monitor's own counts by kind ({} natively)
  exits: number;
}

/** Events in [from, to] of an icount-ordered list, of the kinds asked for, at most `limit`. */
export function eventsBetween(events: TraceEvent[], from: number, to: number, filter: EventQuery = {}): TraceEvent[] {
  let lo = 0, hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].icount < from) lo = mid + 1;
    else hi = mid;
  }
  const kinds = filter.kinds, limit = filter.limit ?? Infinity;
  const out: TraceEvent[] = [];
  for (let k = lo; k < events.length && events[k].icount <= to && out.length < limit; k++) {
    if (kinds === undefined || kinds.includes(events[k].kind)) out.push(events[k]);
  }
  return out;
}

/**
 * Records `image` under `over` in memory; `inputs` are applied at their counts (replay-style);
 * `keep`: which events to hold (default all; the matrix keeps only what classification and cost
 * read); `disks`: the primary channel's master and slave, as --disk gives them (each run writes
 * to a copy-on-write layer of its own).
 */
export function recordRunInMemory(image: Uint8Array, over: Partial<RunOptions>, label: string, inputs: Input[] = [], maxInstructions = Infinity, keep?: (kind: number) => boolean, disks: { name: string; bytes: Uint8Array }[] = []): MemoryRun {
  const options: RunOptions = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 1_000_000, ...over };
  const events: TraceEvent[] = [];
  const snapshots: SnapshotContent[] = [];
  const recorded: Input[] = [];
  const runDisks: RecordedDisk[] = disks.map((d) => ({ name: d.name, bytes: d.bytes, writes: [] }));
  const machine = buildMachine(image, options, undefined, runDisks.map((d) => {
    const disk = new DiskImage(d.bytes, d.name);
    disk.onWrite = (w) => d.writes.push(w);
    return disk;
  }));
  const session = new Session(machine, options, keep === undefined ? (e) => events.push(e) : (e) => { if (keep(e.kind)) events.push(e); }, inputs, {
    snapshot: (m) => snapshots.push(takeSnapshot(m, snapshots.length === 0)),
    input: (i) => recorded.push(i),
  }, true);
  const result = session.run(Math.min(maxInstructions, options.maxInstructions ?? Infinity));
  session.end(result);
  const run: RecordedRun = { image, options, inputs: recorded, snapshots, finalIcount: result.icount, disks: runDisks };
  const mon = machine.monitor;
  return {
    label,
    recorded: run,
    timeline: new Timeline(run),
    events: (from, to, filter) => eventsBetween(events, from, to, filter),
    endReason: result.reason,
    exitCode: result.exitCode,
    allEvents: events,
    interventions: mon === null ? {} : mon.interventions(),
    exits: mon === null ? 0 : mon.exits,
  };
}
