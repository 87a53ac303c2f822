import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { GOLDEN_DIFFS, goldenDiffFile, goldenDiffText } from '../../../recorder/diff/golden-diffs';

describe('golden diff reports', () => {
  for (const g of GOLDEN_DIFFS) {
    it(`reports ${g.guest} natively against ${g.mode}${g.shadow ? ' ' + g.shadow : ''} as stored (npm run golden regenerates)`, () => {
      expect(goldenDiffText(g)).toBe(readFileSync(goldenDiffFile(g), 'utf8'));
    });
  }
});
