/**
 * A recorded run under gdb (`ringside replay --gdb`), in time: the recorder's Timeline moves
 * forward and back, with breakpoints and write watchpoints hitting in both directions. The
 * recording cannot be changed: memory and register writes are refused.
 */
import { Timeline } from '../../recorder/timeline';
import { eventsAround } from '../../recorder/events-around';
import type { TraceDb } from '../../recorder/store';
import type { TraceEvent } from '../../recorder/events';
import type { WatchRange } from '../../emulator/memory-watch';
import type { Machine } from '../../emulator/machine';
import { CONTINUE_SLICE, yieldToEvents, type DebugTarget, type Stop } from './target';

export class TraceTarget implements DebugTarget {
  readonly reversible = true;
  readonly writable = false;
  private readonly timeline: Timeline;
  private readonly db: TraceDb;
  private readonly runId: number;
  private watching = false; // write watchpoints are set

  constructor(timeline: Timeline, db: TraceDb, runId: number) {
    this.timeline = timeline;
    this.db = db;
    this.runId = runId;
  }

  get machine(): Machine {
    return this.timeline.machine;
  }

  get icount(): number {
    return this.timeline.icount;
  }

  get end(): number {
    return this.timeline.end;
  }

  get hasEvents(): boolean {
    return true;
  }

  setBreakpoints(addresses: Iterable<number>): void {
    this.timeline.setBreakpoints(addresses);
  }

  setWatchpoints(ranges: WatchRange[]): void {
    this.timeline.setWatchRanges(ranges);
    this.watching = ranges.length > 0;
  }

  step(): Stop {
    const tl = this.timeline;
    if (tl.icount >= tl.end) return { kind: 'history', end: 'end' };
    // One instruction with watchpoints armed (a breakpoint at the next one does not stop it):
    // a step that writes a watched range reports it, as the hardware's DR6 would.
    const why = tl.continue(tl.icount + 1);
    if (why === 'watchpoint') return this.watchStop();
    return { kind: 'step' };
  }

  async continue(interrupted: () => boolean): Promise<Stop> {
    const tl = this.timeline;
    for (;;) {
      if (tl.icount >= tl.end) return { kind: 'history', end: 'end' };
      const why = tl.continue(Math.min(tl.end, tl.icount + CONTINUE_SLICE));
      if (why === 'breakpoint') return { kind: 'breakpoint' };
      if (why === 'watchpoint') return this.watchStop();
      if (why === 'end') return { kind: 'history', end: 'end' };
      await yieldToEvents();
      if (interrupted()) return { kind: 'interrupt' };
    }
  }

  reverseStep(): Stop {
    if (this.icount === 0) return { kind: 'history', end: 'begin' };
    this.timeline.stepBack();
    return { kind: 'step' };
  }

  reverseContinue(): Stop {
    const tl = this.timeline;
    const here = tl.icount;
    if (here === 0) return { kind: 'history', end: 'begin' };
    if (this.watching) {
      // The instruction just behind this point is the first one going back: if it wrote a
      // watched range, stop before it. (The timeline finds writes strictly behind the point
      // just after them, which is this point.)
      tl.seek(here - 1);
      if (tl.continue(here) === 'watchpoint') {
        const stop = this.watchStop();
        tl.seek(here - 1);
        return stop;
      }
      tl.seek(here);
    }
    if (!tl.reverseContinue()) {
      tl.seek(0);
      return { kind: 'history', end: 'begin' };
    }
    const hit = tl.lastHit;
    if (hit !== null && hit.kind === 'watchpoint') {
      // Going backwards, an access is found at the instruction that made it: stop before it,
      // where a written value is still the old one (as rr does), so that gdb sees the change.
      const stop = this.watchStop();
      tl.stepBack();
      return stop;
    }
    return { kind: 'breakpoint' };
  }

  /** The stop for the timeline's last watchpoint hit. */
  private watchStop(): Stop {
    const hit = this.timeline.lastHit;
    return { kind: 'watch', address: hit?.watchAddress ?? 0, watchKind: hit?.watchKind ?? 'write' };
  }

  goto(icount: number): string {
    if (icount > this.end) throw new Error(`the run ends at icount ${this.end}`);
    this.timeline.seek(icount);
    return `at icount ${this.icount} of ${this.end}`;
  }

  events(n: number): { before: TraceEvent[]; after: TraceEvent[] } {
    return eventsAround(this.db, this.runId, this.icount, n);
  }

  detach(): void {}

  kill(): void {}
}
