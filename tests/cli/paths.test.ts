/**
 * Trace paths are checked before anything runs: an output that is not a regular file is refused
 * with one line and nothing created; trace inputs that are FIFOs or devices are refused at once;
 * a trace refused for its version is left byte for byte; reading leaves no file beside a trace.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ringside } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-paths-'));
const IMAGE = 'emulator/guests/ring-aliasing.elf';

function expectOneLine(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.stderr).not.toMatch(/internal error|\bat .*\.ts:\d+/);
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).toBe(''); // the guest never ran
}

function fifo(name: string): string {
  const p = join(tmp, name);
  execFileSync('mkfifo', [p]);
  return p;
}

describe('record --out', () => {
  it("refuses '', a directory, a FIFO and devices before running, creating nothing", () => {
    const dir = join(tmp, 'out-dir');
    mkdirSync(dir);
    const cases: [string, RegExp][] = [
      ['', /--out must name a trace file, not an empty string/],
      [dir, /is a directory, not a trace file/],
      [fifo('out.fifo'), /is not a regular file \(a FIFO, a device or a socket\)/],
      ['/dev/null', /is not a regular file/],
      ['/dev/full', /is not a regular file/],
      ['/dev/stdout', /is not a regular file/],
      [join(tmp, 'a-file', 'inside.sqlite'), /a part of its folder is a file|is not a folder/],
    ];
    writeFileSync(join(tmp, 'a-file'), 'x');
    const before = readdirSync(tmp).sort();
    const devBefore = readdirSync('/dev').filter((f) => f.endsWith('-journal') || f.endsWith('-wal'));
    for (const [out, pattern] of cases) expectOneLine(ringside(['record', IMAGE, '--out', out]), pattern);
    expect(readdirSync(tmp).sort()).toEqual(before);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync('/dev').filter((f) => f.endsWith('-journal') || f.endsWith('-wal'))).toEqual(devBefore);
  });
});

describe('record of an image the machine refuses', () => {
  it('leaves no trace file and no empty run behind', () => {
    const junk = join(tmp, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(64, 0x90));
    const out = join(tmp, 'junk.sqlite');
    expectOneLine(ringside(['record', junk, '--out', out]), /not a Multiboot kernel/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('trace paths of replay, at and query', () => {
  it('refuses a FIFO or a device at once instead of blocking', () => {
    const f = fifo('trace.fifo');
    for (const path of [f, '/dev/null']) {
      for (const args of [['replay', path], ['replay', path, '--verify'], ['at', path, '--icount', '1'], ['query', path, 'SELECT 1']]) {
        const started = Date.now();
        expectOneLine(ringside(args), /not a regular file \(a FIFO, a device or a socket\), not a trace/);
        expect(Date.now() - started).toBeLessThan(20_000);
      }
    }
  });
});

describe('a trace refused for its version', () => {
  it('is not modified at all, by reading or by recording into it', () => {
    const good = join(tmp, 'good.sqlite');
    expect(ringside(['record', IMAGE, '--out', good]).code).toBe(1);
    for (const version of [0, 99]) {
      const f = join(tmp, `v${version}.sqlite`);
      copyFileSync(good, f);
      const db = new Database(f);
      db.pragma(`user_version = ${version}`);
      db.close();
      const bytes = readFileSync(f);
      for (const args of [['record', IMAGE, '--out', f], ['replay', f], ['query', f, 'SELECT 1'], ['at', f, '--icount', '5']]) {
        const r = ringside(args);
        expect(r.code).toBe(2);
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(version === 0 ? /damaged trace \(schema version 0, which no ringside writes\)/ : /written by a newer ringside/);
        expect(readFileSync(f).equals(bytes)).toBe(true); // still in rollback-journal mode, same bytes
        expect(readdirSync(tmp).filter((x) => x.startsWith(`v${version}.sqlite`))).toEqual([`v${version}.sqlite`]);
      }
    }
  });
});

describe('read-only commands', () => {
  it('never create a file beside a trace, even one left in WAL mode without its -wal', () => {
    const f = join(tmp, 'wal.sqlite');
    expect(ringside(['record', IMAGE, '--out', f]).code).toBe(1);
    const db = new Database(f);
    db.pragma('journal_mode = WAL'); // closing the last connection removes -wal and -shm, the header keeps WAL
    db.close();
    expect(existsSync(`${f}-wal`)).toBe(false);
    for (const args of [['replay', f, '--verify'], ['at', f, '--icount', '100'], ['query', f, 'SELECT count(*) FROM events'], ['query', f, 'PRAGMA journal_mode']]) {
      const r = ringside(args);
      expect(r.code).toBe(0);
      expect(readdirSync(tmp).filter((x) => x.startsWith('wal.sqlite'))).toEqual(['wal.sqlite']);
    }
  });
});
