/**
 * The debugger's screen: the registers pane on top and the focused pane below it (on a wide
 * terminal, a second column with the code and the events), the status line at the bottom.
 * Keys come from the key table (keys.ts); every move goes through the Debugger, and every
 * pane is drawn from the plain view data it returns.
 */
import { useEffect, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout, type Key } from 'ink';
import type { RunInfo, TraceDb } from '../../recorder/store';
import { Debugger } from '../debugger';
import { bindingFor, type Action, type KeyPress } from '../keys';
import { PANES, type PaneId } from '../panes';
import { hex } from '../../recorder/view/fields';
import { RegistersPane, REGISTER_ROWS } from './RegistersPane';
import { CodePane } from './CodePane';
import { MemoryPane, memoryLayout } from './MemoryPane';
import { EventsPane } from './EventsPane';
import { MonitorPane } from './MonitorPane';
import { SqlPane } from './SqlPane';
import { DiffPane, diffRows } from './DiffPane';
import { ScreenPane, screenWindow } from './ScreenPane';
import { HelpOverlay } from './HelpOverlay';
import { StatusLine } from './StatusLine';
import { TabBar } from './TabBar';
import { RunPicker } from './RunPicker';
import type { CodeLine } from '../../recorder/view/disasm-view';

export interface AppProps {
  db: TraceDb;
  file: string;
  runs: RunInfo[];
  debugger?: Debugger; // opened on a run already; otherwise the run picker is shown first
  focus?: PaneId;
  size?: { columns: number; rows: number }; // fixed size (tests); default: the terminal's, live
  onQuit?: () => void;
}

type PromptKind = 'goto' | 'breakpoint' | 'watch' | 'filter' | 'sql' | 'memory' | 'diffRun';
const PROMPT_LABELS: Record<PromptKind, string> = {
  goto: 'go to (icount, +n, -n, #event):',
  breakpoint: 'breakpoint at (address, symbol; empty: here):',
  watch: 'watch writes to (address, symbol, [reg]):',
  filter: 'event kinds (empty: all):',
  sql: 'SQL:',
  memory: 'memory at (address, symbol, reg, [reg+n]):',
  diffRun: 'diff against run:',
};

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;

function useTerminalSize(fixed?: { columns: number; rows: number }) {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

/**
 * State read by the key handler: keys can arrive faster than React re-renders (a paste, a
 * script), so the handler reads and writes refs, and a redraw shows them.
 */
function useLiveState<T>(initial: T, redraw: () => void): [() => T, (v: T) => void] {
  const ref = useRef(initial);
  return [
    () => ref.current,
    (v: T) => {
      ref.current = v;
      redraw();
    },
  ];
}

export function App(props: AppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const [dbg, setDbg] = useState<Debugger | null>(props.debugger ?? null);
  const [, setVersion] = useState(0);
  const redraw = () => setVersion((v) => v + 1);
  const [getFocus, setFocus] = useLiveState<PaneId>(props.focus ?? 'code', redraw);
  const [getPrompt, setPrompt] = useLiveState<{ kind: PromptKind; text: string } | null>(null, redraw);
  const [getHelp, setHelp] = useLiveState(false, redraw);
  const [getPickerCursor, setPickerCursor] = useLiveState(0, redraw);
  const [pickerError, setPickerError] = useState('');
  const cursors = useRef({ code: -1, events: -1, sql: 0, diff: 0, screen: -1 }); // -1: follow the current point (screen: its cursor)
  const codeStart = useRef<number | null>(null);
  const shown = useRef<{ code: CodeLine[]; eventSeqs: number[]; eventsHere: number; screenFirst: number }>({ code: [], eventSeqs: [], eventsHere: 0, screenFirst: 0 });

  const quit = () => {
    dbg?.cancel();
    exit();
    props.onQuit?.();
  };

  const moved = () => {
    cursors.current.code = -1;
    cursors.current.events = -1;
    cursors.current.screen = -1;
    redraw();
  };

  /** Runs a move; a long one redraws its progress while it runs. */
  const act = (fn: () => void | Promise<void>) => {
    if (dbg === null) return;
    try {
      const r = fn();
      if (r instanceof Promise) {
        const timer = setInterval(redraw, 100);
        redraw();
        r.catch((e: Error) => dbg.notice(e.message.split('\n')[0])).finally(() => {
          clearInterval(timer);
          moved();
        });
      } else moved();
    } catch (e) {
      dbg.notice((e as Error).message.split('\n')[0]);
      redraw();
    }
  };

  const submitPrompt = (kind: PromptKind, text: string) => {
    if (dbg === null) return;
    switch (kind) {
      case 'goto': return act(() => dbg.gotoText(text));
      case 'breakpoint': dbg.toggleBreakpoint(text); break;
      case 'watch': dbg.toggleWatchpoint(text); break;
      case 'filter': dbg.setFilter(text); cursors.current.events = -1; break;
      case 'memory': dbg.setMemory(text); break;
      case 'sql':
        dbg.query(text);
        cursors.current.sql = 0;
        setFocus('sql');
        break;
      case 'diffRun':
        if (/^\d+$/.test(text.trim())) dbg.setDiffRun(props.runs, Number(text.trim()));
        else dbg.notice(`'${text}' is not a run id`);
        setFocus('diff');
        break;
    }
    redraw();
  };

  const moveCursor = (delta: number) => {
    const c = cursors.current;
    const focus = getFocus();
    if (focus === 'code') c.code = Math.max(0, Math.min(shown.current.code.length - 1, (c.code < 0 ? shown.current.code.findIndex((l) => l.current) : c.code) + delta));
    else if (focus === 'events') c.events = Math.max(0, Math.min(shown.current.eventSeqs.length - 1, (c.events < 0 ? shown.current.eventsHere : c.events) + delta));
    else if (focus === 'sql') c.sql = Math.max(0, Math.min((dbg?.sql?.rows.length ?? 1) - 1, c.sql + delta));
    else if (focus === 'diff') c.diff = Math.max(0, c.diff + delta);
    else if (focus === 'screen') c.screen = Math.max(0, (c.screen < 0 ? shown.current.screenFirst : c.screen) + delta);
    redraw();
  };

  const select = () => {
    if (dbg === null) return;
    const c = cursors.current;
    const focus = getFocus();
    if (focus === 'events') {
      const seq = shown.current.eventSeqs[c.events < 0 ? shown.current.eventsHere : c.events];
      if (seq !== undefined) act(() => dbg.gotoEvent(seq));
    } else if (focus === 'sql') act(() => dbg.jumpToRow(c.sql));
  };

  const open = (kind: PromptKind, text = '') => setPrompt({ kind, text });

  const perform = (action: Action, k: KeyPress) => {
    if (dbg === null) return;
    const focus = getFocus();
    const paneIndex = PANES.findIndex((p) => p.id === focus);
    switch (action) {
      case 'step': return act(() => dbg.step());
      case 'stepBack': return act(() => dbg.stepBack());
      case 'next': return act(() => dbg.stepOver());
      case 'previous': return act(() => dbg.stepOverBack());
      case 'continue': return act(() => dbg.continueForward());
      case 'reverseContinue': return act(() => dbg.continueBackward());
      case 'nextEvent': return act(() => dbg.nextEvent());
      case 'previousEvent': return act(() => dbg.previousEvent());
      case 'goto': return open('goto');
      case 'breakpoint': {
        const line = focus === 'code' && cursors.current.code >= 0 ? shown.current.code[cursors.current.code] : undefined;
        return open('breakpoint', line ? '0x' + hex(line.address) : '');
      }
      case 'watch': return open('watch');
      case 'filter': return open('filter', dbg.filter.join(' '));
      case 'sql': return open('sql');
      case 'memory': return open('memory', dbg.memoryExpr);
      case 'diffRun': return open('diffRun');
      case 'firstDivergence': return act(() => dbg.gotoDivergence('first'));
      case 'nextDivergence': return act(() => dbg.gotoDivergence('next'));
      case 'previousDivergence': return act(() => dbg.gotoDivergence('previous'));
      case 'nextPane': return setFocus(PANES[(paneIndex + 1) % PANES.length].id);
      case 'previousPane': return setFocus(PANES[(paneIndex + PANES.length - 1) % PANES.length].id);
      case 'pane': {
        const p = PANES[Number(k.input) - 1];
        if (p !== undefined) setFocus(p.id);
        return;
      }
      case 'up': return moveCursor(-1);
      case 'down': return moveCursor(1);
      case 'pageUp': return moveCursor(-10);
      case 'pageDown': return moveCursor(10);
      case 'select': return select();
      case 'help': return setHelp(true);
      case 'cancel': return;
      case 'quit': return quit();
    }
  };

  const handleKey = (input: string, key: Key) => {
    const k: KeyPress = { input, tab: key.tab, shift: key.shift, return: key.return, escape: key.escape, upArrow: key.upArrow, downArrow: key.downArrow, pageUp: key.pageUp, pageDown: key.pageDown, ctrl: key.ctrl };
    if (dbg === null) {
      // The run picker.
      if (key.upArrow || input === 'k') setPickerCursor(Math.max(0, getPickerCursor() - 1));
      else if (key.downArrow || input === 'j') setPickerCursor(Math.min(props.runs.length - 1, getPickerCursor() + 1));
      else if (input === 'q' || key.escape) quit();
      else if (key.return) {
        try {
          setDbg(new Debugger(props.db, props.file, props.runs[getPickerCursor()].id));
        } catch (e) {
          setPickerError((e as Error).message.split('\n')[0]);
        }
      }
      return;
    }
    const prompt = getPrompt();
    if (prompt !== null) {
      if (key.escape) setPrompt(null);
      else if (key.return) {
        setPrompt(null);
        submitPrompt(prompt.kind, prompt.text);
      } else if (key.backspace || key.delete) setPrompt({ ...prompt, text: prompt.text.slice(0, -1) });
      else if (input && !key.ctrl && !key.meta) setPrompt({ ...prompt, text: prompt.text + input.replace(/[\x00-\x1f\x7f]/g, '') });
      return;
    }
    if (getHelp()) {
      setHelp(false);
      return;
    }
    const b = bindingFor(k);
    if (dbg.busy) {
      // A long move is running: only Esc (stop it) and q (stop and quit) act.
      if (b?.action === 'cancel') dbg.cancel();
      else if (b?.action === 'quit') quit();
      return;
    }
    if (b !== undefined) perform(b.action, k);
  };

  useInput((input, key) => {
    // Text typed faster than it is read (a paste, tmux send-keys, a script) arrives as one
    // chunk: it is taken key by key, Enter included.
    if (input.length > 1 && !key.ctrl && !key.meta && !input.includes('\x1b')) {
      for (const ch of input) {
        const enter = ch === '\r' || ch === '\n';
        handleKey(enter ? '' : ch, { ...key, return: enter, shift: ch !== ch.toLowerCase() });
      }
    } else handleKey(input, key);
  });

  const { columns, rows } = size;
  const focus = getFocus();
  const prompt = getPrompt();
  const help = getHelp();
  const pickerCursor = getPickerCursor();
  if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
    return <Text>{`terminal too small (${columns}x${rows}): ringside tui needs at least ${MIN_COLUMNS}x${MIN_ROWS}`}</Text>;
  }
  if (dbg === null) {
    return (
      <Box flexDirection="column" width={columns} height={rows}>
        <RunPicker runs={props.runs} cursor={pickerCursor} file={props.file} width={columns} height={rows - 1} />
        <Text color="red" wrap="truncate">{pickerError}</Text>
      </Box>
    );
  }

  const view = dbg.view;
  const changed = dbg.changed;

  const codeLines = (h: number): CodeLine[] => {
    // The window stays where it is while the current instruction is inside it (as gdb's).
    const start = codeStart.current;
    let lines = start === null ? dbg.code(h) : dbg.code(h, start);
    const at = lines.findIndex((l) => l.current);
    if (at < 0 || at > h - 3) lines = dbg.code(h);
    codeStart.current = lines.length > 0 ? lines[0].eip : null;
    shown.current.code = lines;
    return lines;
  };

  // A pane whose data cannot be read (say, code at an address that is not mapped in a way the
  // disassembler did not foresee) shows why, and the rest of the screen goes on working.
  const renderPane = (id: PaneId, width: number, height: number, focused: boolean) => {
    try {
      return paneContent(id, width, height, focused);
    } catch (e) {
      return (
        <Box width={width} height={height}>
          <Text color="red" wrap="wrap">{`${id}: ${(e as Error).message.split('\n')[0]}`}</Text>
        </Box>
      );
    }
  };

  const paneContent = (id: PaneId, width: number, height: number, focused: boolean) => {
    switch (id) {
      case 'code': {
        const lines = codeLines(height);
        const cursor = cursors.current.code < 0 ? lines.findIndex((l) => l.current) : cursors.current.code;
        return <CodePane lines={lines} breakpoints={dbg.breakpoints} cursor={cursor} width={width} height={height} focused={focused} />;
      }
      case 'memory': {
        const { hexRows, stackRows } = memoryLayout(width, height);
        const memory = dbg.memory(hexRows);
        return <MemoryPane data={{ expr: dbg.memoryExpr, memory, stack: dbg.stack(stackRows) }} width={width} height={height} />;
      }
      case 'events': {
        const body = height - 1;
        const before = Math.floor(body / 3);
        const w = dbg.events(before, body - before);
        shown.current.eventSeqs = w.lines.map((l) => l.seq);
        shown.current.eventsHere = w.here;
        const cursor = cursors.current.events < 0 ? w.here : cursors.current.events;
        return <EventsPane window={w} filter={dbg.filter} cursor={cursor} width={width} height={height} focused={focused} />;
      }
      case 'monitor':
        return <MonitorPane view={view} changed={changed} exits={view.monitor ? dbg.monitorExits(Math.max(0, height - 5)) : []} width={width} height={height} />;
      case 'sql':
        return <SqlPane result={dbg.sql} cursor={cursors.current.sql} width={width} height={height} focused={focused} />;
      case 'diff': {
        const other = dbg.diffView();
        const data = { left: { run: dbg.run, view }, right: other && dbg.diff ? { run: dbg.diff.run, view: other } : null, divergence: dbg.divergence, candidates: dbg.sameGuestRuns(props.runs) };
        if (other) cursors.current.diff = Math.min(cursors.current.diff, Math.max(0, diffRows(view, other).length - 1));
        return <DiffPane data={data} scroll={cursors.current.diff} width={width} height={height} />;
      }
      case 'screen': {
        const screen = dbg.screen();
        const first = screenWindow(screen, cursors.current.screen, height - 1);
        shown.current.screenFirst = first;
        if (cursors.current.screen >= 0) cursors.current.screen = first; // scrolling stops at the last row
        return <ScreenPane screen={screen} scroll={first} width={width} height={height} />;
      }
    }
  };

  const status = (
    <StatusLine
      width={columns}
      s={{
        run: dbg.run.id,
        guest: dbg.run.imageName,
        mode: dbg.run.mode + ((dbg.run.options as { shadow?: string })?.shadow ? ' ' + (dbg.run.options as { shadow?: string }).shadow : ''),
        icount: dbg.icount,
        end: dbg.end,
        symbol: view.symbol,
        stop: dbg.stop,
        message: dbg.message,
        progress: dbg.progress,
        prompt: prompt ? { label: PROMPT_LABELS[prompt.kind], text: prompt.text } : null,
      }}
    />
  );

  if (help) {
    return (
      <Box flexDirection="column" width={columns} height={rows}>
        <HelpOverlay width={columns} height={rows - 1} />
        {status}
      </Box>
    );
  }
  const wide = columns >= 160 && rows >= 30;
  const paneRows = Math.max(1, rows - 2 - REGISTER_ROWS);
  if (!wide) {
    return (
      <Box flexDirection="column" width={columns} height={rows}>
        <RegistersPane view={view} changed={changed} width={columns} />
        <TabBar focus={focus} width={columns} />
        {renderPane(focus, columns, paneRows, true)}
        {status}
      </Box>
    );
  }
  const leftW = Math.floor(columns / 2);
  const rightW = columns - leftW - 1;
  const leftPane: PaneId = focus === 'code' || focus === 'events' ? 'memory' : focus;
  const codeRows = Math.floor((rows - 1) / 2) - 1;
  const eventRows = rows - 1 - 2 - codeRows;
  const title = (id: PaneId) => (
    <Text inverse={id === focus} wrap="truncate">
      {` ${PANES.findIndex((p) => p.id === id) + 1} ${id} `}
    </Text>
  );
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box flexDirection="row" height={rows - 1}>
        <Box flexDirection="column" width={leftW}>
          <RegistersPane view={view} changed={changed} width={leftW} />
          <TabBar focus={focus} width={leftW} />
          {renderPane(leftPane, leftW, paneRows, leftPane === focus)}
        </Box>
        <Box width={1} />
        <Box flexDirection="column" width={rightW}>
          {title('code')}
          {renderPane('code', rightW, codeRows, focus === 'code')}
          {title('events')}
          {renderPane('events', rightW, eventRows, focus === 'events')}
        </Box>
      </Box>
      {status}
    </Box>
  );
}
