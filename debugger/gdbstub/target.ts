/**
 * What the stub debugs: a live machine (live-target.ts) or a recorded run in time
 * (trace-target.ts). The server keeps the protocol's state (breakpoints, watchpoints, the
 * last stop); a target only moves the machine and says why it stopped.
 */
import type { Machine } from '../../emulator/machine';
import type { WatchRange, WatchKind } from '../../emulator/memory-watch';
import type { TraceEvent } from '../../recorder/events';

export type Stop =
  | { kind: 'step' } // one instruction done (SIGTRAP)
  | { kind: 'interrupt' } // gdb's Ctrl-C (SIGINT)
  | { kind: 'breakpoint' } // at a breakpoint's instruction, before it executes
  | { kind: 'watch'; address: number; watchKind: WatchKind } // a watched range was written, read or accessed
  | { kind: 'history'; end: 'begin' | 'end' } // a recorded run has no more history that way
  | { kind: 'exited'; code: number }; // a live run ended (debug exit, halt for good, triple fault)

export interface DebugTarget {
  readonly machine: Machine; // the machine at the current point
  readonly reversible: boolean; // bs and bc work
  readonly writable: boolean; // memory and registers may be changed
  readonly icount: number; // the current point
  readonly end: number | null; // the last point of a recorded run (null: live)
  readonly hasEvents: boolean; // `monitor events` has something to show
  setBreakpoints(addresses: Iterable<number>): void; // guest linear addresses
  setWatchpoints(ranges: WatchRange[]): void; // write, read and access watchpoints
  step(): Stop;
  /** Runs until a stop; `interrupted()` is polled between slices of instructions. */
  continue(interrupted: () => boolean): Promise<Stop>;
  reverseStep(): Stop;
  reverseContinue(): Stop;
  /** Moves to an instruction count; returns a line saying where it is, or throws an Error saying why not. */
  goto(icount: number): string;
  /** Up to `n` events before the current point and up to `n` from it on. */
  events(n: number): { before: TraceEvent[]; after: TraceEvent[] };
  /** gdb detached: a live run goes on freely. */
  detach(): void;
  /** gdb killed the run: a live run stops here. */
  kill(): void;
}

/** Instructions between two looks at the interrupt byte while continuing. */
export const CONTINUE_SLICE = 200_000;

export const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
