/**
 * Starts the writer's thread from wherever this code runs: from the TypeScript sources (tsx,
 * vitest) the thread registers tsx and loads writer-worker.ts beside this file; from the CLI's
 * bundle (bin/build.mjs) it loads the bundle's own entry writer-worker.mjs, found in the bundle's
 * folder (this code may sit in a chunk one folder below it). A small CommonJS bootstrap does
 * either, and reports any failure to load through the channel, so that the recording never
 * waits for a thread that died before it could start.
 */
import { Worker } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SIGNAL, STATE, STATE_FAILED, TID, type WriterData } from './channel';

/**
 * The URL of tsx's ESM register module (tsx/esm/api, its `import` condition), found through
 * tsx's package.json: import.meta.resolve is not there under vitest, and require.resolve gives
 * the CommonJS build, whose register() does not work from the bootstrap.
 */
function tsxRegisterModule(from: string): string {
  const pkg = createRequire(fileURLToPath(from)).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(pkg, 'utf8')).exports as Record<string, { import?: { default?: string } }>;
  const api = exports['./esm/api']?.import?.default;
  if (api === undefined) throw new Error(`tsx at ${dirname(pkg)} has no ESM register module (tsx/esm/api)`);
  return pathToFileURL(join(dirname(pkg), api)).href;
}

/** The entry module of the writer's thread, and the tsx register module when it is TypeScript. */
function entry(): { module: string; tsx?: string } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return { module: new URL('./writer-worker.ts', here).href, tsx: tsxRegisterModule(here) };
  }
  let dir = new URL('.', here);
  for (let k = 0; k < 3; k++, dir = new URL('..', dir)) {
    const f = new URL('writer-worker.mjs', dir);
    if (existsSync(fileURLToPath(f))) return { module: f.href };
  }
  throw new Error(`the trace writer's module (writer-worker.mjs) is missing beside ${fileURLToPath(here)}: run npm run build`);
}

/** The bootstrap: CommonJS (eval), so that it can register tsx before importing TypeScript. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
try {
  // Linux: this thread's id, so that the recording can tell when the thread is gone.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid)) Atomics.store(new Int32Array(workerData.data.control), ${TID}, tid);
} catch {
  // not Linux: the recording cannot look (see ThreadWriter.waitFor)
}
(async () => {
  if (workerData.tsx !== undefined) (await import(workerData.tsx)).register();
  const m = await import(workerData.module);
  m.runWriter(workerData.data);
})().catch((err) => {
  try {
    workerData.data.port.postMessage({ name: err && err.name || 'Error', message: String(err && err.message || err) });
  } finally {
    const c = new Int32Array(workerData.data.control);
    Atomics.store(c, ${STATE}, ${STATE_FAILED});
    Atomics.add(c, ${SIGNAL}, 1);
    Atomics.notify(c, ${SIGNAL});
  }
});
`;

/** Starts the thread; it does not keep the process alive (the recording waits for it itself). */
export function startWriterThread(data: WriterData): Worker {
  const e = entry();
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { module: e.module, tsx: e.tsx, data },
    transferList: [data.port],
    stdout: false,
    stderr: false,
  });
  // Every failure comes back through the channel; the event would only repeat it.
  worker.on('error', () => {});
  worker.unref();
  return worker;
}
