/** The key table: one binding per key, every binding reachable, and the README's table equal to it. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, bindingFor, type KeyPress } from '../../debugger-tui/keys';
import { ROOT } from '../helpers/cli';

const presses: KeyPress[] = [
  ...Array.from({ length: 95 }, (_, k) => ({ input: String.fromCharCode(32 + k) })),
  { input: '', tab: true },
  { input: '', tab: true, shift: true },
  { input: '', return: true },
  { input: '', escape: true },
  { input: '', upArrow: true },
  { input: '', downArrow: true },
  { input: '', pageUp: true },
  { input: '', pageDown: true },
];

describe('the key table', () => {
  it('no key press matches two bindings', () => {
    for (const p of presses) expect(KEYS.filter((b) => b.matches(p)).length, JSON.stringify(p)).toBeLessThanOrEqual(1);
  });

  it('every binding is reached by some key press, and gdb-style pairs go forward in lowercase and backward in uppercase', () => {
    for (const b of KEYS) expect(presses.some((p) => bindingFor(p) === b), b.keys).toBe(true);
    const action = (c: string) => bindingFor({ input: c })?.action;
    expect([action('s'), action('S'), action('n'), action('N'), action('c'), action('C'), action('e'), action('E')]).toEqual(['step', 'stepBack', 'next', 'previous', 'continue', 'reverseContinue', 'nextEvent', 'previousEvent']);
  });

  it("the README's key table lists every binding with its help", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const b of KEYS) expect(readme).toContain(`| \`${b.keys}\` | ${b.help} |`);
  });
});
