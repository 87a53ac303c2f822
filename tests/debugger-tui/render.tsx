/** Renders the debugger's App at a fixed size with ink-testing-library, and types into it. */
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { App } from '../../debugger-tui/components/App';
import { Debugger } from '../../debugger-tui/debugger';
import type { PaneId } from '../../debugger-tui/panes';
import { listRuns, type TraceDb } from '../../recorder/store';

export type Rendered = ReturnType<typeof render> & { dbg: Debugger | null; press(...keys: string[]): Promise<string>; until(pred: (frame: string) => boolean): Promise<string> };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Escape sequences as a terminal sends them.
export const KEY = { enter: '\r', esc: '\x1b', tab: '\t', down: '\x1b[B', up: '\x1b[A' };

export function renderApp(db: TraceDb, opts: { run?: number; icount?: number; focus?: PaneId; columns?: number; rows?: number } = {}): Rendered {
  const dbg = opts.run === undefined ? null : new Debugger(db, 'test.sqlite', opts.run, opts.icount ?? 0);
  const r = render(<App db={db} file="test.sqlite" runs={listRuns(db)} debugger={dbg ?? undefined} focus={opts.focus} size={{ columns: opts.columns ?? 80, rows: opts.rows ?? 24 }} />);
  const frame = () => stripVTControlCharacters(r.lastFrame() ?? '');
  const until = async (pred: (f: string) => boolean) => {
    for (let k = 0; k < 200 && !pred(frame()); k++) await sleep(10);
    return frame();
  };
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = r.frames.length;
      r.stdin.write(k);
      // Wait for the redraw this key causes (a key that changes nothing leaves the frame as is).
      for (let n = 0; n < 30 && r.frames.length === before; n++) await sleep(5);
      await sleep(5);
    }
    return frame();
  };
  return Object.assign(r, { dbg, press, until });
}

/** The line of the frame that starts with `prefix` (registers: 'eax', 'fs ', ...). */
export function lineOf(frame: string, prefix: string): string {
  return frame.split('\n').find((l) => l.startsWith(prefix)) ?? '';
}

/** The status line (the last line). */
export function statusOf(frame: string): string {
  const lines = frame.split('\n');
  return lines[lines.length - 1];
}
