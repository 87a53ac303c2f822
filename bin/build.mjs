#!/usr/bin/env node
// `npm run build` (also run by `npm ci` and `npm install` through `prepare`): compiles the CLI
// and everything it imports into one JavaScript module, dist/ringside.mjs, so that the
// ringside command starts without transpiling TypeScript. Packages stay imports. An argument
// names another output file (it must lie inside the checkout, which the bundle finds upwards).
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
await build({
  entryPoints: [join(root, 'cli/main.ts')],
  outfile: process.argv[2] ?? join(root, 'dist/ringside.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
