/**
 * Starts the debugger on a terminal: the alternate screen, Ink's render, and back to the
 * shell's screen on quit. The caller (the CLI) opens the trace and checks there is a terminal.
 */
import { render } from 'ink';
import type { RunInfo, TraceDb } from '../recorder/store';
import { App } from './components/App';
import type { Debugger } from './debugger';
import type { PaneId } from './panes';

export interface TuiStart {
  db: TraceDb;
  file: string;
  runs: RunInfo[];
  debugger?: Debugger; // absent: the run picker opens first
  focus?: PaneId;
}

export async function runTui(start: TuiStart): Promise<void> {
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H'); // alternate screen
  try {
    const app = render(<App db={start.db} file={start.file} runs={start.runs} debugger={start.debugger} focus={start.focus} />, { exitOnCtrlC: true, patchConsole: true });
    await app.waitUntilExit();
  } finally {
    out.write('\x1b[?1049l');
  }
}
