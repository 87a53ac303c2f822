/** The diff pane fed by the diff engine: the category named, and keys to the first and later divergences. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTraceReadOnly, closeTrace, type TraceDb } from '../../recorder/store';
import { recordDebugTrace, RUNS } from '../helpers/debug-trace';
import { renderApp, statusOf, KEY } from './render';

let db: TraceDb;
beforeAll(() => {
  db = openTraceReadOnly(recordDebugTrace());
});
afterAll(() => closeTrace(db));

describe('diff pane with the diff engine', () => {
  it('names the category of the first divergence once a run is picked, and v ] [ jump between divergences', async () => {
    const r = renderApp(db, { run: RUNS.aliasingNative, focus: 'diff' });
    let f = await r.press('d', String(RUNS.aliasingSw013), KEY.enter);
    f = await r.until((fr) => fr.includes('first divergence @'));
    expect(f).toMatch(/first divergence @1722 \[ring aliasing\] push cs: \[[0-9a-f]+\] differ; \d+ later/);
    f = await r.press('v');
    expect(statusOf(f)).toContain('1722/');
    expect(statusOf(f)).toContain('first divergence: ring aliasing');
    expect(f).toMatch(/\d+ fields differ/);
    f = await r.press(']');
    expect(statusOf(f)).toMatch(/divergence 2 of \d+: ring aliasing/);
    expect(r.dbg!.icount).toBeGreaterThan(1722);
    f = await r.press('[');
    expect(r.dbg!.icount).toBe(1722);
    r.unmount();
  });

  it('says so when no run is picked yet', async () => {
    const r = renderApp(db, { run: RUNS.aliasingNative, focus: 'diff' });
    const f = await r.press('v');
    expect(statusOf(f)).toContain('d picks a run to diff against first');
    r.unmount();
  });
});
