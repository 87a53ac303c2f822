/**
 * The VGA text screen of QEMU's standard VGA in mode 3 (80x25 colour text), as a kernel that
 * writes to the screen sees it:
 *
 *   0xB8000-0xB8F9F  the text buffer: 80x25 cells of (character, attribute); ringside keeps it
 *                    in ordinary RAM (the address space has no VGA window), so reads and writes
 *                    behave as on QEMU for text output
 *   0x3D4 / 0x3D5    CRTC index and data: the 25 CRTC registers (0x00-0x18) are stored and
 *                    read back, starting with the values the VGA BIOS leaves for mode 3 (cursor
 *                    start 0x0D... as read from QEMU, cursor at row 2, column 0); 0x0A/0x0B
 *                    cursor start/end (bit 5 of 0x0A hides the cursor), 0x0C/0x0D start address,
 *                    0x0E/0x0F cursor location are what `screenText` uses. Indexes above 0x18
 *                    read 0 and ignore writes.
 *   0x3DA            input status 1: bits 0 (display disabled) and 3 (vertical retrace) toggle
 *                    on every read, so "wait for retrace" loops end at once and the same way
 *                    every time (QEMU derives them from the host clock)
 *
 * `screenText` renders the screen as 25 lines of 80 characters (code page 437 mapped to
 * Unicode; NUL as a space), the function `run --screen`, `at --screen` and a TUI pane use.
 * Not emulated: graphics modes, fonts, palettes, the attribute, sequencer and graphics
 * controller registers (0x3C0-0x3CF read all ones), the monochrome ports 0x3B4/0x3B5.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const VGA_TEXT_BUFFER = 0xb8000;
export const VGA_COLUMNS = 80;
export const VGA_ROWS = 25;
export const CRTC_INDEX = 0x3d4;
export const CRTC_DATA = 0x3d5;
export const INPUT_STATUS_1 = 0x3da;
const CRTC_REGISTERS = 0x19;

/** CRTC registers 0x00-0x18 after the VGA BIOS set mode 3 and the firmware printed two lines. */
const CRTC_MODE3 = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0xa0,
  0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];

export interface VgaScreen {
  /** 25 lines of 80 characters each. */
  lines: string[];
  /** The attribute byte of each cell, row by row (80x25; colours: background << 4 | foreground). */
  attributes: Uint8Array;
  /** Cursor position, or null when hidden or off screen. */
  cursor: { row: number; column: number } | null;
}

export class VgaText implements PortDevice {
  private index = 0;
  private readonly crtc = new Uint8Array(CRTC_MODE3);
  private status = 0;

  portIn(port: number, size: AccessSize): number {
    let v = 0xff;
    if (port === CRTC_INDEX) v = this.index;
    else if (port === CRTC_DATA) v = this.index < CRTC_REGISTERS ? this.crtc[this.index] : 0;
    else if (port === INPUT_STATUS_1) {
      this.status ^= 0x09;
      v = this.status;
    }
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  portOut(port: number, value: number, size: AccessSize): void {
    if (port === CRTC_INDEX) {
      this.index = value & 0xff;
      if (size >= 2) this.writeData((value >>> 8) & 0xff); // OUT DX, AX writes index and data
    } else if (port === CRTC_DATA) this.writeData(value & 0xff);
  }

  private writeData(v: number): void {
    if (this.index < CRTC_REGISTERS) this.crtc[this.index] = v;
  }

  /** CRTC register `i` (tests, the debugger). */
  register(i: number): number {
    return this.crtc[i];
  }

  /** The text screen held in `ram` with this CRTC's start address and cursor. */
  screen(ram: Uint8Array): VgaScreen {
    const start = ((this.crtc[0x0c] << 8) | this.crtc[0x0d]) * 2;
    return screenText(ram, start, (this.crtc[0x0e] << 8) | this.crtc[0x0f], (this.crtc[0x0a] & 0x20) !== 0);
  }

  saveState(): Uint8Array {
    return sealState('VGAT', 1, (w) => {
      w.u8(this.index);
      w.bytes(this.crtc);
      w.u8(this.status);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('VGAT', 1, bytes, 'VGA text state');
    const index = r.u8(), crtc = r.bytes(), status = r.u8();
    r.end();
    if (crtc.length !== CRTC_REGISTERS) r.fail(`${crtc.length} CRTC registers, expected ${CRTC_REGISTERS}`);
    this.index = index;
    this.crtc.set(crtc);
    this.status = status;
  }
}

/** Code page 437, 0x80-0xFF, as Unicode. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ';
/** Code page 437, 0x01-0x1F, as Unicode (0x00 shows as a space). */
const CP437_LOW = ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼';

/**
 * The 80x25 text screen in `ram` starting at byte offset `start` of the text buffer, with the
 * cursor at character offset `cursor` (relative to the buffer, as the CRTC counts it).
 */
export function screenText(ram: Uint8Array, start = 0, cursor = -1, cursorHidden = false): VgaScreen {
  const lines: string[] = [];
  const attributes = new Uint8Array(VGA_ROWS * VGA_COLUMNS);
  for (let row = 0; row < VGA_ROWS; row++) {
    let line = '';
    for (let col = 0; col < VGA_COLUMNS; col++) {
      const at = VGA_TEXT_BUFFER + ((start + 2 * (row * VGA_COLUMNS + col)) & 0x7fff);
      const c = at < ram.length ? ram[at] : 0;
      attributes[row * VGA_COLUMNS + col] = at + 1 < ram.length ? ram[at + 1] : 0;
      line += c < 0x20 ? CP437_LOW[c] : c < 0x7f ? String.fromCharCode(c) : c === 0x7f ? '⌂' : CP437_HIGH[c - 0x80];
    }
    lines.push(line);
  }
  const rel = cursor - start / 2;
  const visible = !cursorHidden && rel >= 0 && rel < VGA_ROWS * VGA_COLUMNS;
  return { lines, attributes, cursor: visible ? { row: Math.floor(rel / VGA_COLUMNS), column: rel % VGA_COLUMNS } : null };
}

/** The screen framed for a terminal: a border, the 25 lines, and the cursor position. */
export function formatScreen(s: VgaScreen): string {
  const bar = '+' + '-'.repeat(VGA_COLUMNS) + '+';
  const where = s.cursor === null ? 'cursor hidden' : `cursor at row ${s.cursor.row}, column ${s.cursor.column}`;
  return [bar, ...s.lines.map((l) => `|${l}|`), bar, where].join('\n') + '\n';
}
