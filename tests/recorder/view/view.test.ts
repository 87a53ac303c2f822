/** The debugger's view data: segment caches and their stale mark, address expressions, memory, events. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTraceReadOnly, closeTrace, runQuery, readRun, type TraceDb } from '../../../recorder/store';
import { loadRecordedRun } from '../../../recorder/load-run';
import { Timeline } from '../../../recorder/timeline';
import { cpuView, readDescriptor } from '../../../recorder/view/cpu-view';
import { changedFields } from '../../../recorder/view/fields';
import { resolveAddress, memoryRows, stackView, ExpressionError } from '../../../recorder/view/memory-view';
import { eventWindow, firstEventFrom, nextEventAfter, previousEventBefore, kindNumbers } from '../../../recorder/view/event-view';
import { callHere, callEndingAt, codeLines } from '../../../recorder/view/disasm-view';
import { challengePoint } from '../../../recorder/view/challenge-points';
import { recordDebugTrace, RUNS } from '../../helpers/debug-trace';

let db: TraceDb;
const timeline = (run: number) => new Timeline(loadRecordedRun(db, readRun(db, run)));

beforeAll(() => {
  db = openTraceReadOnly(recordDebugTrace());
});
afterAll(() => closeTrace(db));

describe('segment caches', () => {
  it('a cache equal to its descriptor is fresh; the descriptor read from the GDT matches the loaded FS', () => {
    const tl = timeline(RUNS.hiddenNative);
    const at = runQuery(db, `SELECT icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`).rows[0][0] as number;
    tl.seek(at);
    const v = cpuView(tl.machine);
    const fs = v.segments[4];
    expect(fs.name).toBe('fs');
    expect(fs.selector).toBe(0x30);
    expect(fs.stale).toBe(false);
    expect(fs.inMemory).toEqual({ base: fs.base, limit: fs.limit, rights: fs.rights & 0x00f0fe00 });
    expect(v.segments.every((s) => !s.stale)).toBe(true);
  });

  it('once the guest rewrites the base, FS is stale and the view shows both bases', () => {
    const tl = timeline(RUNS.hiddenNative);
    const at = runQuery(db, `SELECT icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`).rows[0][0] as number;
    tl.seek(at);
    const before = cpuView(tl.machine);
    let v = before;
    for (let k = 0; k < 10 && !v.segments[4].stale; k++) {
      tl.step();
      v = cpuView(tl.machine);
    }
    const fs = v.segments[4];
    expect(fs.stale).toBe(true);
    expect(fs.base).toBe(before.segments[4].base);
    expect(fs.inMemory!.base).not.toBe(fs.base);
    expect(changedFields(before, v).has('fs.stale')).toBe(true);
    expect(changedFields(before, v).has('fs.base')).toBe(false);
  });

  it('null selectors and selectors beyond the table have no descriptor', () => {
    const tl = timeline(RUNS.hiddenNative);
    tl.seek(100);
    expect(readDescriptor(tl.machine, 0)).toBeNull();
    expect(readDescriptor(tl.machine, 0xfff8)).toBeNull();
    expect(readDescriptor(tl.machine, 0x10)).not.toBeNull();
  });

  it('under a monitor the view carries the virtual CPU (virtual CPL 0 while the real CPL is 1)', () => {
    const tl = timeline(RUNS.aliasingSw013);
    tl.seek(1000);
    const v = cpuView(tl.machine);
    expect(v.cpl).toBe(1);
    expect(v.monitor).not.toBeNull();
    expect(v.monitor!.mode).toBe('sw-013');
    expect(v.monitor!.cpl).toBe(0);
    expect(v.monitor!.exits).toBeGreaterThan(0);
    expect(cpuView(timeline(RUNS.aliasingNative).machine).monitor).toBeNull();
  });
});

describe('memory', () => {
  it('resolves numbers, registers, symbols, sums and [dereferences]', () => {
    const tl = timeline(RUNS.hiddenNative);
    tl.seek(5000);
    const m = tl.machine;
    const esp = cpuView(m).regs[4].value;
    expect(resolveAddress(m, '0x1000')).toBe(0x1000);
    expect(resolveAddress(m, '4096')).toBe(4096);
    expect(resolveAddress(m, 'esp')).toBe(esp);
    expect(resolveAddress(m, 'esp+8')).toBe(esp + 8);
    expect(resolveAddress(m, 'esp - 4')).toBe(esp - 4);
    expect(resolveAddress(m, 'main')).toBe(m.symbols.addressOf('main'));
    const top = stackView(m, 1)[0].value!;
    expect(resolveAddress(m, '[esp]')).toBe(top);
    expect(resolveAddress(m, '[esp]+1')).toBe((top + 1) >>> 0);
    expect(() => resolveAddress(m, 'no_such_symbol')).toThrow(ExpressionError);
    expect(() => resolveAddress(m, '[esp')).toThrow(/unbalanced/);
  });

  it('memory rows are hex and ASCII; unmapped bytes are -1', () => {
    const tl = timeline(RUNS.hiddenNative);
    tl.seek(5000);
    const m = tl.machine;
    const [line] = codeLines(m, 1); // the current instruction's bytes, as the disassembler read them
    const [row] = memoryRows(m, line.address, 1);
    expect(row.bytes.slice(0, line.bytes.split(' ').length).map((b) => b.toString(16).padStart(2, '0')).join(' ')).toBe(line.bytes);
    const [beyond] = memoryRows(m, 0xfffffff0, 1); // above RAM
    expect(beyond.bytes.every((b) => b === -1)).toBe(true);
    expect(beyond.ascii).toBe(' '.repeat(16));
  });
});

describe('events', () => {
  it('a window around a point, filtered by kind, and the next/previous event', () => {
    const stale = runQuery(db, `SELECT seq, icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq`).rows as number[][];
    const kinds = kindNumbers(['stale_descriptor']);
    const w = eventWindow(db, RUNS.hiddenNative, { icount: stale[1][1] }, 1, 3, kinds);
    expect(w.lines.map((l) => l.seq)).toEqual(stale.slice(0, 4).map((r) => r[0]));
    expect(w.here).toBe(1);
    expect(w.lines.every((l) => l.kind === 'stale_descriptor' && l.fields === 'reg=4 selector=0x30')).toBe(true);
    expect(firstEventFrom(db, RUNS.hiddenNative, 0, kinds)!.seq).toBe(stale[0][0]);
    expect(nextEventAfter(db, RUNS.hiddenNative, stale[0][0], kinds)!.seq).toBe(stale[1][0]);
    expect(previousEventBefore(db, RUNS.hiddenNative, stale[1][0], kinds)!.seq).toBe(stale[0][0]);
    expect(previousEventBefore(db, RUNS.hiddenNative, stale[0][0], kinds)).toBeUndefined();
    expect(() => kindNumbers(['nonsense'])).toThrow(/unknown event kind 'nonsense'/);
  });
});

describe('code', () => {
  it('marks the current instruction, names symbols, and finds the CALL a return came from', () => {
    const tl = timeline(RUNS.hiddenNative);
    const m = tl.machine;
    while (callHere(m) === null) tl.step();
    const [call, next] = codeLines(m, 2);
    expect(call.current).toBe(true);
    expect(next.current).toBe(false);
    expect(call.symbol).not.toBe('');
    expect(next.address - call.address).toBe(callHere(m)!.length);
    tl.step();
    // From inside the callee, the call that returns to `next` is found by decoding backwards.
    expect(callEndingAt(m, next.eip)).toBe(call.address);
  });
});

describe('challenge points', () => {
  it('ring-aliasing: the first PUSH CS, at the same guest icount natively and under sw-013', () => {
    const a = challengePoint(db, RUNS.aliasingNative, 'ring-aliasing.elf')!;
    const b = challengePoint(db, RUNS.aliasingSw013, 'ring-aliasing.elf')!;
    expect(a.icount).toBe(b.icount);
    const tl = timeline(RUNS.aliasingSw013);
    tl.seek(b.icount);
    expect(codeLines(tl.machine, 1)[0].text).toBe('push cs');
  });

  it('hidden-state: the first stale_descriptor event', () => {
    const p = challengePoint(db, RUNS.hiddenNative, 'hidden-state.elf')!;
    const first = runQuery(db, `SELECT seq, icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`).rows[0] as number[];
    expect([p.seq, p.icount]).toEqual(first);
  });
});
