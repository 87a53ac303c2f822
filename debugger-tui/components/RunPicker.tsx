/** The runs of a trace, to choose the one to open (when the file holds several). */
import { Box, Text } from 'ink';
import type { RunInfo } from '../../recorder/store';

export function RunPicker({ runs, cursor, file, width, height }: { runs: RunInfo[]; cursor: number; file: string; width: number; height: number }) {
  const rows = Math.max(1, height - 2);
  const first = Math.max(0, Math.min(cursor - rows + 1, runs.length - rows));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">{file}: {runs.length} runs. ↑/↓ choose, Enter open, q quit</Text>
      {runs.slice(first, first + rows).map((r, k) => (
        <Text key={r.id} inverse={first + k === cursor} wrap="truncate">
          {String(r.id).padStart(3)} {r.imageName.padEnd(22)} {(r.mode + ((r.options as { shadow?: string })?.shadow ? ' ' + (r.options as { shadow?: string }).shadow : '')).padEnd(14)}{' '}
          {String(r.finalIcount ?? r.lastIcount ?? 0).padStart(9)} instr {String(r.eventCount ?? r.storedEvents).padStart(7)} events {r.endReason ?? 'incomplete'}
        </Text>
      ))}
      <Text> </Text>
    </Box>
  );
}
