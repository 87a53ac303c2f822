#!/usr/bin/env node
// `npm run build` (also run by `npm ci` and `npm install` through `prepare`): compiles the CLI
// and everything it imports into dist/ringside.mjs (the debugger in a chunk beside it), so that the
// ringside command starts without transpiling TypeScript; the trace writer's thread has an entry of
// its own beside it (writer-worker.mjs, which recorder/writer/start-worker.ts looks for). Packages stay imports. An argument
// names another output file (it must lie inside the checkout, which the bundle finds upwards).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = process.argv[2] ?? join(root, 'dist/ringside.mjs');
rmSync(join(dirname(out), 'chunks'), { recursive: true, force: true }); // chunks of an earlier build
await build({
  entryPoints: { [basename(out, '.mjs')]: join(root, 'cli/main.ts'), 'writer-worker': join(root, 'recorder/writer/writer-worker.ts') },
  outdir: dirname(out),
  outExtension: { '.js': '.mjs' },
  // The debugger (Ink, React) goes into a chunk of its own, loaded only by `tui` and `demo`:
  // the other commands start without it.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
