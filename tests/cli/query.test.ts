import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { queryCommand } from '../../cli/commands/query';
import { reportError } from '../../cli/errors';
import { siblings, smallTrace, tempDir } from '../recorder/store/helpers';
import { ringside, ROOT } from '../helpers/cli';

const dir = tempDir('query');
const trace = join(dir, 'q.sqlite');
smallTrace(trace);

/** Runs queryCommand in this process as main.ts would: its output, stderr and the exit code. */
function query(file: string, sql: string, format?: string): { code: number; stdout: string; stderr: string; writes: number } {
  const out: string[] = [];
  const err: string[] = [];
  const ewrite = process.stderr.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = queryCommand(file, sql, format === undefined ? {} : { format }, (chunk) => (out.push(chunk), true));
  } catch (e) {
    code = reportError(e);
  } finally {
    process.stderr.write = ewrite;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), writes: out.length };
}

/** queryCommand's output with the given options (errors thrown). */
function queryCommandOutput(file: string, sql: string, opts: { format?: string; blobs?: string }): string {
  const out: string[] = [];
  queryCommand(file, sql, opts, (chunk) => (out.push(chunk), true));
  return out.join('');
}

/** Runs queryCommand in a child process writing to a real stdout pipe. */
function spawnQuery(file: string, sql: string, format: string) {
  const script = join(dir, 'query-child.ts');
  writeFileSync(
    script,
    `import { queryCommand } from ${JSON.stringify(join(ROOT, 'cli/commands/query.ts'))};
import { reportError } from ${JSON.stringify(join(ROOT, 'cli/errors.ts'))};
try { process.exitCode = queryCommand(process.argv[2], process.argv[3], { format: process.argv[4] }); } catch (e) { process.exitCode = reportError(e); }
`,
  );
  return spawn(process.execPath, ['--import', 'tsx', script, file, sql, format], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function expectOneLineError(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^ringside: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

describe('ringside query', () => {
  it('prints an aligned table: header, numbers right-aligned, BLOBs as their size and hash, NULL', () => {
    const r = query(trace, "SELECT id, image_name, end_reason, final_icount, image, start_state, NULL AS missing, -5 AS neg, 'a' || char(10) || 'b' AS two_lines FROM runs");
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        '+----+------------+------------+--------------+-------------------------------+-------------------------------+---------+-----+-----------+',
        '| id | image_name | end_reason | final_icount | image                         | start_state                   | missing | neg | two_lines |',
        '+----+------------+------------+--------------+-------------------------------+-------------------------------+---------+-----+-----------+',
        '|  1 | sample.elf | exit       |          400 | <7 bytes sha256:22b943d127b7> | <3 bytes sha256:06df4f7e1394> | NULL    |  -5 | a\\nb      |',
        '+----+------------+------------+--------------+-------------------------------+-------------------------------+---------+-----+-----------+',
        '',
      ].join('\n'),
    );
  });

  it('uses the table format by default, and prints the header of an empty result', () => {
    const r = query(trace, 'SELECT seq, op FROM ev_fast_syscall WHERE run = 99');
    expect(r.stdout).toBe('+-----+----+\n| seq | op |\n+-----+----+\n+-----+----+\n');
  });

  it('prints JSON: an array of objects, BLOBs as size and hash (hex with --blobs hex), repeated names numbered', () => {
    const r = query(trace, 'SELECT seq, vector, source, x\'00ff\' AS raw, 1 AS n, 2 AS n FROM ev_interrupt', 'json');
    expect(r.code).toBe(0);
    const sha = '06eb7d6a69ee19e5fbdf749018d3d2abfa04bcbd1365db312eb86dc7169389b8';
    expect(JSON.parse(r.stdout)).toEqual([{ seq: 2, vector: 32, source: 'apic', raw: `<2 bytes sha256:${sha}>`, n: 1, n_2: 2 }]);
    const hex = queryCommandOutput(trace, "SELECT x'00ff' AS raw", { format: 'json', blobs: 'hex' });
    expect(JSON.parse(hex)).toEqual([{ raw: '00ff' }]);
    expect(queryCommandOutput(trace, "SELECT x'00ff' AS raw", { format: 'csv' })).toBe(`raw\r\n<2 bytes sha256:${sha}>\r\n`);
    expect(queryCommandOutput(trace, "SELECT x'00ff' AS raw", { format: 'csv', blobs: 'hex' })).toBe('raw\r\n00ff\r\n');
    expect(() => queryCommandOutput(trace, 'SELECT 1', { blobs: 'base64' })).toThrow(/unknown --blobs 'base64' \(use summary, hex\)/);
    expect(JSON.parse(query(trace, 'SELECT * FROM ev_halt WHERE run = 99', 'json').stdout)).toEqual([]);
    const all = JSON.parse(query(trace, 'SELECT * FROM ev_all ORDER BY seq', 'json').stdout);
    expect(all).toHaveLength(21);
    expect(all[3]).toMatchObject({ kind: 'iflag', eip: 0xc0100003, b: -1, text: 'cli' });
  });

  it('prints CSV as RFC 4180 says', () => {
    const r = query(trace, `SELECT 'plain' AS a, 'with,comma' AS b, 'say "hi"' AS c, 'two' || char(13, 10) || 'lines' AS d, NULL AS e, 42 AS f`, 'csv');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a,b,c,d,e,f\r\nplain,"with,comma","say ""hi""","two\r\nlines",,42\r\n');
  });

  it('streams big results in chunks instead of one string', () => {
    const sql = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 200000) SELECT x, x * 3 AS y FROM c';
    for (const format of ['table', 'json', 'csv']) {
      const r = query(trace, sql, format);
      expect(r.code).toBe(0);
      expect(r.writes).toBeGreaterThan(10);
      expect(r.stdout.length).toBeGreaterThan(200000 * 8);
    }
    const csv = query(trace, sql, 'csv').stdout.split('\r\n');
    expect(csv[200000]).toBe('200000,600000');
  });

  it('writes to stdout, and stops at once when the reader goes away (| head)', async () => {
    const child = spawnQuery(trace, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000000) SELECT x FROM c', 'csv');
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    child.stdout.destroy(); // like head after its lines
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(first.startsWith('x\r\n1\r\n2\r\n')).toBe(true);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000); // 50 million rows would take a minute
  });

  it('refuses an unknown format with one line', () => {
    expectOneLineError(query(trace, 'SELECT 1', 'xml'), /unknown --format 'xml' \(use table, json, csv\)/);
  });

  it('refuses any statement that would change the trace, which stays byte-identical', () => {
    const before = readFileSync(trace);
    const files = siblings(trace);
    for (const sql of [
      'DELETE FROM events',
      'UPDATE runs SET end_reason = NULL',
      'DROP TABLE events',
      "INSERT INTO strings (text) VALUES ('x')",
      'CREATE TABLE t (x)',
      'DELETE FROM runs RETURNING id',
      'PRAGMA user_version = 7',
      'PRAGMA query_only = 0',
      "ATTACH 'other.sqlite' AS o",
      'VACUUM',
      'BEGIN',
    ]) {
      const r = query(trace, sql);
      expectOneLineError(r, /SQL: /);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(trace).equals(before)).toBe(true);
    expect(siblings(trace)).toEqual(files);
  });

  it('allows PRAGMA journal_mode as a read, and refuses it as a write', () => {
    const r = query(trace, 'PRAGMA journal_mode', 'csv');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('journal_mode\r\ndelete\r\n');
    expect(query(trace, 'pragma main.journal_mode;', 'csv').stdout).toBe('journal_mode\r\ndelete\r\n');
    expectOneLineError(query(trace, 'PRAGMA journal_mode = WAL'), /would change it/);
    expectOneLineError(query(trace, 'PRAGMA journal_mode(wal)'), /would change it/);
  });

  it('prints the runs of a recording in JSON without the image bytes', () => {
    const r = ringside(['query', trace, 'SELECT * FROM runs', '--format', 'json']);
    expect(r.code).toBe(0);
    const [run] = JSON.parse(r.stdout);
    expect(run.image).toMatch(/^<7 bytes sha256:[0-9a-f]{64}>$/);
    expect(run.image.slice(-65, -1)).toBe(run.image_sha256);
  });

  it('reports bad SQL, several statements and bad traces in one line', () => {
    expectOneLineError(query(trace, 'SELEC 1'), /SQL error: near "SELEC": syntax error/);
    expectOneLineError(query(trace, 'SELECT * FROM nowhere'), /SQL error: no such table: nowhere/);
    expectOneLineError(query(trace, 'SELECT 1; DELETE FROM events'), /one statement at a time/);
    expectOneLineError(query(trace, '  '), /no statement given/);
    expectOneLineError(query(join(dir, 'missing.sqlite'), 'SELECT 1'), /missing\.sqlite: no such trace file/);
    const text = join(dir, 'text.sqlite');
    writeFileSync(text, 'hello\n');
    expectOneLineError(query(text, 'SELECT 1'), /not a ringside trace \(not a SQLite database\)/);
    expect(readFileSync(text, 'utf8')).toBe('hello\n');
  });

  const wired = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8').includes('queryCommand');
  it.skipIf(!wired)('works through the ringside binary', () => {
    const r = ringside(['query', trace, 'SELECT count(*) AS n FROM ev_all', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 21 }]);
    const bad = ringside(['query', trace, 'DELETE FROM events']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
