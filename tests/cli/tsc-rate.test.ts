import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';
import { testGuestPath } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-tsc-'));
const SPIN = testGuestPath('tsc-spin');

describe('--tsc-per-instruction', () => {
  it('sets how many TSC ticks each retired instruction counts (default 1)', () => {
    expect(ringside(['run', SPIN]).stdout).toBe('tsc-spin: 2^20 ticks took 174763 iterations\n');
    const fast = ringside(['run', SPIN, '--tsc-per-instruction', '1000']);
    expect(fast.stdout).toBe('tsc-spin: 2^20 ticks took 175 iterations\n');
    expect(fast.code).toBe(1);
  });

  it('is stored in the trace: replay and seek run at the recorded rate', () => {
    const out = join(tmp, 'spin.sqlite');
    const rec = ringside(['record', SPIN, '--out', out, '--tsc-per-instruction', '1000']);
    expect(rec.stdout).toBe('tsc-spin: 2^20 ticks took 175 iterations\n');
    const q = ringside(['query', out, 'SELECT json_extract(options, \'$.tscPerInstruction\') AS rate FROM runs', '--format', 'csv']);
    expect(q.stdout).toMatch(/^rate\r?\n1000\r?\n$/);
    const rep = ringside(['replay', out, '--verify']);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe('tsc-spin: 2^20 ticks took 175 iterations\n');
    expect(rep.stderr).toMatch(/verified: \d+ events identical/);
  });

  it('refuses a rate that is not an integer from 1 to 2^20 with one line and exit 2', () => {
    for (const bad of ['0', '-1', '1.5', 'fast', '1048577']) {
      const r = ringside(['run', SPIN, '--tsc-per-instruction', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`ringside: --tsc-per-instruction must be an integer from 1 to 1048576, not '${bad}'\n`);
    }
  });
});
