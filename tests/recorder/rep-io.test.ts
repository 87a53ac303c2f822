// A REP string instruction over a port records one io_string event per execution (elements,
// digest, last value): a trace grows with the retired instructions, and it replays exactly.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace, readEvents } from '../../recorder/store';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { EventKind } from '../../recorder/events';
import { BUS_ELEMENT, REP_CHUNK } from '../../emulator/cpu/ops/string';
import { testGuestImage } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-rep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('REP OUTS in a trace', () => {
  for (const mode of ['native', 'sw-013'] as const) {
    it(`${mode}: --max-instructions 5000 over a 2^31-byte REP OUTSB gives a small trace that verifies`, () => {
      const out = join(tmp, `rep-outs-${mode}.sqlite`);
      const options = { mode, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 1000, maxInstructions: 5000 };
      const rec = recordRun({ image: testGuestImage('rep-outs'), imageName: 'rep-outs.elf', out, options });
      expect(rec.result.reason).toBe('limit');
      // Proportional to the instructions (6.4 M events for 100 instructions before): natively one
      // io_string per execution; under the monitor each execution also traps and returns (about 11).
      expect(rec.events / 5000).toBeLessThan(mode === 'native' ? 1.5 : 15);
      expect(statSync(out).size).toBeLessThan(8 << 20);
      const db = openTraceReadOnly(out);
      try {
        const strings = [...readEvents(db, rec.runId, { kinds: [EventKind.io_string] })];
        expect(strings.length).toBeGreaterThan(1000);
        for (const e of strings) expect([e.text, e.a, e.b, e.d]).toEqual(['outsb', 0x80, REP_CHUNK / BUS_ELEMENT, 0xff]);
        const rep = replayRun(db, { verify: true });
        expect(rep.mismatch).toBeNull();
        expect(rep.events).toBe(rec.events);
      } finally {
        closeTrace(db);
      }
    });
  }
});
