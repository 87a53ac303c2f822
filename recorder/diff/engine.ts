/**
 * The diff engine: aligns two recorded runs of one guest by guest-retired instructions (a
 * monitor retires each guest instruction once, so icount N is the same point of the guest's
 * program in both) and finds the first instruction after which guest-visible state differs
 * (guest-state.ts says what counts).
 *
 * Fast path: the runs are compared at their common snapshot points (registers after a seek
 * that executes nothing, memory from the stored pages: only the pages either run stored since
 * the previous point can differ); the first differing point bounds an interval whose start is
 * equal; both runs are then stepped in lockstep through it, registers compared after every
 * instruction and written pages every CHUNK instructions, then everything instruction by
 * instruction inside the chunk that differs. A register difference that appears and vanishes
 * inside the stepped interval is found; one inside an earlier snapshot interval whose two ends
 * agree is not (nor a memory dword that differs and is rewritten alike within one chunk).
 * After the first divergence, the runs go on in
 * lockstep while their control flow agrees (same EIP) and every sensitive instruction whose
 * guest-visible result differs in a new way is listed.
 */
import type { Timeline, RecordedRun } from '../timeline';
import type { TraceEvent } from '../events';
import { PAGE_SIZE } from '../../emulator/state/codec';
import { CS } from '../../emulator/cpu/constants';
import { guestTranslate } from '../../emulator/guest-view';
import type { Machine } from '../../emulator/machine';
import {
  GuestCore, guestRamTop, registerDifferences, REG_NAMES, pageDifferences, samePage, EIP_SLOT, type Difference,
} from './guest-state';
import { sensitiveForm, type Form } from './forms';

/** One run as the diff reads it. */
export interface DiffRun {
  label: string; // how reports name it ('run 2 (sw-033 shared)')
  recorded: RecordedRun;
  timeline: Timeline;
  /** The run's events with icount in [from, to], of the kinds asked for (all without `kinds`), at most `limit`. */
  events(from: number, to: number, filter?: EventQuery): TraceEvent[];
  endReason: string; // exit, halt, shutdown, limit...
  exitCode: number;
}

/** Which events of a range to read: a trace answers it in SQL through its event index. */
export interface EventQuery {
  kinds?: readonly number[];
  limit?: number;
}

/** The first divergence, or a later sensitive instruction whose result differs. */
export interface Divergence {
  icount: number; // the instruction that retired as number `icount` (state after it differs)
  cs: number;
  eip: number; // where that instruction is (the same in both runs: the state before it agrees)
  form: Form | null; // its sensitive form, if it has one
  differences: Difference[];
}

export interface DiffResult {
  first: Divergence | null;
  later: Divergence[]; // sensitive instructions after the first with new differences, control flow agreeing
  controlFlowSplit: number | null; // icount after which the EIPs differ (null: never, within the scan)
  compared: { points: number; steppedInstructions: number };
  leftEnd: number;
  rightEnd: number;
}

export interface DiffOptions {
  progress?: (what: string, done: number, total: number) => void;
  /** At most this many later events (default 32). */
  maxLater?: number;
  /** Instructions to scan after the first divergence (default 5,000,000). */
  laterBudget?: number;
}

/** Instructions between two comparisons of the written pages in the lockstep (a chunk that differs is searched one instruction at a time). */
const CHUNK = 1024;

/** The page numbers a snapshot stored. */
function storedPages(pages: Uint8Array[], out: Map<number, Uint8Array>): void {
  for (const chunk of pages) {
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at + 4 + PAGE_SIZE <= chunk.length; at += 4 + PAGE_SIZE) out.set(dv.getUint32(at, true), chunk.subarray(at + 4, at + 4 + PAGE_SIZE));
  }
}

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/**
 * Tracks pages written by both machines between two checks without disturbing time travel:
 * the CPU's written-page flags are moved into an accumulator (time travel needs them to know
 * which pages to restore) and put back before any seek.
 */
class WrittenPages {
  private readonly acc: Uint8Array[];
  constructor(private readonly machines: Machine[]) {
    this.acc = machines.map((m) => new Uint8Array(m.cpu.pageWritten.length));
  }
  /** Pages written by either machine since the last take(), below `pages`. */
  take(pages: number, visit: (page: number) => void): void {
    const [a, b] = this.machines;
    const wa = a.cpu.pageWritten, wb = b.cpu.pageWritten;
    for (let p = 0; p < pages; p++) if ((wa[p] | wb[p]) !== 0) visit(p);
    this.machines.forEach((m, k) => {
      const w = m.cpu.pageWritten, acc = this.acc[k];
      for (let p = 0; p < w.length; p++) if (w[p] !== 0) acc[p] = 1;
      m.cpu.clearWrittenPages();
    });
  }
  /** Gives the flags back to the CPUs (before a seek that may restore a snapshot). */
  giveBack(): void {
    this.machines.forEach((m, k) => {
      const w = m.cpu.pageWritten, acc = this.acc[k];
      for (let p = 0; p < w.length; p++) if (acc[p] !== 0) w[p] = 1;
      acc.fill(0);
    });
  }
}

/** The instruction bytes at the guest's CS:EIP (no side effects), for sensitiveForm(). */
function formAt(m: Machine, eip: number, buf: number[]): Form | null {
  const lin = (m.cpu.segBase[CS] + eip) >>> 0;
  for (let k = 0; k < 4; k++) {
    const p = guestTranslate(m, (lin + k) >>> 0);
    buf[k] = p < 0 ? -1 : m.cpu.ram[p];
  }
  return sensitiveForm(buf);
}

export function diffRuns(left: DiffRun, right: DiffRun, opts: DiffOptions = {}): DiffResult {
  const L = left.timeline, R = right.timeline;
  const lm = L.machine, rm = R.machine;
  const top = Math.min(guestRamTop(lm), guestRamTop(rm));
  const guestPages = top >>> 12;
  const end = Math.min(L.end, R.end);
  const coreL = new GuestCore(), coreR = new GuestCore();
  const written = new WrittenPages([lm, rm]);
  let stepped = 0;

  // ---- 1. Snapshot points: the first common point whose state differs.
  const lSnaps = left.recorded.snapshots, rSnaps = right.recorded.snapshots;
  const rAt = new Map(rSnaps.map((s, k) => [s.icount, k]));
  const lPages = new Map<number, Uint8Array>(), rPages = new Map<number, Uint8Array>();
  const changed = new Set<number>();
  let li = 0, ri = 0;
  let lo = 0, hi = end, points = 0;
  const common = lSnaps.map((s) => s.icount).filter((c) => rAt.has(c) && c <= end);
  if (common[common.length - 1] !== end) common.push(end);
  for (const point of common) {
    opts.progress?.('snapshot points', points, common.length);
    while (li < lSnaps.length && lSnaps[li].icount <= point) {
      const m = new Map<number, Uint8Array>();
      storedPages(lSnaps[li++].pages, m);
      for (const [p, d] of m) { lPages.set(p, d); changed.add(p); }
    }
    while (ri < rSnaps.length && rSnaps[ri].icount <= point) {
      const m = new Map<number, Uint8Array>();
      storedPages(rSnaps[ri++].pages, m);
      for (const [p, d] of m) { rPages.set(p, d); changed.add(p); }
    }
    points++;
    const isSnapshot = rAt.has(point) && lSnaps.some((s) => s.icount === point);
    let same = true;
    if (isSnapshot) {
      for (const p of changed) {
        if (p >= guestPages) continue;
        const a = lPages.get(p) ?? ZERO_PAGE, b = rPages.get(p) ?? ZERO_PAGE;
        if (Buffer.compare(a, b) !== 0) {
          const d: Difference[] = [];
          pageDifferences(a, b, 0, d, 1);
          if (d.length > 0) { same = false; break; }
        }
      }
      changed.clear();
      if (same) {
        written.giveBack();
        L.seek(point);
        R.seek(point);
        const a = coreL.read(lm), b = coreR.read(rm);
        for (let r = 0; r < 10; r++) if (a[r] !== b[r]) same = false;
      }
    } else same = false; // the end: decided by stepping
    if (!same) { hi = point; break; }
    lo = point;
  }

  // ---- 2. Lockstep from lo to hi.
  written.giveBack();
  L.seek(lo);
  R.seek(lo);
  written.take(guestPages, () => {}); // start a clean written-page interval (state at lo is equal)
  const diffs: Difference[] = [];
  const compareWritten = (out: Difference[]): void => {
    written.take(guestPages, (p) => {
      if (!samePage(lm.cpu.ram, rm.cpu.ram, p)) {
        const n = out.length;
        pageDifferences(lm.cpu.ram, rm.cpu.ram, p, out);
        for (let k = n; k < out.length; k++) out[k].address = (out[k].address as number) + 0; // guest-physical
      }
    });
  };
  const stepBoth = (to: number): void => {
    L.seek(to);
    R.seek(to);
  };
  let first: Divergence | null = null;
  let t = lo;
  const formBuf: number[] = [0, 0, 0, 0];
  const divergenceAt = (icount: number, cs: number, eip: number, form: Form | null, d: Difference[]): Divergence => ({ icount, cs, eip, form, differences: d });
  while (first === null && t < hi) {
    // Registers after every instruction (a difference that appears and vanishes within the
    // chunk is seen), the pages written at the chunk's end.
    const chunkStart = t;
    const chunkEnd = Math.min(hi, t + CHUNK);
    let differs = false;
    while (!differs && t < chunkEnd) {
      stepBoth(++t);
      const a = coreL.read(lm), b = coreR.read(rm);
      for (let r = 0; r < 10; r++) if (a[r] !== b[r]) differs = true;
    }
    stepped += t - chunkStart;
    if ((t & 0xffff) < CHUNK) opts.progress?.('lockstep', t - lo, hi - lo);
    if (!differs) {
      compareWritten(diffs);
      differs = diffs.length > 0;
      diffs.length = 0;
    }
    if (differs) first = fineSearch(chunkStart, t);
  }

  /** Instruction by instruction from `from` (equal) to `to` (differs): the first that differs. */
  function fineSearch(from: number, to: number): Divergence | null {
    written.giveBack();
    stepBoth(from);
    written.take(guestPages, () => {});
    for (let k = from; k < to; k++) {
      const eip = coreL.read(lm)[EIP_SLOT], cs = lm.cpu.segSel[CS];
      const form = formAt(lm, eip, formBuf);
      stepBoth(k + 1);
      const d: Difference[] = [];
      registerDifferences(coreL.read(lm), coreR.read(rm), d);
      compareWritten(d);
      if (d.length > 0) return divergenceAt(k + 1, cs, eip, form, d);
    }
    return null;
  }

  // The runs agree up to `end`; do they end alike?
  if (first === null && L.end !== R.end) {
    const eip = coreL.read(lm)[EIP_SLOT];
    first = divergenceAt(end, lm.cpu.segSel[CS], eip, formAt(lm, eip, formBuf), [
      { kind: 'end', name: 'end', left: `${left.endReason} ${left.exitCode} at ${L.end}`, right: `${right.endReason} ${right.exitCode} at ${R.end}` },
    ]);
  }

  // ---- 3. After the first divergence: later sensitive instructions while control flow agrees.
  const later: Divergence[] = [];
  let controlFlowSplit: number | null = null;
  if (first !== null && first.differences[0]?.kind !== 'end') {
    const maxLater = opts.maxLater ?? 32;
    const budget = Math.min(end, first.icount + (opts.laterBudget ?? 5_000_000));
    written.giveBack();
    stepBoth(first.icount);
    const known = new Map<string, string>();
    const prevL = new Uint32Array(10), prevR = new Uint32Array(10);
    // A difference is new when its pattern (left XOR right) changed: a register whose differing
    // bits an instruction did not touch (AH after IN AL) keeps its pattern.
    const pattern = (x: Difference): string => (typeof x.left === 'number' && typeof x.right === 'number' ? String((x.left ^ x.right) >>> 0) : `${x.left}/${x.right}`);
    const remember = (d: Difference[]): void => { for (const x of d) known.set(`${x.name}@${x.address ?? ''}`, pattern(x)); };
    const regsNow: Difference[] = [];
    registerDifferences(coreL.read(lm), coreR.read(rm), regsNow);
    remember(regsNow);
    remember(first.differences);
    written.take(guestPages, () => {});
    t = first.icount;
    if (coreL.values[EIP_SLOT] !== coreR.values[EIP_SLOT]) controlFlowSplit = t;
    while (controlFlowSplit === null && t < budget && later.length < maxLater) {
      const eip = coreL.read(lm)[EIP_SLOT], cs = lm.cpu.segSel[CS];
      const form = formAt(lm, eip, formBuf);
      if (form !== null) {
        const before: Difference[] = [];
        compareWritten(before);
        remember(before);
        prevL.set(coreL.values);
        prevR.set(coreR.read(rm));
      }
      stepBoth(t + 1);
      t++;
      stepped++;
      const a = coreL.read(lm), b = coreR.read(rm);
      if (a[EIP_SLOT] !== b[EIP_SLOT]) { controlFlowSplit = t; break; }
      const d: Difference[] = [];
      if (form === null) {
        registerDifferences(a, b, d); // a plain instruction's new differences are not listed
        if (d.length > 0) remember(d);
        continue;
      }
      registerDifferences(a, b, d);
      compareWritten(d);
      // A register counts when the instruction changed differing bits of it in either run; a
      // memory dword when its difference pattern is new.
      const fresh = d.filter((x) => {
        if (x.kind === 'register') {
          const r = REG_NAMES.indexOf(x.name as (typeof REG_NAMES)[number]);
          const changed = (prevL[r] ^ a[r]) | (prevR[r] ^ b[r]);
          return ((a[r] ^ b[r]) & changed) !== 0;
        }
        return known.get(`${x.name}@${x.address ?? ''}`) !== pattern(x);
      });
      remember(d);
      if (fresh.length > 0) later.push(divergenceAt(t, cs, eip, form, fresh));
      if ((t & 0xffff) === 0) opts.progress?.('after the first divergence', t - first.icount, budget - first.icount);
    }
  }
  written.giveBack();
  return { first, later, controlFlowSplit, compared: { points, steppedInstructions: stepped }, leftEnd: L.end, rightEnd: R.end };
}
