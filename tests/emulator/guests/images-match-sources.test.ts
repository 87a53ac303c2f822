// The committed guest images (emulator/guests/*.elf) must be exactly what
// bin/build-guests.mjs builds from the NASM sources. Needs nasm and GNU ld:
// without them the test is skipped with a warning, except in CI
// (CI=true), where the missing tools are a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const guestDir = join(root, 'emulator/guests');

function hasTool(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

const haveTools = hasTool('nasm', ['-v']) && hasTool('ld', ['-V']);
const inCI = process.env.CI === 'true';
if (!haveTools && !inCI) {
  console.warn('images-match-sources: nasm or ld not found, skipping the guest image check');
}

describe('guest images', () => {
  it('every guest source has an image and an expected QEMU output', () => {
    const sources = readdirSync(guestDir).filter((f) => f.endsWith('.asm'));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      const name = src.slice(0, -4);
      expect(existsSync(join(guestDir, `${name}.elf`)), `${name}.elf`).toBe(true);
      expect(existsSync(join(guestDir, 'expected', `${name}.txt`)), `expected/${name}.txt`).toBe(true);
    }
  });

  it.skipIf(!haveTools && !inCI)('match their NASM sources byte for byte', () => {
    if (!haveTools) throw new Error('nasm and ld are required when CI=true');
    const r = spawnSync(process.execPath, [join(root, 'bin/build-guests.mjs'), '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
