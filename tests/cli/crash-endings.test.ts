// `run`, `record` and `replay` explain a triple fault in one line: the faulting instruction's
// CS:EIP with its symbol, and the exception chain that led to the shutdown.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';
import { testGuestPath } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-crash-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a triple fault on the command line', () => {
  it('run prints where and why, and exits 126', () => {
    const r = ringside(['run', testGuestPath('empty-idt')]);
    expect(r.code).toBe(126);
    expect(r.stdout).toBe('empty-idt: lidt with limit 0, then ud2\n');
    expect(r.stderr).toMatch(/^ringside: shutdown at 0008:[0-9a-f]{8} \(faulting_insn\), icount \d+: triple fault: #UD -> #GP\(0x33\) -> #GP\(0x6b\) -> #DF -> #GP\(0x43\) -> shutdown\n$/);
  });

  it('record prints the same line, and replay reproduces it with the end reason and exit code', () => {
    const out = join(tmp, 'tss.sqlite');
    const rec = ringside(['record', testGuestPath('bad-tss-ss0'), '--out', out]);
    expect(rec.code).toBe(126);
    const line = /ringside: shutdown at 001b:[0-9a-f]{8} \(user_fault\), icount \d+: triple fault: #GP\(0\) -> #TS\(1\) -> #DF -> #TS\(1\) -> shutdown\n/;
    expect(rec.stderr).toMatch(line);
    expect(rec.stderr).toMatch(/end shutdown\n$/);
    const rep = ringside(['replay', out, '--verify']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe(rec.stdout);
    expect(rep.stderr).toMatch(line);
    expect(rep.stderr).toMatch(/verified: \d+ events identical, end shutdown \(exit code 126\)\n$/);
  });

  it('a halt for good replays and verifies to its end', () => {
    const out = join(tmp, 'halt.sqlite');
    expect(ringside(['record', testGuestPath('halt-forever'), '--out', out]).code).toBe(0);
    const rep = ringside(['replay', out, '--verify']);
    expect(rep.stderr).toMatch(/verified: \d+ events identical, end halt \(exit code 0\)\n$/);
    expect(rep.code).toBe(0);
  });
});
