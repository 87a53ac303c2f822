/** The result of the last `:` query as a table; Enter on a row with icount or seq jumps there. */
import { Box, Text } from 'ink';
import type { SqlResult } from '../debugger';

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  return String(v);
}

export function SqlPane({ result, cursor, width, height, focused }: { result: SqlResult | null; cursor: number; width: number; height: number; focused: boolean }) {
  if (result === null) {
    return (
      <Box width={width} height={height}>
        <Text dimColor wrap="wrap">":" runs SQL over the trace (read-only), e.g. SELECT seq, icount, reg FROM ev_stale_descriptor. A row with an icount or seq column jumps there with Enter.</Text>
      </Box>
    );
  }
  if (result.error !== undefined) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text dimColor wrap="truncate">{result.sql}</Text>
        <Text color="red" wrap="wrap">{result.error}</Text>
      </Box>
    );
  }
  const texts = result.rows.map((r) => r.map(cell));
  const widths = result.columns.map((c, k) => Math.min(40, Math.max(c.length, ...texts.map((t) => t[k].length))));
  const line = (vals: string[]) => vals.map((v, k) => v.padEnd(widths[k])).join('  ');
  const bodyRows = Math.max(0, height - 2);
  const first = Math.max(0, Math.min(cursor - bodyRows + 1, texts.length - bodyRows));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text dimColor wrap="truncate">
        {result.rows.length} row{result.rows.length === 1 ? '' : 's'}: {result.sql}
      </Text>
      <Text bold wrap="truncate">{line(result.columns)}</Text>
      {texts.slice(first, first + bodyRows).map((t, k) => (
        <Text key={first + k} wrap="truncate" inverse={focused && first + k === cursor}>
          {line(t)}
        </Text>
      ))}
    </Box>
  );
}
