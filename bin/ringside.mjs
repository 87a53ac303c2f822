#!/usr/bin/env node
// The ringside command: runs the compiled CLI (dist/ringside.mjs, built by `npm run build`),
// or the TypeScript sources through tsx when there is no build or a source is newer than it
// (a checkout being edited never runs stale code).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// React's production build for the debugger (its development build draws several times slower).
process.env.NODE_ENV ??= 'production';

const root = join(import.meta.dirname, '..');
const built = join(root, 'dist/ringside.mjs');

/** The newest modification time of the TypeScript sources the CLI is built from. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.tsx')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const fresh = existsSync(built) && ['cli', 'emulator', 'recorder', 'scenarios', 'debugger', 'debugger-tui'].every((d) => newestSource(join(root, d)) <= statSync(built).mtimeMs);
if (fresh) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
