/**
 * Where each scenario guest shows its challenge in a recorded run: the first event (found by
 * SQL over the trace), the first execution of an instruction of the guest (a breakpoint), or
 * the first instruction with some opcode (found by stepping through the run) at which
 * the difficulty becomes visible. `ringside demo` lists them and opens the debugger at one.
 */
import type { TraceDb } from '../store';
import { loadRecordedRun } from '../load-run';
import { readRun } from '../store';
import { Timeline } from '../timeline';
import { readBytes, resolveAddress } from './memory-view';

export interface ChallengePoint {
  label: string; // what is there
  icount: number; // where to look
  seq?: number; // the event, when it is one
}

interface Finder {
  label: string;
  sql?: string; // one row (seq, icount) with @run bound
  at?: string; // an instruction (address expression) whose first execution is the point
  opcode?: number; // first byte of the instruction to find by stepping
  within?: number; // instructions searched for an opcode
}

const first = (view: string, where: string) => `SELECT seq, icount FROM ${view} WHERE run = @run AND ${where} ORDER BY seq LIMIT 1`;

/** The finder of each scenario guest (by image name without .elf). */
export const CHALLENGE_FINDERS: Record<string, Finder> = {
  'ring-aliasing': { label: 'first PUSH CS (the deprivileged CS shows its RPL)', opcode: 0x0e, within: 100_000 },
  'address-space': { label: "first write into the page the guest mapped in the monitor's region", at: 'fill_pattern.next+0xb' },
  'privileged-state': { label: 'first SGDT (no trap: the guest reads the real GDTR)', sql: first('ev_dtr', "op = 'sgdt'") },
  'privileged-state-umip': { label: 'first SGDT with CR4.UMIP set (under a monitor it traps and is emulated)', sql: first('ev_dtr', "op = 'sgdt'") },
  syscalls: { label: 'first SYSENTER', sql: first('ev_fast_syscall', "op = 'sysenter'") },
  interrupts: { label: 'first POPF acting on IF', sql: first('ev_iflag', "by_instruction = 'popf'") },
  'hidden-state': { label: 'first write to a cached descriptor (the cache goes stale)', sql: first('ev_stale_descriptor', '1') },
  'ring-compression': { label: "the ring-3 process's read of guest-kernel memory", at: 'user_main.read_probe' },
  tpr: { label: 'first TPR write', sql: first('ev_tpr', '1') },
  minikernel: { label: 'first SYSENTER of a ring-3 process', sql: first('ev_fast_syscall', "op = 'sysenter'") },
};

export function challengeLabel(guest: string): string | undefined {
  return CHALLENGE_FINDERS[guest.replace(/\.elf$/, '')]?.label;
}

/** The point of run `run` where its guest's challenge shows; undefined when it does not. */
export function challengePoint(db: TraceDb, run: number, guest: string): ChallengePoint | undefined {
  const f = CHALLENGE_FINDERS[guest.replace(/\.elf$/, '')];
  if (f === undefined) return undefined;
  if (f.sql !== undefined) {
    const row = db.prepare(f.sql).get({ run }) as { seq: number; icount: number } | undefined;
    return row === undefined ? undefined : { label: f.label, icount: row.icount, seq: row.seq };
  }
  const tl = new Timeline(loadRecordedRun(db, readRun(db, run)));
  const m = tl.machine;
  if (f.at !== undefined) {
    tl.setBreakpoints([resolveAddress(m, f.at)]);
    return tl.continue() === 'breakpoint' ? { label: f.label, icount: tl.icount } : undefined;
  }
  const stop = Math.min(tl.end, f.within ?? tl.end);
  while (tl.icount < stop) {
    if (readBytes(m, tl.linearIp(), 1)[0] === f.opcode) return { label: f.label, icount: tl.icount };
    tl.step();
  }
  return undefined;
}
