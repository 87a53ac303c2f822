/** The VGA text screen as view data, read through a recorded run's Timeline at any icount. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { openTraceReadOnly, closeTrace, readRun, type TraceDb } from '../../../recorder/store';
import { loadRecordedRun } from '../../../recorder/load-run';
import { Timeline } from '../../../recorder/timeline';
import { screenView } from '../../../recorder/view/screen-view';
import { recordVgaTrace, firstIcountWhere, VGA_RUN } from '../../helpers/debug-trace';

let db: TraceDb;
let tl: Timeline;
const TITLE = 'ringside: VGA text mode 3, 80x25';

beforeAll(() => {
  db = openTraceReadOnly(recordVgaTrace());
  tl = new Timeline(loadRecordedRun(db, readRun(db, VGA_RUN)));
});
afterAll(() => closeTrace(db));

describe('screen view', () => {
  it('at the start the screen is 80x25 and blank, with the cursor where the firmware left it (row 2)', () => {
    tl.seek(0);
    const s = screenView(tl.machine);
    expect([s.columns, s.rows]).toEqual([80, 25]);
    expect(s.lines).toHaveLength(25);
    expect(s.lines.every((l) => l === ' '.repeat(80))).toBe(true);
    expect(s.attributes).toHaveLength(25);
    expect(s.attributes.every((r) => r.length === 80)).toBe(true);
    expect(s.cursor).toEqual({ row: 2, column: 0 });
  });

  it('at the end it shows the three lines, their attributes and the cursor the guest moved', () => {
    tl.seek(tl.end);
    const s = screenView(tl.machine);
    expect(s.lines[0]).toBe(TITLE.padEnd(80));
    expect(s.attributes[0][0]).toBe(0x1f); // white on blue
    expect(s.lines[1].startsWith('attributes: 0123456789ABCDEF')).toBe(true);
    expect(s.attributes[1].slice(12, 28)).toEqual(Array.from({ length: 16 }, (_, k) => (k << 4) | 0x0f));
    expect(s.attributes[1][0]).toBe(0x07);
    expect(s.lines[24].trimEnd()).toBe('CP437: ╔═╗ ☺ ░▒▓ end');
    expect(s.attributes[24][0]).toBe(0x0e);
    expect(s.lines.slice(2, 24).every((l) => l === ' '.repeat(80))).toBe(true);
    expect(s.cursor).toEqual({ row: 24, column: 22 });
  });

  it('follows the icount both ways: one instruction writes the title\'s last character, and seeking back removes it', () => {
    const at = firstIcountWhere((n) => tl.seek(n), tl.end, () => screenView(tl.machine).lines[0].startsWith(TITLE));
    tl.seek(at - 1);
    expect(screenView(tl.machine).lines[0]).toBe(TITLE.slice(0, -1).padEnd(80));
    tl.seek(at);
    expect(screenView(tl.machine).lines[0]).toBe(TITLE.padEnd(80));
    tl.seek(0);
    expect(screenView(tl.machine).lines[0]).toBe(' '.repeat(80));
    tl.seek(at);
    expect(screenView(tl.machine).lines[0].startsWith(TITLE)).toBe(true);
  });
});
