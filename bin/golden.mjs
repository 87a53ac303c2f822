#!/usr/bin/env node
// `npm run golden`: regenerates traces/golden/<guest>.events.txt from the guests.
import { register } from 'tsx/esm/api';

register();
const { writeFileSync, mkdirSync } = await import('node:fs');
const { join } = await import('node:path');
const { goldenText, GOLDEN_DIR, GOLDEN_GUESTS } = await import('../recorder/golden.ts');
mkdirSync(GOLDEN_DIR, { recursive: true });
for (const name of GOLDEN_GUESTS) {
  const text = goldenText(join(import.meta.dirname, '../emulator/guests', `${name}.elf`));
  writeFileSync(join(GOLDEN_DIR, `${name}.events.txt`), text);
  process.stdout.write(`${name}: ${text.split('\n', 1)[0].slice(2)}\n`);
}
