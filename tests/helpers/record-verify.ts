/** Records a guest into a trace file and replays it with verification. */
import { expect } from 'vitest';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import type { RunOptions } from '../../recorder/session';
import { guestImage } from './guests';

/** Records `name` with `options` into `dir`, replays it with --verify and expects every event identical. */
export function expectReplaysIdentically(dir: string, name: string, options: RunOptions): void {
  const out = join(dir, `${name}-${options.mode}-${options.shadow ?? ''}.sqlite`);
  const rec = recordRun({ image: guestImage(name), imageName: `${name}.elf`, out, options });
  expect(rec.result.reason).toBe('exit');
  const db = openTraceReadOnly(out);
  try {
    const rep = replayRun(db, { verify: true });
    expect(rep.mismatch).toBeNull();
    expect(rep.events).toBe(rec.events);
    expect(rep.result.icount).toBe(rec.result.icount);
  } finally {
    closeTrace(db);
  }
}
