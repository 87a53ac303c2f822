/**
 * The panes that share the lower part of the screen, in the order of their digit keys. The
 * registers pane is always shown above them. A pane that comes with a later feature (the
 * guest's VGA text screen) is one more entry here and one component.
 */
export type PaneId = 'code' | 'memory' | 'events' | 'monitor' | 'sql' | 'diff';

export interface PaneInfo {
  id: PaneId;
  title: string;
}

export const PANES: readonly PaneInfo[] = [
  { id: 'code', title: 'code' },
  { id: 'memory', title: 'memory' },
  { id: 'events', title: 'events' },
  { id: 'monitor', title: 'monitor' },
  { id: 'sql', title: 'sql' },
  { id: 'diff', title: 'diff' },
];
