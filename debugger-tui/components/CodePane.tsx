/** Disassembly around EIP with symbols: `=>` the current instruction, `●` a breakpoint. */
import { Box, Text } from 'ink';
import type { CodeLine } from '../../recorder/view/disasm-view';
import { hex } from '../../recorder/view/fields';

export function CodePane({ lines, breakpoints, cursor, width, height, focused }: { lines: CodeLine[]; breakpoints: Set<number>; cursor: number; width: number; height: number; focused: boolean }) {
  const symWidth = width >= 100 ? 24 : 16;
  const showBytes = width >= 110;
  return (
    <Box flexDirection="column" width={width} height={height}>
      {lines.slice(0, height).map((l, k) => (
        <Text key={l.address} wrap="truncate" inverse={focused && k === cursor} color={l.current ? 'green' : undefined} bold={l.current}>
          {l.current ? '=>' : '  '}
          <Text color="red">{breakpoints.has(l.address) ? '●' : ' '}</Text>
          {hex(l.address)} <Text color="cyan">{l.symbol.slice(0, symWidth).padEnd(symWidth)}</Text> {showBytes ? l.bytes.padEnd(22) + ' ' : ''}
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
