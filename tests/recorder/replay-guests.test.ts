import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { GOLDEN_GUESTS } from '../../recorder/golden';
import { guestImage } from '../helpers/guests';

/** Every scenario guest, recorded (with jitter interrupts), replays with every event identical. */
describe('replay verification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-replay-'));
  for (const name of GOLDEN_GUESTS) {
    it(`${name} replays identically`, () => {
      const out = join(dir, `${name}.sqlite`);
      const rec = recordRun({
        image: guestImage(name),
        imageName: `${name}.elf`,
        out,
        options: { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 500_000, jitterSeed: name.length },
      });
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
    });
  }
});
