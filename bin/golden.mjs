#!/usr/bin/env node
// `npm run golden`: regenerates traces/golden/<guest>[.<mode>].events.txt from the guests, and the
// files made from the event declaration (the typed emitters, the READMEs' tables of kinds).
import { register } from 'tsx/esm/api';

register();
const { writeFileSync, readFileSync, mkdirSync } = await import('node:fs');
const { join } = await import('node:path');
const { goldenText, goldenFile, GOLDEN_DIR, GOLDEN_GUESTS, GOLDEN_MONITORED, EVENT_DERIVED_FILES } = await import('../recorder/golden.ts');
for (const { path, update } of EVENT_DERIVED_FILES) {
  const file = join(import.meta.dirname, '..', path);
  writeFileSync(file, update(readFileSync(file, 'utf8')));
  process.stdout.write(`${path}: made from the event declaration\n`);
}
mkdirSync(GOLDEN_DIR, { recursive: true });
const runs = [...GOLDEN_GUESTS.map((guest) => ({ guest, mode: 'native' })), ...GOLDEN_MONITORED];
for (const { guest, mode } of runs) {
  const text = goldenText(join(import.meta.dirname, '../emulator/guests', `${guest}.elf`), mode);
  writeFileSync(goldenFile(guest, mode), text);
  process.stdout.write(`${guest} ${mode}: ${text.split('\n', 1)[0].slice(2)}\n`);
}
const { GOLDEN_DIFFS, goldenDiffFile, goldenDiffText } = await import('../recorder/diff/golden-diffs.ts');
for (const g of GOLDEN_DIFFS) {
  writeFileSync(goldenDiffFile(g), goldenDiffText(g));
  process.stdout.write(`diff ${g.guest} native vs ${g.mode}${g.shadow ? ' ' + g.shadow : ''}\n`);
}
