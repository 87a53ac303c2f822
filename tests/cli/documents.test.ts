/** The README and the command line stand on their own: no reference to documents outside the repository. */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ringside, ROOT } from '../helpers/cli';
import { SCENARIOS } from '../../scenarios/scenarios';

const OUTSIDE = /\bSPEC\b|SPEC\.md|STYLE\.md|\/work\/shared/;

describe('documents', () => {
  it('the README and the CLI sources never refer to documents outside the repository', () => {
    const files = ['README.md', 'recorder/README-queries.md', ...readdirSync(join(ROOT, 'cli'), { recursive: true }).map((f) => join('cli', String(f))).filter((f) => f.endsWith('.ts'))];
    for (const f of files) expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(OUTSIDE);
  });

  it('neither does the help of any command', () => {
    for (const cmd of [[], ['run'], ['record'], ['replay'], ['at'], ['query'], ['matrix']]) {
      const r = ringside([...cmd, '--help']);
      expect(r.stdout + r.stderr).not.toMatch(OUTSIDE);
    }
  });

  it('the README states the expected matrix itself, as the scenario table has it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/\| scenario \| the challenge it shows \| sw-013 \| sw-033 split \| sw-033 shared \| vtx \| vtx gen1 \|/);
    for (const s of SCENARIOS) {
      const row = new RegExp(`^\\| \`${s.name}\` \\| ${s.category} \\| ([^|]*) \\| ([^|]*) \\| ([^|]*) \\| ([^|]*) \\| ([^|]*) \\|$`, 'm').exec(readme);
      expect(row, s.name).not.toBeNull();
      [s.sw013, s.sw033split, s.sw033shared, s.vtx, s.vtx1].forEach((e, k) => {
        expect(row![k + 1].startsWith(e.outcome), `${s.name} column ${k}`).toBe(true);
        if (e.atLeast !== undefined) expect(row![k + 1]).toContain(`≥ ${e.atLeast.count.toLocaleString('en-US')}`);
      });
    }
  });
});
