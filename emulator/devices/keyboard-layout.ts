/**
 * Text typed on a US keyboard, as PC scancode set 1 (what the 8042 gives a kernel with
 * translation on): each character is the make code of its key and then the break code
 * (make | 0x80), wrapped in Left Shift make (0x2A) and break (0xAA) when the character needs
 * Shift. "\n" is Enter, "\t" Tab, "\b" Backspace, "\x1b" Escape. Other characters cannot be
 * typed: `textToScancodes` names the first one.
 */
const ROWS: readonly [string, string, number][] = [
  // [unshifted keys, shifted keys, make code of the first key]
  ['1234567890-=', '!@#$%^&*()_+', 0x02],
  ['qwertyuiop[]', 'QWERTYUIOP{}', 0x10],
  ["asdfghjkl;'`", 'ASDFGHJKL:"~', 0x1e],
  ['\\zxcvbnm,./', '|ZXCVBNM<>?', 0x2b],
];
const SPECIAL: Record<string, number> = { ' ': 0x39, '\n': 0x1c, '\t': 0x0f, '\b': 0x0e, '\x1b': 0x01 };
const LEFT_SHIFT = 0x2a;

const KEYS = new Map<string, { code: number; shift: boolean }>();
for (const [plain, shifted, first] of ROWS) {
  for (let i = 0; i < plain.length; i++) {
    KEYS.set(plain[i], { code: first + i, shift: false });
    KEYS.set(shifted[i], { code: first + i, shift: true });
  }
}
for (const [c, code] of Object.entries(SPECIAL)) KEYS.set(c, { code, shift: false });

/** Scancode set 1 bytes that type `text`; throws a one-line Error for a character no key gives. */
export function textToScancodes(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text.replace(/\r\n/g, '\n')) {
    const k = KEYS.get(ch);
    if (k === undefined) throw new Error(`cannot type ${JSON.stringify(ch)} on the US keyboard (letters, digits, punctuation, space, Enter, Tab, Backspace, Escape)`);
    if (k.shift) out.push(LEFT_SHIFT);
    out.push(k.code, k.code | 0x80);
    if (k.shift) out.push(LEFT_SHIFT | 0x80);
  }
  return Uint8Array.from(out);
}
