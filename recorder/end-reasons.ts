/**
 * How a recorded run can end: the one list of end reasons (runs.end_reason, the run_end
 * event's reason) with their exit codes. The machine's own reasons come from the guest; the
 * others from outside the machine, at an instruction boundary.
 */
import { EXIT_HALT, EXIT_LIMIT, EXIT_SHUTDOWN, type RunResult } from '../emulator/machine';

/** Exit code of a run stopped by Ctrl-C (SIGINT), as shells report 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

export const END_REASONS = {
  exit: 'the guest wrote its exit code to the debug-exit port (exit code (v << 1) | 1)',
  halt: `the guest halted for good (exit code ${EXIT_HALT})`,
  shutdown: `triple fault: the processor shut down (exit code ${EXIT_SHUTDOWN})`,
  limit: `--max-instructions was reached (exit code ${EXIT_LIMIT})`,
  interrupted: `the recording was stopped by Ctrl-C (SIGINT) (exit code ${EXIT_INTERRUPTED})`,
} as const;

export type EndReason = keyof typeof END_REASONS;

/** How a run ended: the machine's result, or a stop from outside it. */
export interface RunEndResult {
  reason: EndReason;
  exitCode: number; // the process exit code `run` and `record` return
  icount: number; // retired instructions at the end
}

export function isEndReason(s: unknown): s is EndReason {
  return typeof s === 'string' && Object.hasOwn(END_REASONS, s);
}

/** Reasons that come from outside the machine: a replay ends them where the recording was stopped. */
export function stoppedFromOutside(reason: string): boolean {
  return reason === 'limit' || reason === 'interrupted';
}

/** The end of a run stopped by Ctrl-C at `icount`. */
export function interruptedAt(icount: number): RunEndResult {
  return { reason: 'interrupted', exitCode: EXIT_INTERRUPTED, icount };
}

/** The end a replay reports: a run stopped from outside ends, at its recorded count, for its recorded reason. */
export function replayedEnd(result: RunResult, recorded: { endReason: string | null; finalIcount: number | null }): RunEndResult {
  if (result.reason === 'limit' && recorded.endReason === 'interrupted' && result.icount === recorded.finalIcount) return interruptedAt(result.icount);
  return result;
}
