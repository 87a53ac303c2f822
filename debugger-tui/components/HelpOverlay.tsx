/** The keys, generated from the key table (keys.ts), in two columns when they fit. */
import { Box, Text } from 'ink';
import { KEYS } from '../keys';

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const cells = KEYS.map((k) => `${k.keys.padEnd(6)}${k.help}`);
  const twoColumns = width >= 76;
  const colWidth = twoColumns ? Math.floor((width - 2) / 2) : width;
  const rows: string[] = [];
  if (twoColumns) {
    const half = Math.ceil(cells.length / 2);
    for (let k = 0; k < half; k++) rows.push(cells[k].slice(0, colWidth - 1).padEnd(colWidth) + (cells[k + half] ?? '').slice(0, colWidth - 1));
  } else rows.push(...cells);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>keys (any key closes this help)</Text>
      {rows.slice(0, height - 1).map((r, k) => (
        <Text key={k} wrap="truncate">{r}</Text>
      ))}
    </Box>
  );
}
