/**
 * How a run ends, in one place: the end reasons a trace stores (`runs.end_reason`, the
 * `run_end` event) and what replay must do to reach the same end.
 *
 * - `exit`: the guest wrote to the debug-exit port (the OUT retired: the final count includes it).
 * - `halt`: HLT with nothing that can wake the CPU (the HLT retired; the machine then stops).
 * - `shutdown`: a triple fault (or a state the monitor cannot handle): the faulting instruction
 *   does not retire, so the machine stops at the final count, inside an instruction.
 * - `limit`: --max-instructions retired.
 *
 * The first three are ends the machine reaches by itself, at the final count but possibly
 * after the last retired instruction (a shutdown, a halt): replay runs with one instruction of
 * room past the final count, which a faithful replay never uses (it stops by itself at the
 * final count; one that retires more has diverged, and its events and end show it). A `limit`
 * end is imposed from outside: replay stops exactly at the final count.
 */
import type { StopReason } from '../emulator/machine';

export type EndReason = StopReason;

export const END_REASONS: readonly EndReason[] = ['exit', 'halt', 'shutdown', 'limit'];

/** The machine ended the run by itself (not a limit imposed from outside). */
export function endsByItself(reason: string): boolean {
  return reason === 'exit' || reason === 'halt' || reason === 'shutdown';
}

/** The instruction count a replay of a complete run may run to. */
export function replayBound(reason: string, finalIcount: number): number {
  return endsByItself(reason) ? finalIcount + 1 : finalIcount;
}
