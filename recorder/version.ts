/** ringside's version, stored in every run it records. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RINGSIDE_VERSION: string = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')).version;
