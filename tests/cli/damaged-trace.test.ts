/**
 * Damaged and crafted traces, made by the test from a real recording: verification names a
 * damaged event stream ("the trace is damaged", exit 1) before any divergence, and every stored
 * value replay and `at` read is checked (one line, exit 2, never an internal error).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ringside } from '../helpers/cli';
import { reportError } from '../../cli/errors';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { replayRun } from '../../recorder/replay';
import { pickRun, openTimeline } from '../../recorder/load-run';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-damaged-'));
const base = join(tmp, 'base.sqlite');
let n = 0;

/** A copy of the base recording, changed by `sql` (statements run in order). */
function crafted(...sql: string[]): string {
  const f = join(tmp, `c${n++}.sqlite`);
  copyFileSync(base, f);
  const db = new Database(f);
  for (const s of sql) db.exec(s);
  db.close();
  return f;
}

/** Runs `what` on a trace in this process as the CLI would: the exit code and stderr (reportError's line). */
function attempt(file: string, what: 'replay' | 'verify' | 'at'): { code: number; stderr: string; damage: string | null } {
  const err: string[] = [];
  const ewrite = process.stderr.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  let code = 0;
  let damage: string | null = null;
  try {
    const db = openTraceReadOnly(file);
    try {
      if (what === 'at') {
        const tl = openTimeline(db, pickRun(db));
        tl.seek(150_000);
      } else {
        const r = replayRun(db, { verify: what === 'verify' });
        damage = r.damage;
        code = r.damage !== null || r.mismatch !== null ? 1 : 0;
      }
    } finally {
      closeTrace(db);
    }
  } catch (e) {
    code = reportError(e);
  } finally {
    process.stderr.write = ewrite;
  }
  return { code, stderr: err.join(''), damage };
}

function expectRefused(file: string, what: 'replay' | 'verify' | 'at', pattern: RegExp): void {
  const r = attempt(file, what);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/damaged trace: /);
  expect(r.stderr).toMatch(pattern);
}

beforeAll(() => {
  // minikernel with jitter: events in many blocks, UART and irq inputs, several snapshots.
  const r = ringside(['record', 'emulator/guests/minikernel.elf', '--out', base, '--jitter', '7', '--snapshot-interval', '200000']);
  expect(r.code).toBe(1);
}, 60_000);

describe('replay --verify on a damaged event stream', () => {
  it('reports an edited, deleted, added or emptied events table as damage, not as identical (exit 1, one line)', () => {
    const cases: [string[], RegExp][] = [
      [['UPDATE events SET a = a + 1 WHERE seq = 300'], /events #256\.\.#511 differ from their block's digest/],
      [['DELETE FROM events WHERE seq = 50'], /event #50 is missing from the events table/],
      [['DELETE FROM events'], /the events table holds none of run 1's \d+ events/],
      [['INSERT INTO events SELECT run, seq + 100000, icount, kind, cpl, cs, eip, a, b, c, d, text_id FROM events WHERE seq = (SELECT max(seq) FROM events)'], /event #\d+ is missing|lies beyond the last event block/],
      [['DELETE FROM events WHERE seq > 1000'], /events #1001\.\.#\d+ are missing/],
      [['DELETE FROM event_blocks WHERE first_seq = 256'], /event block #1 \(events #512\.\.#\d+\) does not follow the previous block/],
      [['UPDATE event_blocks SET events = 3 WHERE first_seq = 0'], /event block #0 \(events #0\.\.#255\) counts 3 events/],
      [['UPDATE runs SET event_count = event_count + 1'], /run 1 recorded \d+ events, its blocks hold \d+/],
      [["UPDATE events SET text_id = 'x' WHERE seq = 7"], /event #7: a value that is not an integer/],
      [['UPDATE events SET kind = 29 WHERE seq = 9'], /event #9: kind 29 is not an event kind/],
      [['UPDATE events SET cpl = 7 WHERE seq = 9'], /event #9: CPL 7/],
      [['UPDATE events SET text_id = 999 WHERE seq = 9'], /event #9: text 999 is not in the strings table/],
    ];
    for (const [sql, pattern] of cases) {
      const r = attempt(crafted(...sql), 'verify');
      expect(r.code, sql.join('; ')).toBe(1);
      expect(r.damage, sql.join('; ')).toMatch(pattern);
    }
  });

  it('prints "the trace is damaged" from the command line, before any divergence, with exit 1', () => {
    // An input moves too, so that the replay would diverge: the damage is still what is reported.
    const f = crafted('UPDATE events SET b = b + 1 WHERE seq = 20', 'UPDATE inputs SET icount = icount + 1 WHERE seq = (SELECT max(seq) FROM inputs)');
    expect(attempt(crafted('UPDATE inputs SET icount = icount + 1 WHERE seq = (SELECT max(seq) FROM inputs)'), 'verify').code).toBe(1); // it would
    const r = ringside(['replay', f, '--verify']);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^ringside: the trace is damaged: events #0\.\.#255 differ from their block's digest \(an event was changed\)$/)]);
    expect(r.stdout).toBe(''); // nothing was replayed
  });

  it('still verifies the untouched recording', () => {
    const r = attempt(base, 'verify');
    expect(r.code).toBe(0);
  });
});

describe('stored values of a crafted trace', () => {
  const run = (set: string) => `UPDATE runs SET ${set} WHERE id = 1`;
  const opts = (path: string, value: string) => run(`options = json_set(options, '$.${path}', json('${value}'))`);

  it('refuses bad options, image, mode, versions and end of a run with one line (exit 2) in replay, verify and at', () => {
    const cases: [string, RegExp][] = [
      [run("options = 'not json'"), /options are not a JSON object/],
      [run("options = '[1, 2]'"), /options are not a JSON object/],
      [opts('ramSize', '12345'), /options\.ramSize 12345 must be a multiple of 4 KiB/],
      [opts('ramSize', '"128M"'), /options\.ramSize "128M"/],
      [opts('mode', '"bogus"'), /unknown mode 'bogus'/],
      [opts('shadow', '"split"'), /--shadow applies to mode sw-033 only/],
      [opts('cmdline', '7'), /options\.cmdline is not a string/],
      [opts('jitterSeed', '-1'), /options\.jitterSeed -1 is not a 32-bit seed/],
      [opts('jitterSeed', '1099511627776'), /options\.jitterSeed 1099511627776 is not a 32-bit seed/],
      [opts('snapshotInterval', '"often"'), /options\.snapshotInterval "often" is not a count/],
      [opts('maxInstructions', '-5'), /options\.maxInstructions -5 is not a count/],
      [opts('flatAddress', '4294967296'), /options\.flatAddress 4294967296 is not an address/],
      [run("image = X''"), /the image is not a non-empty BLOB/],
      [run("image = 'text'"), /the image is not a non-empty BLOB/],
      [run('image = substr(image, 1, 100)'), /the image does not match its SHA-256/],
      [run("mode = 'sw-013'"), /mode 'sw-013' differs from options\.mode 'native'/],
      [run("image_name = x'00'"), /image_name is not text/],
      [run('snapshot_interval = 5'), /snapshot_interval 5 differs from options\.snapshotInterval 200000/],
      [run('schema_version = 99'), /schema_version 99 is not one this build reads/],
      [run('schema_version = 0'), /schema_version 0 is not one this build reads/],
      [run("ringside_version = 'five'"), /ringside_version "five" is not a version/],
      [run("end_reason = 'exploded'"), /end_reason "exploded" is not an end reason/],
      [run('final_icount = -1'), /final_icount -1 is not a count/],
      [run("final_icount = 'late'"), /final_icount late is not a count/],
      [run('event_count = 1.5'), /event_count 1\.5 is not a count/],
      [run('exit_code = 1e12'), /exit_code 1000000000000 is not an exit code/],
      [run('final_icount = 10'), /an event at icount \d+, after the run's end at 10/],
      [run('end_reason = NULL'), /an incomplete run \(end_reason NULL\) with an exit code/],
    ];
    for (const [sql, pattern] of cases) {
      const f = crafted(sql);
      for (const what of ['replay', 'verify', 'at'] as const) expectRefused(f, what, pattern);
    }
  });

  it('refuses bad inputs with one line (exit 2)', () => {
    const first = '(SELECT min(seq) FROM inputs WHERE run = 1)';
    const cases: [string, RegExp][] = [
      [`UPDATE inputs SET channel = 'mouse' WHERE seq = ${first}`, /input #0: channel "mouse" is none of uart, irq, keyboard/],
      [`UPDATE inputs SET value = 300 WHERE seq = ${first}`, /input #0: value 300 is not a byte/],
      [`UPDATE inputs SET value = 'a' WHERE seq = ${first}`, /input #0: value a is not a byte/],
      [`UPDATE inputs SET icount = -3 WHERE seq = ${first}`, /input #0: icount -3 is not a count/],
      [`UPDATE inputs SET seq = seq + 1000 WHERE seq = ${first}`, /input #0: seq 1 where 0 was expected/],
      ["UPDATE inputs SET icount = 0 WHERE seq = 1 AND run = 1", /input #1: icount 0 goes back/],
      ["UPDATE inputs SET channel = 'irq', value = 3 WHERE seq = 0", /input #0: irq vector 3 is below 16/],
    ];
    for (const [sql, pattern] of cases) {
      const f = crafted(sql);
      for (const what of ['replay', 'verify', 'at'] as const) expectRefused(f, what, pattern);
    }
  });

  it('refuses a run id above 2^53 - 1 with one line, from the file and from --run', () => {
    const f = crafted(
      'UPDATE events SET run = 1152921504606846976', 'UPDATE event_blocks SET run = 1152921504606846976', 'UPDATE inputs SET run = 1152921504606846976',
      'UPDATE snapshots SET run = 1152921504606846976', 'UPDATE runs SET id = 1152921504606846976',
    );
    expectRefused(f, 'replay', /run id 1152921504606846976 is above 9007199254740991/);
    const r = ringside(['replay', base, '--run', '1152921504606846976']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ringside: --run 1152921504606846976: run ids above 9007199254740991 (2^53 - 1) are not supported\n');
  });

  it('at refuses a snapshot whose state or pages are truncated or malformed, instead of showing (not readable)', () => {
    const second = '(SELECT id FROM snapshots WHERE run = 1 ORDER BY icount LIMIT 1 OFFSET 1)';
    const cases: [string, RegExp][] = [
      ['UPDATE snapshots SET cpu = substr(cpu, 1, 40) WHERE icount = 0', /snapshot at icount 0: CPU state: length mismatch/],
      [`UPDATE snapshots SET devices = X'00112233' WHERE id = ${second}`, /snapshot at icount 200000: device state: truncated/],
      ["UPDATE snapshots SET cpu = 'text' WHERE icount = 0", /its cpu or devices state is not a BLOB/],
      ['UPDATE snapshot_pages SET pages = substr(pages, 1, 5000) WHERE chunk = 0 AND snapshot = (SELECT id FROM snapshots WHERE icount = 0)', /snapshot at icount 0: a chunk of pages of 5000 bytes, not a multiple of 4100/],
      ["UPDATE snapshot_pages SET pages = unhex('ffffff7f' || substr(hex(pages), 9, 8192)) WHERE chunk = 0 AND snapshot = (SELECT id FROM snapshots WHERE icount = 0)", /page 2147483647 is outside RAM/],
      ['UPDATE snapshot_pages SET chunk = 5 WHERE chunk = 0 AND snapshot = (SELECT id FROM snapshots WHERE icount = 0)', /page chunk 5 where 0 was expected/],
      ['DELETE FROM snapshot_pages WHERE snapshot = (SELECT id FROM snapshots WHERE icount = 0)', /the first snapshot holds no pages/],
      ['UPDATE snapshots SET icount = 5 WHERE icount = 0', /a run needs a snapshot at icount 0/],
      [`UPDATE snapshots SET icount = 'soon' WHERE id = ${second}`, /icount soon is not a count/],
    ];
    for (const [sql, pattern] of cases) expectRefused(crafted(sql), 'at', pattern);
    const r = ringside(['at', crafted(cases[0][0]), '--icount', '1000']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
