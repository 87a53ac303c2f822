/** Highlighting of changed values, read from the frame's colour codes (colours forced on). */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

vi.hoisted(() => {
  process.env.FORCE_COLOR = '1'; // before chalk is loaded: the test terminal is not a TTY
});

import { openTraceReadOnly, closeTrace, type TraceDb } from '../../recorder/store';
import { recordDebugTrace, RUNS } from '../helpers/debug-trace';
import { renderApp } from './render';

let db: TraceDb;
beforeAll(() => {
  db = openTraceReadOnly(recordDebugTrace());
});
afterAll(() => closeTrace(db));

describe('registers', () => {
  it('a value changed by the last move is highlighted, and only until the next move', async () => {
    const r = renderApp(db, { run: RUNS.aliasingNative });
    const dbg = r.dbg!;
    while (!dbg.code(1)[0].text.startsWith('push cs')) dbg.step();
    await r.press('s', 's'); // POP EAX: EAX changes
    const line = () => (r.lastFrame() ?? '').split('\n').find((l) => l.includes('eax'))!;
    /** The raw text of one register's value (from its name to the next name), colour codes included. */
    const value = (name: string, next: string) => line().slice(line().indexOf(name + ' '), line().indexOf(' ' + next));
    const yellow = '\x1b[33m';
    expect(value('eax', 'ecx')).toContain(yellow);
    expect(value('eax', 'ecx')).toContain('00000008');
    expect(value('ebx', 'cpl')).not.toContain(yellow);
    await r.press('s'); // MOV EBX, EAX: EAX unchanged, EBX changes
    expect(value('eax', 'ecx')).not.toContain(yellow);
    expect(value('ebx', 'cpl')).toContain(yellow);
    expect(value('ebx', 'cpl')).toContain('00000008');
    r.unmount();
  });

});
