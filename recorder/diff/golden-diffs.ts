/**
 * Golden diff reports: the report of each scenario guest natively against the software mode
 * that shows its challenge, as text under traces/golden/ (`npm run golden` writes them; a test
 * compares them).
 */
import { join } from 'node:path';
import { recordRunInMemory } from './memory-run';
import { buildReport, formatReport } from './report';
import { scenarioImage } from '../../scenarios/scenarios';
import { GOLDEN_DIR } from '../golden';

export const GOLDEN_DIFFS: { guest: string; mode: string; shadow?: string }[] = [
  { guest: 'ring-aliasing', mode: 'sw-013' },
  { guest: 'privileged-state', mode: 'sw-033', shadow: 'split' },
  { guest: 'hidden-state', mode: 'sw-013' },
  { guest: 'ring-compression', mode: 'sw-033', shadow: 'shared' },
];

export function goldenDiffFile(g: (typeof GOLDEN_DIFFS)[number]): string {
  return join(GOLDEN_DIR, `${g.guest}.native-vs-${g.mode}${g.shadow !== undefined ? '-' + g.shadow : ''}.diff.txt`);
}

export function goldenDiffText(g: (typeof GOLDEN_DIFFS)[number]): string {
  const img = scenarioImage(g.guest);
  const left = recordRunInMemory(img, { mode: 'native' }, 'native');
  const right = recordRunInMemory(img, { mode: g.mode, shadow: g.shadow }, `${g.mode}${g.shadow !== undefined ? ' ' + g.shadow : ''}`);
  return formatReport(buildReport(left, right, { maxLater: 16, allEvents: (side) => (side === 'left' ? left : right).allEvents }));
}
