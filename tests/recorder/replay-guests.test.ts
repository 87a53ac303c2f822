import { describe, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { GOLDEN_GUESTS } from '../../recorder/golden';
import { expectReplaysIdentically } from '../helpers/record-verify';

/** Every scenario guest, recorded (with jitter interrupts), replays with every event identical. */
describe('replay verification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-replay-'));
  for (const name of GOLDEN_GUESTS) {
    it(`${name} replays identically`, () => {
      expectReplaysIdentically(dir, name, { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 500_000, jitterSeed: name.length });
    });
  }
});
