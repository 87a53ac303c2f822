// Runs that end in a halt for good or a triple fault replay to their end and verify: the
// replay regenerates their last events (the shutdown with its exception chain, run_end), their
// end reason and their exit code, natively and under the software monitors.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { openTraceReadOnly, closeTrace, readEvents } from '../../recorder/store';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { COLUMNS } from '../../scenarios/scenarios';
import { EventKind } from '../../recorder/events';
import { testGuestImage } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASES = [
  { guest: 'halt-forever', reason: 'halt', exitCode: 0, shutdown: null },
  { guest: 'empty-idt', reason: 'shutdown', exitCode: 126, shutdown: 'triple fault: #UD -> #GP(0x33) -> #GP(0x6b) -> #DF -> #GP(0x43) -> shutdown', at: 'faulting_insn' },
  { guest: 'bad-tss-ss0', reason: 'shutdown', exitCode: 126, shutdown: 'triple fault: #GP(0) -> #TS(1) -> #DF -> #TS(1) -> shutdown', at: 'user_fault' },
] as const;

describe('runs that end in a halt or a triple fault', () => {
  for (const c of CASES) {
    for (const col of COLUMNS) {
      it(`${c.guest} (${col.label}): replay --verify regenerates every event up to the ${c.reason}, and plain replay ends the same way`, () => {
        const out = join(tmp, `${c.guest}-${col.mode}-${col.shadow ?? ''}.sqlite`);
        const options = { mode: col.mode, shadow: col.shadow, cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 100_000 };
        const rec = recordRun({ image: testGuestImage(c.guest), imageName: `${c.guest}.elf`, out, options });
        expect(rec.result.reason).toBe(c.reason);
        expect(rec.result.exitCode).toBe(c.exitCode);
        const db = openTraceReadOnly(out);
        try {
          const last = [...readEvents(db, rec.runId, { fromSeq: rec.events - 2 })];
          expect(last[1]).toMatchObject({ kind: EventKind.run_end, text: c.reason, a: c.exitCode });
          if (c.shutdown !== null) {
            expect(last[0]).toMatchObject({ kind: EventKind.shutdown, text: c.shutdown });
            expect(rec.shutdown).toMatch(new RegExp(`^shutdown at [0-9a-f]{4}:[0-9a-f]{8} \\(${c.at}\\), icount ${rec.result.icount}: `));
          }
          const verified = replayRun(db, { verify: true });
          expect(verified.mismatch).toBeNull();
          expect(verified.events).toBe(rec.events);
          expect(verified.result).toEqual(rec.result);
          const plain = replayRun(db, { verify: false });
          expect(plain.mismatch).toBeNull();
          expect(plain.result).toEqual(rec.result);
          expect(plain.events).toBe(rec.events);
          expect(plain.shutdown).toBe(rec.shutdown);
        } finally {
          closeTrace(db);
        }
      });
    }
  }
});

describe('a run recorded before events were stamped where they happened', () => {
  it('is refused by replay with one line naming its schema version', async () => {
    const { default: Database } = await import('better-sqlite3');
    const out = join(tmp, 'old-run.sqlite');
    const options = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 100_000 };
    recordRun({ image: testGuestImage('halt-forever'), imageName: 'halt-forever.elf', out, options });
    const raw = new Database(out);
    raw.prepare('UPDATE runs SET schema_version = 1').run();
    raw.close();
    const db = openTraceReadOnly(out);
    try {
      expect(() => replayRun(db, { verify: true })).toThrow('run 1 was recorded with trace schema version 1, whose events this build stamps differently: record it again');
    } finally {
      closeTrace(db);
    }
  });
});
