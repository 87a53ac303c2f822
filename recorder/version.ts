/** ringside's version, stored in every run it records. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../emulator/package-root';

export const RINGSIDE_VERSION: string = JSON.parse(readFileSync(join(packageRoot(import.meta.dirname), 'package.json'), 'utf8')).version;
