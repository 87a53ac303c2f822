/**
 * The event timeline around the current point: `▶` marks where the current point falls (the
 * event moved to, or the first event at or after this icount), the cursor selects an event
 * (Enter jumps to it), and `/` filters by kind.
 */
import { Box, Text } from 'ink';
import type { EventWindow } from '../../recorder/view/event-view';
import { hex } from '../../recorder/view/fields';

export function EventsPane({ window, filter, cursor, width, height, focused }: { window: EventWindow; filter: string[]; cursor: number; width: number; height: number; focused: boolean }) {
  const { lines, here } = window;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text dimColor wrap="truncate">
        events{filter.length ? `: ${filter.join(' ')}` : ': all kinds'} (/ filter, e/E next/previous, Enter jump)
      </Text>
      {lines.length === 0 ? <Text dimColor>no events{filter.length ? ' of these kinds' : ''}</Text> : null}
      {lines.slice(0, height - 1).map((l, k) => (
        <Text key={l.seq} wrap="truncate" inverse={focused && k === cursor} color={k === here ? 'green' : k > here ? undefined : 'gray'}>
          {k === here ? '▶' : ' '}#{l.seq} @{l.icount} cpl{l.cpl} {hex(l.cs, 4)}:{hex(l.eip)} <Text bold>{l.kind}</Text> {l.fields}
        </Text>
      ))}
    </Box>
  );
}
