/**
 * Time travel over a recorded run: seek to any instruction count, step back, and continue or
 * reverse-continue to a breakpoint (an instruction address) or a watchpoint (a linear address
 * written). Built on the run's snapshots: the machine state is restored from the nearest
 * snapshot at or before the target and the run is re-executed, with its recorded inputs, up
 * to the target. Only RAM pages that differ between the current state and the target are
 * rewritten, so a seek costs a few page copies plus at most one snapshot interval of execution.
 */
import type { Machine } from '../emulator/machine';
import { SnapshotError, PAGE_SIZE } from '../emulator/state/codec';
import { restoreMachineState, checkMachineState } from '../emulator/machine-state';
import { applyInput, buildMachine, type Input, type RunOptions } from './session';
import type { SnapshotContent } from './store';
import { guestLinearIp } from '../emulator/guest-view';
import { MemoryWatch, type WatchRange, type WatchKind } from '../emulator/memory-watch';
import { DiskImage } from '../emulator/devices/disk-image';
import type { RecordedDisk } from './run-disks';

/** What time travel needs from a recorded run. */
export interface RecordedRun {
  image: Uint8Array; // the guest image
  options: RunOptions; // how the machine was set up
  inputs: Input[]; // in icount order
  snapshots: SnapshotContent[]; // in icount order; the first at icount 0 (its pages: every page the loader wrote; later ones: the pages written since)
  finalIcount: number; // the count at the end of the run
  disks?: RecordedDisk[]; // its ATA disks: images and the guest's writes (a snapshot holds each disk's write count)
}

export type StopKind = 'target' | 'breakpoint' | 'watchpoint' | 'end';

export class Timeline {
  readonly machine: Machine; // the machine, at the current point of the run
  private readonly run: RecordedRun; // the recording
  private readonly pageHistory = new Map<number, number[]>(); // page -> indices of snapshots that stored it
  private readonly pageData: Map<number, Uint8Array>[] = []; // per snapshot: page -> its 4096 bytes
  private restored = -1; // index of the snapshot the RAM was last restored from
  private inputAt = 0; // next input to apply when running forward
  private readonly watch: MemoryWatch; // watched guest linear addresses
  /** What the last continue() or reverseContinue() stopped at (null: nothing); for a watchpoint, the range's address and kind. */
  lastHit: { kind: 'breakpoint' | 'watchpoint'; watchAddress: number; watchKind?: WatchKind } | null = null;

  constructor(run: RecordedRun) {
    if (run.snapshots.length === 0 || run.snapshots[0].icount !== 0) throw new SnapshotError('a run needs a snapshot at icount 0 to be replayed in time');
    this.run = run;
    const disks = (run.disks ?? []).map((d) => {
      const disk = new DiskImage(d.bytes, d.name, true);
      disk.extendHistory(d.writes);
      return disk;
    });
    this.machine = buildMachine(run.image, run.options, undefined, disks);
    this.watch = new MemoryWatch(this.machine);
    const ramPages = this.machine.cpu.pageWritten.length;
    // Every snapshot is checked here, so that a damaged one is refused before any seek uses it.
    run.snapshots.forEach((s, index) => {
      const where = `snapshot at icount ${s.icount}`;
      if (index > 0 && !(s.icount > run.snapshots[index - 1].icount)) throw new SnapshotError(`${where}: out of order`);
      try {
        checkMachineState(this.machine, s);
      } catch (e) {
        throw new SnapshotError(`${where}: ${(e as Error).message}`);
      }
      const pages = new Map<number, Uint8Array>();
      for (const chunk of s.pages) {
        if (!(chunk instanceof Uint8Array) || chunk.length === 0 || chunk.length % (4 + PAGE_SIZE) !== 0) {
          throw new SnapshotError(`${where}: a chunk of pages of ${chunk instanceof Uint8Array ? chunk.length : 'no'} bytes, not a multiple of ${4 + PAGE_SIZE}`);
        }
        const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        for (let at = 0; at < chunk.length; at += 4 + PAGE_SIZE) {
          const page = dv.getUint32(at, true);
          if (page >= ramPages) throw new SnapshotError(`${where}: page ${page} is outside RAM (${ramPages} pages)`);
          pages.set(page, chunk.subarray(at + 4, at + 4 + PAGE_SIZE));
          let h = this.pageHistory.get(page);
          if (h === undefined) this.pageHistory.set(page, (h = []));
          h.push(index);
        }
      }
      this.pageData.push(pages);
    });
    this.restoreSnapshot(0);
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  get end(): number {
    return this.run.finalIcount;
  }

  /** The snapshot index at or before `icount`. */
  private snapshotBefore(icount: number): number {
    const snaps = this.run.snapshots;
    let lo = 0, hi = snaps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (snaps[mid].icount <= icount) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Puts RAM, CPU and devices in the state of snapshot `index`. */
  private restoreSnapshot(index: number): void {
    const cpu = this.machine.cpu;
    const ram = cpu.ram;
    // Pages to fix: those written since the last restore, and those any snapshot between the
    // two points stored (they differ between the two states).
    const fix = new Set<number>();
    if (this.restored < 0) for (const p of this.pageHistory.keys()) fix.add(p);
    else {
      for (let p = 0; p < cpu.pageWritten.length; p++) if (cpu.pageWritten[p] !== 0) fix.add(p);
      const lo = Math.min(this.restored, index), hi = Math.max(this.restored, index);
      for (let s = lo + 1; s <= hi; s++) for (const p of this.pageData[s].keys()) fix.add(p);
    }
    for (const p of fix) {
      const h = this.pageHistory.get(p);
      let data: Uint8Array | undefined;
      if (h !== undefined) {
        for (let k = h.length - 1; k >= 0; k--) {
          if (h[k] <= index) {
            data = this.pageData[h[k]].get(p);
            break;
          }
        }
      }
      if (data !== undefined) ram.set(data, p * PAGE_SIZE);
      else ram.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
      this.machine.executor.invalidatePage(p); // decoded code of other pages stays valid
    }
    const s = this.run.snapshots[index];
    restoreMachineState(this.machine, { cpu: s.cpu, devices: s.devices }, { keepDecodedCode: this.restored >= 0 });
    cpu.clearWrittenPages();
    this.restored = index;
    this.inputAt = this.firstInputAfter(s.icount);
  }

  /** Inputs at the snapshot's own count were applied before it was taken. */
  private firstInputAfter(icount: number): number {
    const inputs = this.run.inputs;
    let k = 0;
    while (k < inputs.length && inputs[k].icount <= icount) k++;
    return k;
  }

  /**
   * Runs forward to `target` (or the end of the run), applying recorded inputs, stopping early
   * at a breakpoint or a watchpoint when `stopAtHits`.
   */
  private forward(target: number, stopAtHits: boolean): StopKind {
    const m = this.machine;
    const cpu = m.cpu;
    const inputs = this.run.inputs;
    target = Math.min(target, this.run.finalIcount);
    const bps = m.executor.breakpoints;
    const saved = stopAtHits || bps.size === 0 ? null : new Set(bps); // no copy per step when there are none (the diff steps one instruction at a time)
    if (saved !== null) bps.clear();
    try {
      while (cpu.icount < target) {
        while (this.inputAt < inputs.length && inputs[this.inputAt].icount <= cpu.icount) {
          const inp = inputs[this.inputAt++];
          applyInput(m, inp);
        }
        const next = this.inputAt < inputs.length ? Math.min(target, inputs[this.inputAt].icount) : target;
        const why = m.executor.run(next);
        if (why === 'breakpoint' || why === 'watchpoint') return why;
        if (why !== '') return 'end';
      }
      return cpu.icount >= this.run.finalIcount ? 'end' : 'target';
    } finally {
      if (saved !== null) for (const b of saved) bps.add(b);
    }
  }

  /** Moves to exactly `icount` (clamped to the run). */
  seek(icount: number): void {
    icount = Math.max(0, Math.min(Math.floor(icount), this.run.finalIcount));
    const cpu = this.machine.cpu;
    const s = this.snapshotBefore(icount);
    // Going forward within the same interval needs no restore.
    if (!(icount >= cpu.icount && this.snapshotBefore(cpu.icount) === s && cpu.stopReason === '')) this.restoreSnapshot(s);
    this.forward(icount, false);
  }

  step(): void {
    this.seek(this.icount + 1);
  }

  stepBack(): void {
    if (this.icount > 0) this.seek(this.icount - 1);
  }

  setBreakpoints(addresses: Iterable<number>): void {
    const bps = this.machine.executor.breakpoints;
    bps.clear();
    for (const a of addresses) bps.add(a >>> 0);
  }

  /** Watches `length` bytes (default 4) at each guest linear address (through the guest's page tables). */
  setWatchpoints(addresses: Iterable<number>, length = 4): void {
    this.watch.set([...addresses].map((address) => ({ address, length })));
  }

  /** Watches ranges for writes, reads or both (replaces setWatchpoints' ranges). */
  setWatchRanges(ranges: Iterable<WatchRange>): void {
    this.watch.set(ranges);
  }

  /**
   * Runs forward to the next breakpoint or watchpoint hit, or to `until` (default: the end of
   * the run; 'target' when reached first, so a caller can continue in slices); returns what
   * stopped it.
   */
  continue(until = this.run.finalIcount): StopKind {
    this.lastHit = null;
    this.watch.arm();
    try {
      const why = this.forward(until, true);
      if (why === 'breakpoint') this.lastHit = { kind: why, watchAddress: -1 };
      if (why === 'watchpoint') this.lastHit = this.watchHit();
      return why;
    } finally {
      this.watch.disarm();
    }
  }

  /**
   * Moves back to the last breakpoint or watchpoint hit before the current point; returns
   * false (and stays) when there is none. With `notBefore`, only the snapshot intervals that
   * end after that count are searched, so a caller can search backwards in slices.
   */
  reverseContinue(notBefore = 0): boolean {
    const here = this.icount;
    const bps = this.machine.executor.breakpoints;
    const snaps = this.run.snapshots;
    this.lastHit = null;
    for (let s = this.snapshotBefore(Math.max(0, here - 1)); s >= 0 && (s + 1 >= snaps.length || snaps[s + 1].icount > notBefore); s--) {
      this.restoreSnapshot(s);
      let last = -1;
      let hit: Timeline['lastHit'] = null;
      this.watch.arm();
      try {
        while (this.icount < here) {
          // A breakpoint counts at the point before its instruction; a watchpoint at the point
          // just after the instruction that wrote.
          if (bps.has(this.linearIp())) {
            last = this.icount;
            hit = { kind: 'breakpoint', watchAddress: -1 };
          }
          const why = this.forward(here, true);
          if (why === 'watchpoint' && this.icount < here) {
            last = this.icount;
            hit = this.watchHit();
          } else if (why !== 'breakpoint' && why !== 'watchpoint') break;
        }
      } finally {
        this.watch.disarm();
      }
      if (last >= 0) {
        this.seek(last);
        this.lastHit = hit;
        return true;
      }
    }
    this.seek(here);
    return false;
  }

  private watchHit(): Timeline['lastHit'] {
    const r = this.watch.hit;
    return { kind: 'watchpoint', watchAddress: r?.address ?? -1, watchKind: r?.kind };
  }

  /** The guest's CS:EIP as a linear address (for breakpoints on the current instruction). */
  linearIp(): number {
    return guestLinearIp(this.machine);
  }
}

