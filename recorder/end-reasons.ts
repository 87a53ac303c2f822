/**
 * How a run ends, in one place: the end reasons a trace stores (`runs.end_reason`, the
 * `run_end` event), their exit codes, and what replay must do to reach the same end.
 *
 * - `exit`: the guest wrote to the debug-exit port (the OUT retired: the final count includes it).
 * - `halt`: HLT with nothing that can wake the CPU (the HLT retired; the machine then stops).
 * - `shutdown`: a triple fault (or a state the monitor cannot handle): the faulting instruction
 *   does not retire, so the machine stops at the final count, inside an instruction.
 * - `reset`: the guest asked for a reset (8042 command 0xFE, its output port, or port 0x92; the
 *   OUT retired): the run ends, as QEMU's -no-reboot ends it.
 * - `limit`: --max-instructions retired.
 * - `interrupted`: the recording was stopped by Ctrl-C (SIGINT), at an instruction boundary.
 *
 * The first four are ends the machine reaches by itself, at the final count but possibly
 * after the last retired instruction (a shutdown, a halt): replay runs with one instruction of
 * room past the final count, which a faithful replay never uses (it stops by itself at the
 * final count; one that retires more has diverged, and its events and end show it). A `limit`
 * or `interrupted` end is imposed from outside: replay stops exactly at the final count, and
 * ends there for the recorded reason.
 */
import { EXIT_HALT, EXIT_LIMIT, EXIT_RESET, EXIT_SHUTDOWN, type RunResult, type StopReason } from '../emulator/machine';

/** Exit code of a run stopped by Ctrl-C (SIGINT), as shells report 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

export type EndReason = StopReason | 'interrupted';

/** Every end reason, with what it means (the README's exit-code table says the same). */
export const END_REASON_MEANINGS: Readonly<Record<EndReason, string>> = {
  exit: 'the guest wrote its exit code to the debug-exit port (exit code (v << 1) | 1)',
  halt: `the guest halted for good (exit code ${EXIT_HALT})`,
  shutdown: `triple fault: the processor shut down (exit code ${EXIT_SHUTDOWN})`,
  reset: `the guest reset the machine (8042 or port 0x92), which ends the run as QEMU's -no-reboot does (exit code ${EXIT_RESET})`,
  limit: `--max-instructions was reached (exit code ${EXIT_LIMIT})`,
  interrupted: `the recording was stopped by Ctrl-C (SIGINT) (exit code ${EXIT_INTERRUPTED})`,
};

export const END_REASONS: readonly EndReason[] = Object.keys(END_REASON_MEANINGS) as EndReason[];

/** How a run ended: the machine's result, or a stop from outside it. */
export interface RunEndResult {
  reason: EndReason;
  exitCode: number; // the process exit code `run` and `record` return
  icount: number; // retired instructions at the end
}

export function isEndReason(s: unknown): s is EndReason {
  return typeof s === 'string' && (END_REASONS as readonly string[]).includes(s);
}

/** The machine ended the run by itself (not a limit or a stop imposed from outside). */
export function endsByItself(reason: string): boolean {
  return reason === 'exit' || reason === 'halt' || reason === 'shutdown' || reason === 'reset';
}

/** The instruction count a replay of a complete run may run to. */
export function replayBound(reason: string, finalIcount: number): number {
  return endsByItself(reason) ? finalIcount + 1 : finalIcount;
}

/** The end of a run stopped by Ctrl-C at `icount`. */
export function interruptedAt(icount: number): RunEndResult {
  return { reason: 'interrupted', exitCode: EXIT_INTERRUPTED, icount };
}

/** The end a replay reports: a run stopped by Ctrl-C ends, at its recorded count, for its recorded reason. */
export function replayedEnd(result: RunResult, recorded: { endReason: string | null; finalIcount: number | null }): RunEndResult {
  if (result.reason === 'limit' && recorded.endReason === 'interrupted' && result.icount === recorded.finalIcount) return interruptedAt(result.icount);
  return result;
}
