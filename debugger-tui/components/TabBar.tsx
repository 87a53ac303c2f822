/** The pane strip: digits and titles, the focused pane inverted. */
import { Text } from 'ink';
import { PANES, type PaneId } from '../panes';

export function TabBar({ focus, width }: { focus: PaneId; width: number }) {
  return (
    <Text wrap="truncate">
      {PANES.map((p, k) => (
        <Text key={p.id} inverse={p.id === focus}>
          {` ${k + 1} ${p.title} `}
        </Text>
      ))}
      <Text dimColor>{width >= 70 ? '  ? help  q quit' : ''}</Text>
    </Text>
  );
}
