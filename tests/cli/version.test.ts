import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';

const ROOT = join(import.meta.dirname, '../..');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

describe('ringside --version and the compiled CLI', () => {
  it('--version prints the package version and exits 0', () => {
    const r = ringside(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('the build compiles the CLI into one JavaScript module that runs without tsx', () => {
    const dir = mkdtempSync(join(ROOT, '.build-test-'));
    try {
      const out = join(dir, 'ringside.mjs');
      const b = spawnSync(process.execPath, [join(ROOT, 'bin/build.mjs'), out], { encoding: 'utf8', timeout: 120_000 });
      expect(b.status, b.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).not.toMatch(/from ["']tsx/);
      const v = spawnSync(process.execPath, [out, '--version'], { encoding: 'utf8', timeout: 60_000 });
      expect(v.stdout.trim()).toBe(VERSION);
      const run = spawnSync(process.execPath, [out, 'run', join(ROOT, 'emulator/guests/minikernel.elf')], { encoding: 'utf8', timeout: 120_000 });
      expect(run.stdout).toContain('minikernel: both processes exited');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
