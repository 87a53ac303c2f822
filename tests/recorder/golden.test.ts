import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenText, goldenFile, GOLDEN_DIR, GOLDEN_GUESTS, GOLDEN_MONITORED } from '../../recorder/golden';
import { GUEST_DIR } from '../helpers/guests';

/** The event streams of the scenario guests are pinned (regenerate with `npm run golden`). */
describe('golden event streams', () => {
  for (const name of GOLDEN_GUESTS) {
    it(`${name} emits exactly its golden events`, () => {
      const want = readFileSync(join(GOLDEN_DIR, `${name}.events.txt`), 'utf8');
      expect(goldenText(join(GUEST_DIR, `${name}.elf`))).toBe(want);
    });
  }
  for (const { guest, mode } of GOLDEN_MONITORED) {
    it(`${guest} under ${mode} emits exactly its golden events`, () => {
      expect(goldenText(join(GUEST_DIR, `${guest}.elf`), mode)).toBe(readFileSync(goldenFile(guest, mode), 'utf8'));
    });
  }

  it('the hidden-state guest shows a stale descriptor cache before FS is reloaded', () => {
    const text = readFileSync(join(GOLDEN_DIR, 'hidden-state.events.txt'), 'utf8');
    const stale = text.indexOf('stale_descriptor reg=4 selector=0x30');
    // B2, the base the guest wrote into the descriptor, as its own output reports it
    const b2 = /rewritten to base 0x([0-9a-f]+)/.exec(readFileSync(join(GUEST_DIR, 'expected/hidden-state.txt'), 'utf8'))![1];
    const reload = text.indexOf(`segment_load reg=4 selector=0x30 base=0x${parseInt(b2, 16).toString(16)}`);
    expect(stale).toBeGreaterThan(0);
    expect(reload).toBeGreaterThan(stale);
  });
});
