/**
 * A live machine under gdb: `ringside run --gdb` (a Machine) and `ringside record --gdb` (a
 * Recording) both give a runner that runs to an instruction count and stops early at a
 * breakpoint or watchpoint. Time only goes forward.
 */
import type { Machine, RunResult } from '../../emulator/machine';
import { MemoryWatch, type WatchRange } from '../../emulator/memory-watch';
import type { TraceEvent } from '../../recorder/events';
import { CONTINUE_SLICE, yieldToEvents, type DebugTarget, type Stop } from './target';

export interface LiveRunner {
  readonly machine: Machine;
  /** The run's --max-instructions (Infinity: none); reaching it ends the run. */
  readonly limit: number;
  /** Runs until `stopAt` retired instructions, the end of the run, or a breakpoint or watchpoint. */
  run(stopAt: number): RunResult;
}

/** Events kept for `monitor events` (the most recent ones). */
const KEEP_EVENTS = 4096;

export class LiveTarget implements DebugTarget {
  readonly machine: Machine;
  readonly reversible = false;
  readonly writable = true;
  readonly end = null;
  readonly hasEvents = true;
  private readonly runner: LiveRunner;
  private readonly watch: MemoryWatch;
  private readonly recent: TraceEvent[] = []; // ring of the last KEEP_EVENTS events
  private recentAt = 0; // next slot of the ring
  /** The run's end, once it ended (or was killed or detached and ran to its end). */
  result: RunResult | null = null;
  /** gdb detached: the caller runs the machine on to its end. */
  detached = false;
  killed = false;

  constructor(runner: LiveRunner) {
    this.runner = runner;
    this.machine = runner.machine;
    this.watch = new MemoryWatch(runner.machine);
  }

  get icount(): number {
    return this.machine.cpu.icount;
  }

  /** Keeps an event for `monitor events` (the runner's event sink calls this). */
  noteEvent(e: TraceEvent): void {
    if (this.recent.length < KEEP_EVENTS) this.recent.push(e);
    else this.recent[this.recentAt] = e;
    this.recentAt = (this.recentAt + 1) % KEEP_EVENTS;
  }

  setBreakpoints(addresses: Iterable<number>): void {
    const bps = this.machine.executor.breakpoints;
    bps.clear();
    for (const a of addresses) bps.add(a >>> 0);
  }

  setWatchpoints(ranges: WatchRange[]): void {
    this.watch.set(ranges);
  }

  /** Runs to `stopAt` and says why it stopped (null when it got there). */
  private advance(stopAt: number): Stop | null {
    if (this.result !== null) return { kind: 'exited', code: this.result.exitCode };
    stopAt = Math.min(stopAt, this.runner.limit);
    this.watch.arm();
    let r: RunResult;
    try {
      r = this.runner.run(stopAt);
    } finally {
      this.watch.disarm();
    }
    const hit = this.watch.hit;
    if (hit !== null) return { kind: 'watch', address: hit.address, watchKind: hit.kind };
    if (r.reason !== 'limit' || this.machine.cpu.stopReason !== '') {
      this.result = r;
      return { kind: 'exited', code: r.exitCode };
    }
    if (r.icount < stopAt) return { kind: 'breakpoint' }; // only a breakpoint stops the loop early
    if (r.icount >= this.runner.limit) {
      this.result = r; // --max-instructions: the run is over
      return { kind: 'exited', code: r.exitCode };
    }
    return null;
  }

  step(): Stop {
    return this.advance(this.icount + 1) ?? { kind: 'step' };
  }

  async continue(interrupted: () => boolean): Promise<Stop> {
    for (;;) {
      const stop = this.advance(this.icount + CONTINUE_SLICE);
      if (stop !== null) return stop;
      await yieldToEvents();
      if (interrupted()) return { kind: 'interrupt' };
    }
  }

  reverseStep(): Stop {
    throw new Error('a live run cannot go back (record it, then debug the trace with replay --gdb)');
  }

  reverseContinue(): Stop {
    return this.reverseStep();
  }

  goto(icount: number): string {
    if (icount < this.icount) throw new Error(`a live run cannot go back to icount ${icount} (it is at ${this.icount}; replay a recording for that)`);
    const bps = this.machine.executor.breakpoints;
    const saved = [...bps];
    bps.clear();
    try {
      const stop = this.advance(icount);
      if (stop !== null && stop.kind === 'exited') return `the run ended at icount ${this.icount} (exit code ${stop.code})`;
    } finally {
      for (const b of saved) bps.add(b);
    }
    return `at icount ${this.icount}`;
  }

  events(n: number): { before: TraceEvent[]; after: TraceEvent[] } {
    const ordered = this.recent.length < KEEP_EVENTS ? this.recent : [...this.recent.slice(this.recentAt), ...this.recent.slice(0, this.recentAt)];
    return { before: ordered.slice(Math.max(0, ordered.length - n)), after: [] };
  }

  detach(): void {
    this.detached = true;
    this.setBreakpoints([]);
    this.watch.set([]);
  }

  kill(): void {
    this.killed = true;
  }
}
