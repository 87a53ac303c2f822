/**
 * Memory as hex and ASCII at an address expression (`a`: 0x1000, a symbol, esp, [esp+4]), and
 * the stack from SS:ESP with the symbols its values name. Side by side on a wide terminal,
 * one above the other otherwise.
 */
import { Box, Text } from 'ink';
import type { MemoryRow, StackEntry } from '../../recorder/view/memory-view';
import { hex } from '../../recorder/view/fields';

export interface MemoryData {
  expr: string;
  memory: { address: number; rows: MemoryRow[] } | { error: string };
  stack: StackEntry[];
}

const byte = (b: number) => (b < 0 ? '??' : b.toString(16).padStart(2, '0'));

export function memoryLayout(width: number, height: number): { hexRows: number; stackRows: number; sideBySide: boolean } {
  const sideBySide = width >= 120;
  if (sideBySide) return { hexRows: height - 1, stackRows: height - 1, sideBySide };
  const hexRows = Math.max(1, Math.ceil((height - 2) / 2));
  return { hexRows, stackRows: Math.max(0, height - 2 - hexRows), sideBySide };
}

export function MemoryPane({ data, width, height }: { data: MemoryData; width: number; height: number }) {
  const { sideBySide } = memoryLayout(width, height);
  const m = data.memory;
  const hexPart = (
    <Box flexDirection="column" width={sideBySide ? 78 : width}>
      <Text dimColor wrap="truncate">
        memory at {data.expr}
        {'error' in m ? '' : ` = ${hex(m.address)}`} (a: change)
      </Text>
      {'error' in m ? (
        <Text color="red" wrap="truncate">{m.error}</Text>
      ) : (
        m.rows.map((r) => (
          <Text key={r.address} wrap="truncate">
            {hex(r.address)}  {r.bytes.map(byte).join(' ')}  <Text color="cyan">{r.ascii}</Text>
          </Text>
        ))
      )}
    </Box>
  );
  const stackPart = (
    <Box flexDirection="column" width={sideBySide ? width - 80 : width}>
      <Text dimColor wrap="truncate">stack (SS:ESP up)</Text>
      {data.stack.map((s) => (
        <Text key={s.address} wrap="truncate">
          {hex(s.address)} +{s.offset.toString(16).padEnd(3)} {s.value === undefined ? '????????' : hex(s.value)} <Text color="cyan">{s.symbol}</Text>
        </Text>
      ))}
    </Box>
  );
  return (
    <Box flexDirection={sideBySide ? 'row' : 'column'} width={width} height={height}>
      {hexPart}
      {sideBySide ? <Box width={2} /> : null}
      {stackPart}
    </Box>
  );
}
