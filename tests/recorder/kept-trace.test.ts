import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepTrace, KEPT_TRACES } from '../helpers/record-verify';

describe('a replay verification that fails in a test', () => {
  it('keeps the trace outside the test folder and names the command that reproduces the failure', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringside-kept-'));
    const file = join(dir, `diverged-${process.pid}.sqlite`);
    writeFileSync(file, 'trace bytes');
    const line = keepTrace(file);
    rmSync(dir, { recursive: true });
    const kept = join(KEPT_TRACES, `diverged-${process.pid}.sqlite`);
    expect(line).toBe(`trace kept: reproduce with  node bin/ringside.mjs replay ${kept} --verify`);
    expect(existsSync(kept) && readFileSync(kept, 'utf8')).toBe('trace bytes');
    rmSync(kept);
  });
});
