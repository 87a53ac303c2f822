/**
 * The guest's VGA text screen as plain data for the debugger: 25 lines of 80 characters (code
 * page 437 as Unicode), each cell's attribute byte, and the cursor, as the machine's VGA text
 * device shows them at the current point (emulator/devices/vga-text.ts reads the buffer at
 * 0xB8000 with the CRTC's start address and cursor location).
 */
import type { Machine } from '../../emulator/machine';

export interface ScreenView {
  columns: number; // 80
  rows: number; // 25
  lines: string[]; // `rows` strings of `columns` characters
  attributes: number[][]; // per row, per column: background << 4 | foreground (bit 7: blink or bright background)
  cursor: { row: number; column: number } | null; // null: hidden (CRTC 0x0A bit 5) or off the screen
}

export function screenView(m: Machine): ScreenView {
  const s = m.screen();
  const rows = s.lines.length;
  const columns = rows > 0 ? s.lines[0].length : 0;
  const attributes: number[][] = [];
  for (let r = 0; r < rows; r++) attributes.push(Array.from(s.attributes.subarray(r * columns, (r + 1) * columns)));
  return { columns, rows, lines: s.lines, attributes, cursor: s.cursor };
}
