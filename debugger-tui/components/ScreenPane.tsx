/**
 * The guest's VGA text screen: its 80x25 characters in their VGA colours, the cursor as an
 * inverted cell. A pane lower than the screen shows the rows around the cursor (or where j/k
 * scrolled to) and says which; a narrower one cuts the lines on the right.
 */
import { Box, Text } from 'ink';
import type { ScreenView } from '../../recorder/view/screen-view';

/** The 16 colours of the VGA text palette (CGA order). */
const PALETTE = [
  '#000000', '#0000aa', '#00aa00', '#00aaaa', '#aa0000', '#aa00aa', '#aa5500', '#aaaaaa',
  '#555555', '#5555ff', '#55ff55', '#55ffff', '#ff5555', '#ff55ff', '#ffff55', '#ffffff',
];
/** Light grey on black, what a cleared screen holds: drawn in the terminal's own colours. */
const PLAIN = 0x07;

/** The first row shown: `scroll` when given (>= 0), else a window that holds the cursor. */
export function screenWindow(screen: ScreenView, scroll: number, bodyRows: number): number {
  const last = Math.max(0, screen.rows - bodyRows);
  if (scroll >= 0) return Math.min(scroll, last);
  const row = screen.cursor?.row ?? 0;
  return Math.max(0, Math.min(last, row - Math.floor(bodyRows / 2)));
}

interface Run {
  text: string;
  attribute: number;
  cursor: boolean;
}

/** One row as runs of cells of one attribute; the cursor's cell is a run of its own. */
function runs(screen: ScreenView, row: number, width: number): Run[] {
  const chars = [...screen.lines[row]].slice(0, width);
  const attrs = screen.attributes[row];
  const out: Run[] = [];
  chars.forEach((ch, col) => {
    const cursor = screen.cursor !== null && screen.cursor.row === row && screen.cursor.column === col;
    const last = out[out.length - 1];
    if (last !== undefined && !cursor && !last.cursor && last.attribute === attrs[col]) last.text += ch;
    else out.push({ text: ch, attribute: attrs[col], cursor });
  });
  return out;
}

function Cells({ run }: { run: Run }) {
  const a = run.attribute;
  if (run.cursor) return <Text inverse underline>{run.text}</Text>;
  if (a === PLAIN) return <Text>{run.text}</Text>;
  return (
    <Text color={PALETTE[a & 0x0f]} backgroundColor={PALETTE[(a >> 4) & 0x07]}>
      {run.text}
    </Text>
  );
}

export function ScreenPane({ screen, scroll, width, height }: { screen: ScreenView; scroll: number; width: number; height: number }) {
  const bodyRows = Math.max(0, height - 1);
  const first = screenWindow(screen, scroll, bodyRows);
  const shown = Math.min(bodyRows, screen.rows - first);
  const where = screen.cursor === null ? 'cursor hidden' : `cursor row ${screen.cursor.row}, column ${screen.cursor.column}`;
  const rowsText = shown < screen.rows ? `  rows ${first}-${first + shown - 1} of ${screen.rows} (j/k scroll)` : '';
  const cut = width < screen.columns ? `  columns 0-${width - 1}` : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text dimColor wrap="truncate">{`VGA text ${screen.columns}x${screen.rows}  ${where}${rowsText}${cut}`}</Text>
      {Array.from({ length: shown }, (_, k) => (
        <Text key={first + k} wrap="truncate">
          {runs(screen, first + k, width).map((r, n) => (
            <Cells key={n} run={r} />
          ))}
        </Text>
      ))}
    </Box>
  );
}
