import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { createRun } from '../../../recorder/store/create-run';
import { EventWriter } from '../../../recorder/store/append-events';
import { listRuns } from '../../../recorder/store/list-runs';
import { TraceError } from '../../../recorder/store/errors';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../../recorder/store/schema';
import { readSnapshots } from '../../../recorder/store/read-snapshots';
import { readRun } from '../../../recorder/store/read-run';
import { reportError } from '../../../cli/errors';
import { SAMPLE_RUN, downgradeToVersion3, siblings, smallTrace, syntheticEvents, tempDir } from './helpers';

const dir = tempDir('open');

/** Both ways of opening refuse `path` with one TraceError line matching `pattern`, and leave it as it was. */
function expectRefused(path: string, pattern: RegExp, opts: { create?: boolean } = {}): void {
  const before = readFileSync(path);
  const files = siblings(path);
  const attempts = [() => openTraceReadOnly(path), () => openTrace(path, { create: opts.create ?? true }), () => openTrace(path, { create: false })];
  for (const open of attempts) {
    let err: unknown;
    try {
      open().close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraceError);
    const e = err as TraceError;
    expect(e.name).toBe('TraceError');
    expect(e.message).toMatch(pattern);
    expect(e.message).not.toContain('\n');
  }
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(siblings(path)).toEqual(files); // no -wal, -shm or -journal left beside it
}

/** A trace with enough events to span many pages. */
function biggerTrace(path: string): void {
  const db = openTrace(path, { create: true });
  const w = new EventWriter(db, createRun(db, SAMPLE_RUN));
  for (const e of syntheticEvents(20_000)) w.add(e);
  w.close();
  closeTrace(db);
}

describe('opening traces', () => {
  it('refuses a missing file, a directory and an empty file', () => {
    const missing = join(dir, 'missing.sqlite');
    expect(() => openTraceReadOnly(missing)).toThrow(/missing\.sqlite: no such trace file/);
    expect(() => openTrace(missing, { create: false })).toThrow(/no such trace file/);
    expect(siblings(missing)).toEqual([]);
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    expect(() => openTraceReadOnly(sub)).toThrow(/is a directory/);
    expect(() => openTrace(sub, { create: true })).toThrow(/is a directory/);
    const empty = join(dir, 'empty.sqlite');
    writeFileSync(empty, '');
    expect(() => openTraceReadOnly(empty)).toThrow(/not a ringside trace \(empty file\)/);
    expect(() => openTrace(empty, { create: false })).toThrow(/empty file/);
  });

  it('creates a trace in a missing or empty file when asked to', () => {
    const empty = join(dir, 'empty2.sqlite');
    writeFileSync(empty, '');
    closeTrace(openTrace(empty, { create: true }));
    const fresh = join(dir, 'fresh.sqlite');
    closeTrace(openTrace(fresh, { create: true }));
    const blankDb = join(dir, 'blank.sqlite'); // a SQLite file with nothing in it
    const raw = new Database(blankDb);
    raw.pragma('user_version = 0');
    raw.exec('VACUUM');
    raw.close();
    closeTrace(openTrace(blankDb, { create: true }));
    for (const p of [empty, fresh, blankDb]) {
      const db = openTraceReadOnly(p);
      expect(listRuns(db)).toEqual([]);
      closeTrace(db);
      expect(siblings(p)).toHaveLength(1);
    }
  });

  it('refuses a file that is not SQLite, and leaves it untouched', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are not the bytes you are looking for\n'.repeat(200));
    expectRefused(text, /notes\.txt: not a ringside trace \(not a SQLite database\)/);
    const tiny = join(dir, 'tiny.sqlite');
    writeFileSync(tiny, 'SQLite format 3\0abc');
    expectRefused(tiny, /truncated or corrupt/);
  });

  it('refuses a foreign SQLite database, and leaves it byte-identical with nothing beside it', () => {
    const foreign = join(dir, 'foreign.sqlite');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES (\'ada\', \'1815\')');
    raw.close();
    expectRefused(foreign, /foreign\.sqlite: a SQLite database, but not a ringside trace \(no application id\)/);

    const walForeign = join(dir, 'foreign-wal.sqlite');
    const w = new Database(walForeign);
    w.pragma('journal_mode = WAL');
    w.pragma('application_id = 1234');
    w.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    w.close();
    expect(siblings(walForeign)).toEqual(['foreign-wal.sqlite']);
    expectRefused(walForeign, /not a ringside trace \(application id 0x000004d2\)/);
  });

  it('refuses a file with the ringside id but without the tables', () => {
    const fake = join(dir, 'fake.sqlite');
    const raw = new Database(fake);
    raw.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY)');
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma(`user_version = ${SCHEMA_VERSION}`);
    raw.close();
    expectRefused(fake, /fake\.sqlite: not a ringside trace \(no events table\)/);
  });

  it('refuses a truncated trace', () => {
    const whole = join(dir, 'whole.sqlite');
    biggerTrace(whole);
    const half = join(dir, 'half.sqlite');
    copyFileSync(whole, half);
    truncateSync(half, Math.floor(statSync(whole).size / 2));
    expectRefused(half, /half\.sqlite: truncated or corrupt trace/);
    const odd = join(dir, 'odd.sqlite');
    copyFileSync(whole, odd);
    truncateSync(odd, statSync(whole).size - 1000);
    expectRefused(odd, /truncated or corrupt trace/);
  });

  it('refuses a trace whose schema is damaged', () => {
    const path = join(dir, 'damaged.sqlite');
    smallTrace(path);
    const bytes = readFileSync(path);
    bytes.fill(0x5a, 120, 4096); // page 1 holds sqlite_schema
    writeFileSync(path, bytes);
    expectRefused(path, /damaged\.sqlite: corrupt trace/);
  });

  it('refuses a trace written by a newer ringside', () => {
    const path = join(dir, 'newer.sqlite');
    smallTrace(path);
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expectRefused(path, new RegExp(`newer\\.sqlite: trace written by a newer ringside \\(schema version ${SCHEMA_VERSION + 1}; this build reads up to ${SCHEMA_VERSION}\\)`));
  });

  it('turns each refusal into one line and exit code 2 through reportError', () => {
    const writes: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (writes.push(String(s)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = (() => {
        try {
          openTraceReadOnly(join(dir, 'nope.sqlite'));
          return 0;
        } catch (err) {
          return reportError(err);
        }
      })();
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(2);
    expect(writes.join('')).toMatch(/^ringside: .*nope\.sqlite: no such trace file\n$/);
  });

  it('upgrades a schema version 1 trace when opened for recording: its snapshot pages move to snapshot_pages', () => {
    const path = join(dir, 'v1.sqlite');
    const raw = new Database(path);
    raw.transaction(() => {
      for (const sql of MIGRATIONS[0].statements()) raw.exec(sql);
      raw.pragma(`application_id = ${APPLICATION_ID}`);
      raw.pragma('user_version = 1');
    })();
    raw.prepare("INSERT INTO runs (image, image_sha256, image_name, mode, options, ringside_version, schema_version, snapshot_interval, created_at) VALUES (x'00', '', 'old.elf', 'native', '{}', '0.1.0', 1, 1000, '')").run();
    const pages = Buffer.alloc(2 * 4100, 5);
    raw.prepare("INSERT INTO snapshots (run, icount, kind, event_seq, input_seq, cpu, devices, pages) VALUES (1, 0, 'full', 0, 0, x'01', x'02', ?)").run(pages);
    raw.close();
    expect(() => openTraceReadOnly(path)).toThrow(/schema version 1 is older than this build's/);
    closeTrace(openTrace(path, { create: false }));
    const db = openTraceReadOnly(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const [snap] = readSnapshots(db, 1);
    expect(snap.pages.map((c) => Buffer.from(c).equals(pages))).toEqual([true]);
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('snapshots') WHERE name = 'pages'").pluck().get()).toBe(0);
    closeTrace(db);
  });

  it('reads a schema version 3 trace (no modules table) read-only as runs without modules, and adds the table when recording opens it', () => {
    const path = join(dir, 'v3.sqlite');
    const db = openTrace(path, { create: true });
    createRun(db, { ...SAMPLE_RUN, modules: [{ name: 'm.bin', data: new Uint8Array([1, 2, 3]) }] });
    closeTrace(db);
    const raw = new Database(path);
    downgradeToVersion3(raw);
    raw.close();
    const ro = openTraceReadOnly(path);
    expect(readRun(ro, 1).modules).toEqual([]);
    closeTrace(ro);
    closeTrace(openTrace(path, { create: false }));
    const up = openTraceReadOnly(path);
    expect(up.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const w = new Database(path);
    createRun(w, { ...SAMPLE_RUN, modules: [{ name: 'n.bin', data: new Uint8Array([9]) }] });
    w.close();
    expect(readRun(up, 2).modules.map((m) => [m.name, [...m.data]])).toEqual([['n.bin', [9]]]);
    closeTrace(up);
  });
});
