/**
 * The debugger rendered at fixed sizes with ink-testing-library: keys typed into stdin, the
 * screen read from lastFrame().
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTraceReadOnly, closeTrace, runQuery, listRuns, type TraceDb } from '../../recorder/store';
import { recordDebugTrace, RUNS } from '../helpers/debug-trace';
import { renderApp, lineOf, statusOf, KEY } from './render';
import { KEYS } from '../../debugger-tui/keys';

let db: TraceDb;
const one = (sql: string) => runQuery(db, sql).rows[0] as number[];

beforeAll(() => {
  db = openTraceReadOnly(recordDebugTrace());
});
afterAll(() => closeTrace(db));

describe('registers', () => {
  it('s and S step forward and back, and the registers follow (PUSH CS under sw-013 shows RPL 1)', async () => {
    // The first PUSH CS of ring-aliasing under sw-013; then POP EAX.
    const r = renderApp(db, { run: RUNS.aliasingSw013 });
    const dbg = r.dbg!;
    // Find PUSH CS by stepping the debugger itself.
    while (!dbg.code(1)[0].text.startsWith('push cs')) dbg.step();
    const at = dbg.icount;
    let f = await r.press('s');
    expect(statusOf(f)).toContain(`${at + 1}/`);
    f = await r.press('s');
    expect(lineOf(f, 'eax')).toMatch(/^eax 00000009 /); // POP EAX took the pushed CS: 0x0009, RPL 1
    expect(statusOf(f)).toContain(`${at + 2}/`);
    f = await r.press('S');
    expect(statusOf(f)).toContain(`${at + 1}/`);
    expect(statusOf(f)).toContain('step back');
    expect(lineOf(f, 'eax')).not.toMatch(/^eax 00000009 /);
    f = await r.press('S', 'S');
    expect(statusOf(f)).toContain(`${at - 1}/`);
    r.unmount();
  });

  it('natively the same PUSH CS pushes 0x0008', async () => {
    const r = renderApp(db, { run: RUNS.aliasingNative });
    const dbg = r.dbg!;
    while (!dbg.code(1)[0].text.startsWith('push cs')) dbg.step();
    const f = await r.press('s', 's');
    expect(lineOf(f, 'eax')).toMatch(/^eax 00000008 /);
    expect(lineOf(f, 'cs ')).toMatch(/^cs  0008 /);
    r.unmount();
  });
});

describe('hidden descriptor caches', () => {
  const stale = (run: number) => one(`SELECT icount FROM ev_stale_descriptor WHERE run = ${run} AND reg = 4 ORDER BY seq LIMIT 1`)[0];

  it('natively, FS keeps its cached base and is marked STALE once its descriptor is rewritten', async () => {
    const at = stale(RUNS.hiddenNative);
    const r = renderApp(db, { run: RUNS.hiddenNative, icount: at });
    let f = await r.until((fr) => fr.includes('fs '));
    const before = lineOf(f, 'fs ');
    expect(before).toMatch(/^fs  0030 [0-9a-f]{8} 0000000f data writable/);
    expect(before).not.toContain('STALE');
    const cachedBase = before.split(/\s+/)[2];
    // The guest writes the descriptor field by field: step until the base in memory differs.
    for (let k = 0; k < 8 && !lineOf(f, 'fs ').includes('STALE'); k++) f = await r.press('s');
    const after = lineOf(f, 'fs ');
    expect(after).toContain('STALE');
    expect(after.split(/\s+/)[2]).toBe(cachedBase); // the cache did not change
    expect(after).toMatch(/memory: base [0-9a-f]{8}/);
    expect(after).not.toContain(`memory: base ${cachedBase}`);
    // Stepping back before the write clears the mark.
    f = await r.press(...Array(8).fill('S'));
    expect(lineOf(f, 'fs ')).not.toContain('STALE');
    r.unmount();
  });

  it('under sw-033 the write traps and the monitor reloads FS by selector: the cache takes the new base at once', async () => {
    // The new base, as the native run shows it in memory beside the stale cache.
    const native = renderApp(db, { run: RUNS.hiddenNative, icount: stale(RUNS.hiddenNative) });
    for (let k = 0; k < 20 && !native.dbg!.view.segments[4].stale; k++) native.dbg!.step();
    const newBase = native.dbg!.view.segments[4].inMemory!.base;
    const oldBase = native.dbg!.view.segments[4].base;
    native.unmount();
    expect(newBase).not.toBe(oldBase);

    // Guest time is the same under the monitor up to the write: start where the native run wrote.
    const r = renderApp(db, { run: RUNS.hiddenSw033, icount: stale(RUNS.hiddenNative) });
    let f = await r.until((fr) => fr.includes('fs '));
    expect(lineOf(f, 'fs ').split(/\s+/)[2]).toBe(oldBase.toString(16).padStart(8, '0'));
    for (let k = 0; k < 20 && lineOf(f, 'fs ').split(/\s+/)[2] === oldBase.toString(16).padStart(8, '0'); k++) f = await r.press('s');
    const line = lineOf(f, 'fs ');
    expect(line.split(/\s+/)[2]).toBe(newBase.toString(16).padStart(8, '0'));
    expect(line).not.toContain('STALE');
    r.unmount();
  });
});

describe('events', () => {
  it('/ filters the timeline by kind, and e/E move between those events', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative, focus: 'events' });
    let f = await r.press('/', ...'stale_descriptor'.split(''), KEY.enter);
    const lines = f.split('\n').filter((l) => /^.#\d+ @\d+/.test(l));
    const expected = (runQuery(db, `SELECT count(*) FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative}`).rows[0][0] as number);
    expect(lines.length).toBe(Math.min(expected, 9));
    for (const l of lines) expect(l).toMatch(/ stale_descriptor reg=4 selector=0x30$/);
    const [seq, icount] = one(`SELECT seq, icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`);
    f = await r.press('e');
    expect(statusOf(f)).toContain(`${icount}/`);
    expect(statusOf(f)).toContain(`event #${seq} stale_descriptor`);
    const [seq2, icount2] = one(`SELECT seq, icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1 OFFSET 1`);
    f = await r.press('e');
    expect(statusOf(f)).toContain(`${icount2}/`);
    expect(f).toMatch(new RegExp(`▶#${seq2} @${icount2} `));
    f = await r.press('E');
    expect(statusOf(f)).toContain(`event #${seq} `);
    r.unmount();
  });

  it('keys arriving in one chunk (a paste) are taken one by one, Enter included', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative, focus: 'events' });
    const f = await r.press('/stale_descriptor\re');
    const [seq] = one(`SELECT seq FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`);
    expect(f).toContain('events: stale_descriptor');
    await r.until((fr) => statusOf(fr).includes(`event #${seq}`));
    expect(statusOf(r.lastFrame()!)).toContain(`event #${seq} stale_descriptor`);
    r.unmount();
  });

  it('Enter on a selected event jumps to it', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative, focus: 'events' });
    await r.press('/', ...'segment_load'.split(''), KEY.enter);
    const f = await r.press('j', 'j', KEY.enter);
    const [seq, icount] = one(`SELECT seq, icount FROM ev_segment_load WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1 OFFSET 2`);
    expect(statusOf(f)).toContain(`${icount}/`);
    expect(statusOf(f)).toContain(`event #${seq} segment_load`);
    r.unmount();
  });
});

describe('SQL prompt', () => {
  it(': runs a query, shows the rows as a table, and Enter on a row jumps to its icount', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    let f = await r.press(':', ...'SELECT seq, icount, reg FROM ev_stale_descriptor'.split(''), KEY.enter);
    const rows = runQuery(db, `SELECT seq, icount, reg FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative}`).rows;
    expect(f).toMatch(/\d+ rows: SELECT seq, icount, reg FROM ev_stale_descriptor/);
    expect(f).toMatch(/seq\s+icount\s+reg/);
    expect(f).toContain(`${rows[0][0]}  `);
    f = await r.press('j', KEY.enter);
    expect(statusOf(f)).toContain(`${rows[1][1]}/`);
    expect(statusOf(f)).toContain('SQL row 2');
    r.unmount();
  });

  it("a row of another run does not move this one", async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    const f = await r.press(':', ...`SELECT run, icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenSw033}`.split(''), KEY.enter, KEY.enter);
    expect(statusOf(f)).toContain(`this row is from run ${RUNS.hiddenSw033}`);
    expect(r.dbg!.icount).toBe(0);
    r.unmount();
  });

  it('bad SQL is one line in the pane, and the debugger goes on', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    let f = await r.press(':', ...'SELEKT 1'.split(''), KEY.enter);
    expect(f).toContain('SQL error');
    f = await r.press('s');
    expect(statusOf(f)).toContain('1/');
    r.unmount();
  });
});

describe('help and layout', () => {
  it('? shows every key of the key table with its help, and any key closes it', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    let f = await r.press('?');
    for (const k of KEYS) expect(f).toContain(k.help.slice(0, 20));
    f = await r.press('x');
    expect(f).toContain('1 code');
    r.unmount();
  });

  it('fits 80x24 exactly and uses a wide terminal for a second column', async () => {
    const small = renderApp(db, { run: RUNS.hiddenNative });
    const f = await small.until((fr) => fr.length > 0);
    const lines = f.split('\n');
    expect(lines.length).toBe(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    small.unmount();
    const wide = renderApp(db, { run: RUNS.hiddenNative, columns: 180, rows: 40 });
    const w = await wide.until((fr) => fr.length > 0);
    expect(w.split('\n').length).toBe(40);
    expect(w).toContain(' 1 code ');
    expect(w).toContain('events: all kinds');
    expect(w).toContain('memory at esp');
    wide.unmount();
  });

  it('Tab and digits change the pane', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    let f = await r.press(KEY.tab);
    expect(f).toContain('memory at esp');
    f = await r.press('3');
    expect(f).toContain('events: all kinds');
    f = await r.press('4');
    expect(f).toContain('native run: no monitor');
    r.unmount();
  });
});

describe('breakpoints and long moves', () => {
  it('b sets a breakpoint at a symbol, c runs to it, C runs back to the previous hit', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    let f = await r.press('b', ...'set_hidden_descriptor'.split(''), KEY.enter);
    expect(statusOf(f)).toContain('breakpoint at set_hidden_descriptor');
    f = await r.press('c');
    f = await r.until((fr) => statusOf(fr).includes('breakpoint at set_hidden_descriptor'));
    const first = r.dbg!.icount;
    await r.press('c');
    f = await r.until((fr) => r.dbg!.icount !== first && !r.dbg!.busy);
    const second = r.dbg!.icount;
    expect(second).toBeGreaterThan(first);
    await r.press('C');
    f = await r.until(() => r.dbg!.icount !== second && !r.dbg!.busy);
    expect(r.dbg!.icount).toBe(first);
    expect(statusOf(f)).toContain('reverse: breakpoint');
    r.unmount();
  });

  it('b in the code pane toggles a breakpoint at the cursor line, marked ●', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative, icount: 5000 });
    const lines = r.dbg!.code(3);
    let f = await r.press('j', 'j', 'b');
    expect(statusOf(f)).toContain(`0x${lines[2].address.toString(16).padStart(8, '0')}`); // the prompt, filled with the cursor's address
    f = await r.press(KEY.enter);
    const marked = f.split('\n').filter((l) => l.includes('●'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toContain(lines[2].address.toString(16).padStart(8, '0'));
    expect(r.dbg!.breakpoints.has(lines[2].address)).toBe(true);
    f = await r.press('b', KEY.enter);
    expect(f).not.toContain('●');
    r.unmount();
  });

  it('a long continue shows its progress, reads keys while it runs, and Esc stops it where it is', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    const dbg = r.dbg!;
    dbg.slice = 10; // tiny slices: on this short run the continue must still be under way when Esc arrives
    await r.press('c');
    const f = await r.until((fr) => statusOf(fr).includes('continuing…'));
    expect(statusOf(f)).toMatch(/continuing… \d+% \(Esc stops\)/);
    await r.press(KEY.esc);
    await r.until(() => !dbg.busy);
    expect(dbg.stop).toBe('stopped');
    expect(dbg.icount).toBeGreaterThan(0);
    expect(dbg.icount).toBeLessThan(dbg.end);
    r.unmount();
  });

  it('n steps over a call and N steps back over it', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative });
    const dbg = r.dbg!;
    while (!dbg.code(1)[0].text.startsWith('call')) dbg.step();
    const at = dbg.icount;
    const after = dbg.code(2)[1].address;
    await r.press('n');
    await r.until(() => !dbg.busy && dbg.icount !== at);
    expect(dbg.view.linearIp).toBe(after);
    expect(dbg.icount).toBeGreaterThan(at + 1);
    await r.press('N');
    await r.until(() => !dbg.busy && dbg.view.linearIp !== after);
    expect(dbg.icount).toBe(at);
    r.unmount();
  });
});

describe('monitor pane', () => {
  it("under sw-013 shows the guest's virtual CPU beside the real CPL, and the monitor's exits up to this point", async () => {
    const r = renderApp(db, { run: RUNS.aliasingSw013, icount: 1500, focus: 'monitor' });
    const f = await r.until((fr) => fr.includes('sw-013: real cpl'));
    expect(f).toContain("sw-013: real cpl 1, the guest's virtual cpl 0");
    expect(f).toMatch(/v\.gdtr [0-9a-f]{8}\/[0-9a-f]{4} v\.idtr/);
    expect(f).toContain('monitor exits up to this point:');
    const last = one(`SELECT seq, icount FROM ev_monitor_exit WHERE run = ${RUNS.aliasingSw013} AND icount < 1500 ORDER BY seq DESC LIMIT 1`);
    expect(f).toContain(`#${last[0]} @${last[1]} `);
    r.unmount();
  });
});

describe('watchpoints and memory', () => {
  it('w watches the descriptor of FS; c stops just after the guest writes it', async () => {
    const at = one(`SELECT icount FROM ev_stale_descriptor WHERE run = ${RUNS.hiddenNative} ORDER BY seq LIMIT 1`)[0];
    const r = renderApp(db, { run: RUNS.hiddenNative, icount: 100 });
    const gdt = r.dbg!.view.gdtr.base;
    let f = await r.press('w', ...`0x${(gdt + 0x30).toString(16)}`.split(''), KEY.enter);
    expect(statusOf(f)).toContain(`watching writes to 0x${(gdt + 0x30).toString(16)}`);
    await r.press('c');
    f = await r.until((fr) => statusOf(fr).includes('watchpoint'));
    // The first write to the entry loads it (set_hidden_descriptor with base B1), before FS is loaded.
    expect(r.dbg!.icount).toBeLessThan(at);
    expect(r.dbg!.stop).toContain('watchpoint');
    r.unmount();
  });

  it('a shows memory at an expression: [esp] is the return address on the stack', async () => {
    const r = renderApp(db, { run: RUNS.hiddenNative, focus: 'memory' });
    const dbg = r.dbg!;
    while (!dbg.code(1)[0].text.startsWith('call')) dbg.step();
    dbg.step(); // inside the callee: [esp] is the return address
    const ret = dbg.stack(1)[0].value!;
    const f = await r.press('a', ...Array(10).fill('\x7f'), ...'[esp]'.split(''), KEY.enter);
    expect(f).toContain(`memory at [esp] = ${ret.toString(16).padStart(8, '0')}`);
    expect(f).toMatch(new RegExp(`\\n${ret.toString(16).padStart(8, '0')}  [0-9a-f]{2} `));
    r.unmount();
  });
});

describe('diff pane', () => {
  it('shows two runs of the same guest at the same icount with the differing fields first', async () => {
    const r = renderApp(db, { run: RUNS.aliasingSw013, focus: 'diff' });
    let f = await r.until((fr) => fr.includes('d picks a run'));
    expect(f).toContain(`run ${RUNS.aliasingNative} native`);
    f = await r.press('d', String(RUNS.aliasingNative), KEY.enter);
    expect(f).toMatch(new RegExp(`run ${RUNS.aliasingSw013} sw-013 vs run ${RUNS.aliasingNative} native at icount 0: \\d+ fields differ`));
    f = await r.press('g', ...'1000'.split(''), KEY.enter);
    expect(f).toContain('at icount 1000');
    // CS carries RPL 1 under sw-013 and 0 natively: a differing field, listed before the equal ones.
    const body = f.split('\n');
    const csLine = body.findIndex((l) => l.startsWith('cs.sel'));
    const eqLine = body.findIndex((l) => l.startsWith('cr2 '));
    expect(csLine).toBeGreaterThan(0);
    expect(body[csLine]).toMatch(/^cs\.sel\s+0009\s+0008/);
    if (eqLine >= 0) expect(csLine).toBeLessThan(eqLine);
    r.unmount();
  });

  it('shows the first divergence and its category when the diff engine gives one', async () => {
    const r = renderApp(db, { run: RUNS.aliasingSw013, focus: 'diff' });
    r.dbg!.setDiffRun(listRuns(db), RUNS.aliasingNative);
    r.dbg!.showDivergence({ icount: 1722, category: 'ring aliasing', summary: 'PUSH CS pushed 0x0009 (native 0x0008)' });
    const f = await r.press('s');
    expect(f).toContain('first divergence @1722 [ring aliasing] PUSH CS pushed 0x0009 (native 0x0008)');
    r.unmount();
  });

  it('refuses a run of another guest', async () => {
    const r = renderApp(db, { run: RUNS.aliasingSw013, focus: 'diff' });
    const f = await r.press('d', String(RUNS.hiddenNative), KEY.enter);
    expect(statusOf(f)).toContain('is another guest');
    r.unmount();
  });
});

describe('run picker', () => {
  it('lists the runs of a trace and opens the one chosen', async () => {
    const r = renderApp(db, {});
    let f = await r.until((fr) => fr.includes('4 runs'));
    expect(f).toContain('hidden-state.elf');
    expect(f).toContain('ring-aliasing.elf');
    f = await r.press('j', 'j', KEY.enter);
    f = await r.until((fr) => statusOf(fr).startsWith('run 3 '));
    expect(statusOf(f)).toContain('run 3 ring-aliasing native');
    r.unmount();
  });
});
