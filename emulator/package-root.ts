/**
 * The folder that holds ringside's package.json, found from a module's own folder: the same
 * answer whether the module runs from its TypeScript source or from the bundle in dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
