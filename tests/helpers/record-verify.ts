/** Records a guest into a trace file and replays it with verification. */
import { expect } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import type { RunOptions } from '../../recorder/session';
import { guestImage } from './guests';

/** Where a trace whose verification failed is kept (test folders are removed afterwards). */
export const KEPT_TRACES = join(tmpdir(), 'ringside-kept-traces');

/**
 * Keeps the trace `file` outside the test's folder and returns the line that says how to
 * reproduce the failure from it.
 */
export function keepTrace(file: string): string {
  mkdirSync(KEPT_TRACES, { recursive: true });
  const kept = join(KEPT_TRACES, basename(file));
  copyFileSync(file, kept);
  return `trace kept: reproduce with  node bin/ringside.mjs replay ${kept} --verify`;
}

/** Records `name` with `options` into `dir`, replays it with --verify and expects every event identical. */
export function expectReplaysIdentically(dir: string, name: string, options: RunOptions): void {
  const out = join(dir, `${name}-${options.mode}-${options.shadow ?? ''}.sqlite`);
  const rec = recordRun({ image: guestImage(name), imageName: `${name}.elf`, out, options });
  expect(rec.result.reason).toBe('exit');
  const db = openTraceReadOnly(out);
  let rep;
  try {
    rep = replayRun(db, { verify: true });
  } finally {
    closeTrace(db);
  }
  const same = rep.mismatch === null && rep.events === rec.events && rep.result.icount === rec.result.icount;
  const how = same ? '' : keepTrace(out);
  expect(rep.mismatch, how).toBeNull();
  expect(rep.events, how).toBe(rec.events);
  expect(rep.result.icount, how).toBe(rec.result.icount);
}
