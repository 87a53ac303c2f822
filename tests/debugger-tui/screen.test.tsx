/** The screen pane: the guest's VGA text screen at the current point, rendered at fixed sizes. */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

vi.hoisted(() => {
  process.env.FORCE_COLOR = '1'; // before chalk is loaded: the cursor cell and colours are read from the codes
});

import { stripVTControlCharacters } from 'node:util';
import { openTraceReadOnly, closeTrace, type TraceDb } from '../../recorder/store';
import { recordVgaTrace, firstIcountWhere, VGA_RUN } from '../helpers/debug-trace';
import { renderApp, statusOf } from './render';

let db: TraceDb;
let titleDone: number; // the icount at which the title's last character is on the screen
let end: number;
const TITLE = 'ringside: VGA text mode 3, 80x25';

beforeAll(() => {
  db = openTraceReadOnly(recordVgaTrace());
  const r = renderApp(db, { run: VGA_RUN });
  const dbg = r.dbg!;
  titleDone = firstIcountWhere((n) => dbg.goto(n), dbg.end, () => dbg.screen().lines[0].startsWith(TITLE));
  end = dbg.end;
  r.unmount();
});
afterAll(() => closeTrace(db));

/** The pane's lines below its header, as shown (the rows between the tab bar and the status line). */
function paneLines(frame: string): string[] {
  const lines = frame.split('\n');
  const header = lines.findIndex((l) => l.startsWith('VGA text 80x25'));
  return lines.slice(header + 1, -1);
}

describe('screen pane', () => {
  it('7 shows the screen; s shows the write of the title\'s last character and S takes it back', async () => {
    const r = renderApp(db, { run: VGA_RUN, icount: titleDone - 1 });
    let f = await r.press('7');
    expect(f).toContain(' 7 screen ');
    expect(f).toContain('VGA text 80x25  cursor row 2, column 0  rows 0-8 of 25 (j/k scroll)');
    expect(paneLines(f)[0]).toBe(TITLE.slice(0, -1));
    f = await r.press('s');
    expect(statusOf(f)).toContain(`${titleDone}/`);
    expect(paneLines(f)[0]).toBe(TITLE);
    f = await r.press('S');
    expect(statusOf(f)).toContain(`${titleDone - 1}/`);
    expect(paneLines(f)[0]).toBe(TITLE.slice(0, -1));
    r.unmount();
  });

  it('on 80x24 it shows the rows around the cursor, the cursor as an inverted cell, and j/k scroll', async () => {
    const r = renderApp(db, { run: VGA_RUN, icount: end, focus: 'screen' });
    let f = await r.until((fr) => fr.includes('VGA text'));
    expect(f.split('\n')).toHaveLength(24);
    expect(f).toContain('cursor row 24, column 22  rows 16-24 of 25');
    const rows = paneLines(f);
    expect(rows).toHaveLength(9);
    expect(rows[8]).toBe('CP437: ╔═╗ ☺ ░▒▓ end   '); // up to the cursor's cell, column 22
    // The cursor's cell is inverted; the text before it is yellow (0x0E).
    const raw = (r.lastFrame() ?? '').split('\n').find((l) => stripVTControlCharacters(l).startsWith('CP437'))!;
    expect(raw).toMatch(/\x1b\[7m[^\x1b]*\x1b\[4m \x1b/);
    expect(raw).toContain('\x1b[93m'); // bright yellow, as FORCE_COLOR=1's 16 colours render #ffff55
    f = await r.press('k', 'k');
    expect(f).toContain('rows 14-22 of 25');
    expect(paneLines(f)[8]).toBe('');
    f = await r.press('j', 'j', 'j', 'j');
    expect(f).toContain('rows 16-24 of 25'); // no further than the last row
    expect(paneLines(f)[8]).toBe('CP437: ╔═╗ ☺ ░▒▓ end   ');
    r.unmount();
  });

  it('a terminal of 100x40 shows all 25 rows, the colours of the attribute cells included', async () => {
    const r = renderApp(db, { run: VGA_RUN, icount: end, focus: 'screen', columns: 100, rows: 40 });
    const f = await r.until((fr) => fr.includes('VGA text'));
    expect(f).toContain('VGA text 80x25  cursor row 24, column 22\n');
    const rows = paneLines(f);
    expect(rows[0]).toBe(TITLE);
    expect(rows[1]).toBe('attributes: 0123456789ABCDEF');
    expect(rows[24]).toBe('CP437: ╔═╗ ☺ ░▒▓ end   ');
    const raw = (r.lastFrame() ?? '').split('\n').find((l) => stripVTControlCharacters(l).startsWith(TITLE))!;
    expect(raw).toContain('\x1b[44m\x1b[97mringside'); // the title's white on blue, in 16 colours
    r.unmount();
  });
});
