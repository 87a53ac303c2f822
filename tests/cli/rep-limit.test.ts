// `--max-instructions` bounds a run that spends its time in one REP string instruction over an
// unclaimed port: the recording stops at the limit, quickly, with a trace proportional to it.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';
import { testGuestPath } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-rep-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('record rep-outs --max-instructions 100', () => {
  it('stops at 100 instructions with a small trace that verifies', () => {
    const out = join(tmp, 'rep.sqlite');
    const rec = ringside(['record', testGuestPath('rep-outs'), '--out', out, '--max-instructions', '100']);
    expect(rec.code).toBe(124);
    const m = /: 100 instructions, (\d+) events, \d+ snapshots, end limit\n$/.exec(rec.stderr);
    expect(m, rec.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(200); // 6.4 million before
    expect(statSync(out).size).toBeLessThan(1 << 20); // 197 MB before
    const rep = ringside(['replay', out, '--verify']);
    expect(rep.stderr).toMatch(/verified: \d+ events identical, end limit \(exit code 124\)\n$/);
  });
});
