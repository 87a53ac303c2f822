import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FILE, KEPT, generated, decodeLine } from './vectors/decoder-vectors';

describe('the decoder vector file', () => {
  const [gen, kept] = readFileSync(FILE, 'utf8').split(`${KEPT}\n`);

  it('its generated part is what the opcode table gives today (one line per form, every missing opcode INVALID)', () => {
    expect(gen.trimEnd().split('\n')).toEqual(generated());
  });

  it('every line, generated or kept, decodes to the form and length it states', () => {
    const lines = [...gen.trimEnd().split('\n'), ...(kept ?? '').split('\n')].filter((l) => l !== '' && !l.startsWith('#'));
    const wrong = lines.filter((l) => {
      const [hex, ...rest] = l.split(' ');
      return decodeLine(hex.match(/../g)!.map((b) => parseInt(b, 16))) !== rest.join(' ');
    });
    expect(wrong).toEqual([]);
    expect(lines.some((l) => l.endsWith('INVALID'))).toBe(true);
  });
});
