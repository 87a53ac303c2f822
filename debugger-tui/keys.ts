/**
 * The debugger's keys, declared once: the App dispatches on this table and the help overlay
 * (`?`) is generated from it. Lowercase moves forward and uppercase backward, as in gdb's
 * single-key mode; Tab and digits move between panes, as in lazygit.
 */
export type Action =
  | 'step' | 'stepBack' | 'next' | 'previous' | 'continue' | 'reverseContinue' | 'nextEvent' | 'previousEvent'
  | 'goto' | 'breakpoint' | 'watch' | 'filter' | 'sql' | 'memory' | 'diffRun' | 'firstDivergence' | 'nextDivergence' | 'previousDivergence'
  | 'nextPane' | 'previousPane' | 'pane' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'select'
  | 'help' | 'cancel' | 'quit';

/** What Ink's useInput reports for one key press (the fields used here). */
export interface KeyPress {
  input: string;
  tab?: boolean;
  shift?: boolean;
  return?: boolean;
  escape?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  ctrl?: boolean;
}

export interface KeyBinding {
  keys: string; // as shown in the help
  action: Action;
  help: string;
  group: 'move' | 'points' | 'panes' | 'other';
  matches(k: KeyPress): boolean;
}

const char = (c: string) => (k: KeyPress) => k.input === c && !k.ctrl;

export const KEYS: readonly KeyBinding[] = [
  { keys: 's', action: 'step', help: 'step one instruction', group: 'move', matches: char('s') },
  { keys: 'S', action: 'stepBack', help: 'step back one instruction', group: 'move', matches: char('S') },
  { keys: 'n', action: 'next', help: 'step over a call', group: 'move', matches: char('n') },
  { keys: 'N', action: 'previous', help: 'step back over a call', group: 'move', matches: char('N') },
  { keys: 'c', action: 'continue', help: 'continue to a breakpoint/watchpoint', group: 'move', matches: char('c') },
  { keys: 'C', action: 'reverseContinue', help: 'reverse-continue to one', group: 'move', matches: char('C') },
  { keys: 'e', action: 'nextEvent', help: 'next event (filtered kinds)', group: 'move', matches: char('e') },
  { keys: 'E', action: 'previousEvent', help: 'previous event', group: 'move', matches: char('E') },
  { keys: 'g', action: 'goto', help: 'go to icount, +n/-n, or #event', group: 'move', matches: char('g') },
  { keys: 'b', action: 'breakpoint', help: 'toggle breakpoint (addr/symbol)', group: 'points', matches: char('b') },
  { keys: 'w', action: 'watch', help: 'toggle watchpoint on writes', group: 'points', matches: char('w') },
  { keys: '/', action: 'filter', help: 'filter events by kind', group: 'points', matches: char('/') },
  { keys: ':', action: 'sql', help: 'SQL over the trace', group: 'points', matches: char(':') },
  { keys: 'a', action: 'memory', help: 'memory at an address or [reg]', group: 'points', matches: char('a') },
  { keys: 'd', action: 'diffRun', help: 'pick the run to diff against', group: 'points', matches: char('d') },
  { keys: 'v', action: 'firstDivergence', help: 'go to the first divergence of the diff', group: 'move', matches: char('v') },
  { keys: ']', action: 'nextDivergence', help: 'go to the next divergence', group: 'move', matches: char(']') },
  { keys: '[', action: 'previousDivergence', help: 'go to the previous divergence', group: 'move', matches: char('[') },
  { keys: 'Tab', action: 'nextPane', help: 'next pane (Shift-Tab: previous)', group: 'panes', matches: (k) => k.tab === true && !k.shift },
  { keys: 'S-Tab', action: 'previousPane', help: 'previous pane', group: 'panes', matches: (k) => k.tab === true && k.shift === true },
  { keys: '1-7', action: 'pane', help: 'show pane by number', group: 'panes', matches: (k) => /^[1-9]$/.test(k.input) },
  { keys: 'j/↓', action: 'down', help: 'cursor down (screen: scroll)', group: 'panes', matches: (k) => k.downArrow === true || k.input === 'j' },
  { keys: 'k/↑', action: 'up', help: 'cursor up (screen: scroll)', group: 'panes', matches: (k) => k.upArrow === true || k.input === 'k' },
  { keys: 'PgDn', action: 'pageDown', help: 'page down', group: 'panes', matches: (k) => k.pageDown === true },
  { keys: 'PgUp', action: 'pageUp', help: 'page up', group: 'panes', matches: (k) => k.pageUp === true },
  { keys: 'Enter', action: 'select', help: 'jump to the event/row at cursor', group: 'panes', matches: (k) => k.return === true },
  { keys: '?', action: 'help', help: 'this help (any key closes it)', group: 'other', matches: char('?') },
  { keys: 'Esc', action: 'cancel', help: 'stop a long move, close a prompt', group: 'other', matches: (k) => k.escape === true },
  { keys: 'q', action: 'quit', help: 'quit', group: 'other', matches: char('q') },
];

export function bindingFor(k: KeyPress): KeyBinding | undefined {
  return KEYS.find((b) => b.matches(k));
}
