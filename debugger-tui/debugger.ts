/**
 * The debugger's state and moves, without any rendering: one recorded run opened on a
 * Timeline, the breakpoints and watchpoints, the event filter, the event the user moved to,
 * the SQL result, the second run of the diff pane. Every move ends at a point whose state is
 * read as plain view data (recorder/view); the previous view is kept to highlight changes.
 *
 * Moves that may run far (continue, reverse-continue, stepping over a call) run in slices and
 * yield to the event loop between them, reporting progress, so input keeps being read and
 * Esc stops them where they are.
 */
import { Timeline } from '../recorder/timeline';
import { loadRecordedRun } from '../recorder/load-run';
import { readRun, runQuery, readEvents, type TraceDb, type RunInfo } from '../recorder/store';
import { cpuView, type CpuView } from '../recorder/view/cpu-view';
import { changedFields } from '../recorder/view/fields';
import { codeLines, callHere, returnHere, callEndingAt, type CodeLine } from '../recorder/view/disasm-view';
import { resolveAddress, memoryRows, stackView, symbolize, type MemoryRow, type StackEntry } from '../recorder/view/memory-view';
import { eventWindow, firstEventFrom, nextEventAfter, previousEventBefore, lastEventBefore, kindNumbers, eventLine, type EventWindow, type EventLine } from '../recorder/view/event-view';
import { EventKind } from '../recorder/events';
import type { Divergence } from '../recorder/view/diff-view';
import { screenView, type ScreenView } from '../recorder/view/screen-view';
import { buildReport, type DiffReport } from '../recorder/diff/report';
import { traceDiffRun } from '../recorder/diff/trace-run';

/** Instructions run between two looks at the keyboard during a long move. */
export const SLICE = 4_000_000;

export interface Progress {
  what: string; // continuing, reverse-continuing, stepping over a call
  done: number; // 0..1
}

export interface SqlResult {
  sql: string;
  columns: string[];
  rows: unknown[][];
  error?: string;
}

const yieldToInput = () => new Promise<void>((resolve) => setImmediate(resolve));
const hex = (n: number) => '0x' + (n >>> 0).toString(16);

export class Debugger {
  readonly db: TraceDb; // the trace, read-only
  readonly file: string; // its path, as given
  readonly run: RunInfo; // the run being debugged
  readonly timeline: Timeline;
  readonly breakpoints = new Set<number>(); // linear addresses of instructions
  readonly watchpoints = new Set<number>(); // linear addresses (4 bytes each) watched for writes
  filter: string[] = []; // event kinds shown and visited by e/E (empty: all)
  eventSeq: number | undefined; // the event the user moved to (e/E, a selected event or SQL row)
  stop = 'start'; // why the last move stopped
  message = ''; // the last error or notice, for the status line
  memoryExpr = 'esp'; // what the memory pane shows
  sql: SqlResult | null = null;
  diff: { run: RunInfo; timeline: Timeline } | null = null;
  divergence: Divergence | null = null; // from the diff engine, when there is one
  diffReport: DiffReport | null = null; // the diff engine's report on the two runs
  divergenceAt = -1; // which divergence the last jump went to (0: the first, then the later ones)
  progress: Progress | null = null; // a long move under way
  slice = SLICE; // instructions between two looks at the keyboard
  private cancelled = false;
  private previous: CpuView | null = null;
  private current: CpuView;

  constructor(db: TraceDb, file: string, runId: number, icount = 0) {
    this.db = db;
    this.file = file;
    const run = readRun(db, runId);
    this.run = run;
    this.timeline = new Timeline(loadRecordedRun(db, run));
    if (icount > 0) this.timeline.seek(icount);
    this.current = cpuView(this.timeline.machine);
  }

  get icount(): number {
    return this.timeline.icount;
  }

  get end(): number {
    return this.timeline.end;
  }

  get view(): CpuView {
    return this.current;
  }

  /** Fields that changed with the last move. */
  get changed(): Set<string> {
    return changedFields(this.previous, this.current);
  }

  get busy(): boolean {
    return this.progress !== null;
  }

  private moved(stop: string, eventSeq?: number): void {
    this.stop = stop;
    this.eventSeq = eventSeq;
    this.message = '';
    this.previous = this.current;
    this.current = cpuView(this.timeline.machine);
  }

  private kinds(): number[] | undefined {
    return this.filter.length === 0 ? undefined : kindNumbers(this.filter);
  }

  // ---- single moves ------------------------------------------------------------------------

  step(): void {
    if (this.icount >= this.end) return this.notice('at the end of the run');
    this.timeline.step();
    this.moved('step');
  }

  stepBack(): void {
    if (this.icount === 0) return this.notice('at the start of the run');
    this.timeline.stepBack();
    this.moved('step back');
  }

  goto(icount: number, stop = `go to ${icount}`, eventSeq?: number): void {
    this.timeline.seek(icount);
    this.moved(icount > this.end ? 'end of the run' : stop, eventSeq);
  }

  /** `g` input: an icount, `#seq` an event, `+n`/`-n` relative. */
  gotoText(text: string): void {
    const t = text.trim().replace(/_/g, '');
    let m: RegExpExecArray | null;
    if ((m = /^#(\d+)$/.exec(t))) return this.gotoEvent(Number(m[1]));
    if ((m = /^([+-])(\d+)$/.exec(t))) return this.goto(Math.max(0, this.icount + (m[1] === '+' ? 1 : -1) * Number(m[2])));
    if (/^\d+$/.test(t)) return this.goto(Number(t));
    if (/^0x[0-9a-f]+$/i.test(t)) return this.goto(parseInt(t.slice(2), 16));
    this.notice(`go to: '${text}' is not an icount (1234, +100, -100) or an event (#42)`);
  }

  gotoEvent(seq: number): void {
    const e = firstEventOfSeq(this.db, this.run.id, seq);
    if (e === undefined) return this.notice(`run ${this.run.id} has no event #${seq}`);
    this.goto(e.icount, `event #${e.seq} ${e.kind}`, e.seq);
  }

  /** e: the next event (of the filtered kinds). */
  nextEvent(): void {
    const kinds = this.kinds();
    const e = this.eventSeq !== undefined ? nextEventAfter(this.db, this.run.id, this.eventSeq, kinds) : firstEventFrom(this.db, this.run.id, this.icount, kinds);
    if (e === undefined) return this.notice(`no ${this.filter.length ? this.filter.join('/') + ' ' : ''}event after this point`);
    this.goto(e.icount, `event #${e.seq} ${e.kind}`, e.seq);
  }

  /** E: the previous event (of the filtered kinds). */
  previousEvent(): void {
    const kinds = this.kinds();
    const e = this.eventSeq !== undefined ? previousEventBefore(this.db, this.run.id, this.eventSeq, kinds) : lastEventBefore(this.db, this.run.id, this.icount, kinds);
    if (e === undefined) return this.notice(`no ${this.filter.length ? this.filter.join('/') + ' ' : ''}event before this point`);
    this.goto(e.icount, `event #${e.seq} ${e.kind}`, e.seq);
  }

  setFilter(text: string): void {
    const names = text.split(/[\s,]+/).filter((s) => s !== '');
    try {
      kindNumbers(names);
    } catch (e) {
      return this.notice((e as Error).message);
    }
    this.filter = names;
    this.message = names.length ? `events: ${names.join(' ')}` : 'events: all kinds';
  }

  // ---- breakpoints and watchpoints ---------------------------------------------------------

  /** Toggles a breakpoint at an address expression (default: the current instruction). */
  toggleBreakpoint(expr: string): void {
    const at = this.address(expr.trim() === '' ? 'eip' : expr);
    if (at === undefined) return;
    if (this.breakpoints.delete(at)) this.message = `breakpoint at ${symbolize(this.timeline.machine, at)} removed`;
    else {
      this.breakpoints.add(at);
      this.message = `breakpoint at ${symbolize(this.timeline.machine, at)}`;
    }
  }

  toggleWatchpoint(expr: string): void {
    const at = this.address(expr);
    if (at === undefined) return;
    if (this.watchpoints.delete(at)) this.message = `watchpoint at ${hex(at)} removed`;
    else {
      this.watchpoints.add(at);
      this.message = `watching writes to ${hex(at)}..${hex(at + 3)}`;
    }
  }

  setMemory(expr: string): void {
    if (this.address(expr) !== undefined) this.memoryExpr = expr.trim();
  }

  private address(expr: string): number | undefined {
    try {
      return resolveAddress(this.timeline.machine, expr);
    } catch (e) {
      this.notice((e as Error).message);
      return undefined;
    }
  }

  notice(text: string): void {
    this.message = text;
  }

  // ---- long moves --------------------------------------------------------------------------

  /** Esc: stops a long move at the next slice. */
  cancel(): void {
    this.cancelled = true;
  }

  private arm(extra: number[] = []): void {
    this.timeline.setBreakpoints([...this.breakpoints, ...extra]);
    this.timeline.setWatchpoints(this.watchpoints);
  }

  /** Runs forward until a hit (of the breakpoints plus `extra`) or the end, in slices. */
  private async forwardToHit(what: string, extra: number[] = []): Promise<string> {
    const tl = this.timeline;
    const start = tl.icount;
    return this.sliced(what, extra, async () => {
      for (;;) {
        const why = tl.continue(Math.min(tl.end, tl.icount + this.slice));
        if (why !== 'target') return why;
        if (this.cancelled) return 'stopped';
        this.progress = { what, done: (tl.icount - start) / Math.max(1, tl.end - start) };
        await yieldToInput();
        if (this.cancelled) return 'stopped';
      }
    });
  }

  /** A long move: arms the breakpoints (plus `extra`), shows progress while `body` runs, clears it after. */
  private async sliced<T>(what: string, extra: number[], body: () => Promise<T>): Promise<T> {
    this.arm(extra);
    this.cancelled = false;
    this.progress = { what, done: 0 };
    try {
      return await body();
    } finally {
      this.progress = null;
    }
  }

  /** Searches backwards for the last hit before the current point, in slices. */
  private async backwardToHit(what: string, extra: number[] = []): Promise<boolean | 'stopped'> {
    const tl = this.timeline;
    const start = tl.icount;
    return this.sliced(what, extra, async (): Promise<boolean | 'stopped'> => {
      for (;;) {
        const notBefore = Math.max(0, tl.icount - this.slice);
        if (tl.reverseContinue(notBefore)) return true;
        if (notBefore === 0) return false;
        tl.seek(notBefore);
        this.progress = { what, done: (start - notBefore) / Math.max(1, start) };
        await yieldToInput();
        if (this.cancelled) return 'stopped';
      }
    });
  }

  private stopText(why: string): string {
    if (why === 'breakpoint') return `breakpoint at ${this.current.symbol}`;
    if (why === 'watchpoint') return 'watchpoint: a watched address was written';
    if (why === 'end') return 'end of the run';
    return why;
  }

  /** c: forward to the next breakpoint or watchpoint hit. */
  async continueForward(): Promise<void> {
    const why = await this.forwardToHit('continuing');
    this.moved(why);
    this.stop = this.stopText(why);
  }

  /** C: back to the last breakpoint or watchpoint hit (or the start of the run when none). */
  async continueBackward(): Promise<void> {
    const r = await this.backwardToHit('reverse-continuing');
    if (r === 'stopped') return this.moved('stopped');
    if (r === false) return this.goto(0, 'start of the run: no hit before');
    this.moved('');
    this.stop = `reverse: ${this.stopText(this.breakpoints.has(this.current.linearIp) ? 'breakpoint' : 'watchpoint')}`;
  }

  /** n: one instruction, running whole through a CALL. */
  async stepOver(): Promise<void> {
    const m = this.timeline.machine;
    const call = callHere(m);
    if (call === null) return this.step();
    const ret = (this.current.linearIp + call.length) >>> 0;
    const esp = this.current.regs[4].value;
    for (;;) {
      const why = await this.forwardToHit('stepping over a call', [ret]);
      // A recursive call reaches the same return address deeper in the stack: go on.
      const now = cpuView(m);
      if (why === 'breakpoint' && now.linearIp === ret && now.regs[4].value < esp) continue;
      this.moved(why === 'breakpoint' && now.linearIp === ret ? 'next' : this.stopText(why));
      return;
    }
  }

  /** N: one instruction back, running whole back through a CALL that returned here. */
  async stepOverBack(): Promise<void> {
    if (this.icount === 0) return this.notice('at the start of the run');
    const m = this.timeline.machine;
    const here = this.current;
    this.timeline.stepBack();
    if (!returnHere(m)) return this.moved('step back');
    // We came back from a call (or an interrupt handler): go back to the instruction before it.
    const call = callEndingAt(m, here.eip);
    const target = call ?? here.linearIp;
    // The CALL that returned here ran with the stack pointer the return left (a near RET pops
    // the return address only): a hit with a lower ESP is a deeper call of the same site
    // (recursion), so the search goes on back.
    const esp = here.regs[4].value;
    let r: boolean | 'stopped';
    do r = await this.backwardToHit('stepping back over a call', [target]);
    while (r === true && call !== null && cpuView(m).regs[4].value < esp);
    if (r === true && call === null) this.timeline.stepBack(); // an interrupt: the instruction before it
    if (r === false) this.timeline.seek(here.icount - 1); // no such call: one instruction back, as S
    this.moved(r === 'stopped' ? 'stopped' : r ? 'previous' : 'step back');
  }

  // ---- view data for the panes -------------------------------------------------------------

  code(count: number, fromEip?: number): CodeLine[] {
    return codeLines(this.timeline.machine, count, fromEip);
  }

  memory(rows: number): { address: number; rows: MemoryRow[] } | { error: string } {
    try {
      const at = resolveAddress(this.timeline.machine, this.memoryExpr);
      return { address: at, rows: memoryRows(this.timeline.machine, at, rows) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /** The guest's VGA text screen at this point. */
  screen(): ScreenView {
    return screenView(this.timeline.machine);
  }

  stack(count: number): StackEntry[] {
    return stackView(this.timeline.machine, count);
  }

  events(before: number, after: number): EventWindow {
    return eventWindow(this.db, this.run.id, { icount: this.icount, seq: this.eventSeq }, before, after, this.kinds());
  }

  /** The last `count` monitor exits up to this point. */
  monitorExits(count: number): EventLine[] {
    return eventWindow(this.db, this.run.id, { icount: this.icount }, count, 0, [EventKind.monitor_exit]).lines;
  }

  // ---- SQL -----------------------------------------------------------------------------------

  query(sql: string, maxRows = 1000): void {
    try {
      const r = runQuery(this.db, sql, { maxRows });
      this.sql = { sql, columns: r.columns, rows: r.rows };
    } catch (e) {
      this.sql = { sql, columns: [], rows: [], error: (e as Error).message.split('\n')[0] };
    }
  }

  /** Jumps to the point a result row names: its `icount` column, else its `seq` column. */
  jumpToRow(index: number): void {
    const r = this.sql;
    if (r === null || index < 0 || index >= r.rows.length) return;
    const row = r.rows[index];
    const col = (name: string) => {
      const k = r.columns.findIndex((c) => c.toLowerCase() === name);
      return k >= 0 && typeof row[k] === 'number' ? (row[k] as number) : undefined;
    };
    const icount = col('icount'), seq = col('seq'), run = col('run');
    if (run !== undefined && run !== this.run.id) return this.notice(`this row is from run ${run}; this is run ${this.run.id} (add WHERE run = ${this.run.id}, or open run ${run})`);
    if (icount !== undefined) return this.goto(icount, `SQL row ${index + 1}`, seq);
    if (seq !== undefined) return this.gotoEvent(seq);
    this.notice('this result has no icount or seq column to jump to');
  }

  // ---- diff ----------------------------------------------------------------------------------

  /** The runs of the same guest image, for the diff pane. */
  sameGuestRuns(runs: RunInfo[]): RunInfo[] {
    return runs.filter((r) => r.id !== this.run.id && r.imageSha256 === this.run.imageSha256);
  }

  setDiffRun(runs: RunInfo[], id: number): void {
    const other = runs.find((r) => r.id === id);
    if (other === undefined) return this.notice(`no run ${id} in this trace`);
    if (other.imageSha256 !== this.run.imageSha256) return this.notice(`run ${id} is another guest (${other.imageName}); the diff compares runs of the same guest`);
    if (other.id === this.run.id) return this.notice('pick another run than the one being debugged');
    this.diff = { run: other, timeline: new Timeline(loadRecordedRun(this.db, readRun(this.db, id))) };
    this.divergence = null;
    this.diffReport = null;
    this.divergenceAt = -1;
    // The diff engine's report on the two runs (its own timelines: the panes' stay where they are).
    const report = buildReport(traceDiffRun(this.db, readRun(this.db, this.run.id), `run ${this.run.id}`), traceDiffRun(this.db, readRun(this.db, id), `run ${id}`), { maxLater: 64 });
    this.diffReport = report;
    const f = report.first;
    if (f === null) return this.notice(`runs ${this.run.id} and ${id} never diverge`);
    const what = f.differences.slice(0, 2).map((d) => (d.kind === 'memory' ? `[${(d.address ?? 0).toString(16)}]` : d.name)).join(', ');
    this.showDivergence({ icount: f.icount, category: f.category, summary: `${f.disassembly}: ${what} differ; ${report.later.length} later` });
  }

  /** The icounts of the first divergence and of each later one (empty: none known). */
  divergences(): number[] {
    const r = this.diffReport;
    return r === null || r.first === null ? [] : [r.first.icount, ...r.later.map((d) => d.icount)];
  }

  /** Goes to the first divergence (k = 0) or a later one, at the point after the instruction where the values differ. */
  gotoDivergence(step: 'first' | 'next' | 'previous'): void {
    const all = this.divergences();
    if (all.length === 0) return this.notice(this.diff === null ? 'd picks a run to diff against first' : 'the runs never diverge');
    const k = step === 'first' ? 0 : Math.max(0, Math.min(all.length - 1, this.divergenceAt + (step === 'next' ? 1 : -1)));
    this.divergenceAt = k;
    const d = k === 0 ? this.diffReport?.first : this.diffReport?.later[k - 1];
    this.goto(all[k], `${k === 0 ? 'first divergence' : `divergence ${k + 1} of ${all.length}`}: ${d?.category ?? ''}`);
  }

  /** The first divergence of the two runs, as the diff engine reports it (null: none known). */
  showDivergence(d: Divergence | null): void {
    this.divergence = d;
  }

  /** The other run's state at the same guest icount (or at its end, if it ends sooner). */
  diffView(): CpuView | null {
    const d = this.diff;
    if (d === null) return null;
    const target = Math.min(this.icount, d.timeline.end);
    if (d.timeline.icount !== target) d.timeline.seek(target);
    return cpuView(d.timeline.machine);
  }
}

function firstEventOfSeq(db: TraceDb, run: number, seq: number): EventLine | undefined {
  for (const e of readEvents(db, run, { fromSeq: seq, toSeq: seq, limit: 1 })) return eventLine(e);
  return undefined;
}
