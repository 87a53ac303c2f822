/** `record --module`: the modules are stored in the trace like the image, and replay loads them again. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { ringside, ROOT } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-module-'));

describe('ringside record --module', () => {
  it('records the modules into the trace; the run replays and verifies in another folder without them', () => {
    const a = join(tmp, 'a'), b = join(tmp, 'b');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    copyFileSync(join(ROOT, 'emulator/guests/boot-state.elf'), join(a, 'kernel.elf'));
    const first = Buffer.from('first module\n');
    const second = Buffer.alloc(5000, 0xa5);
    writeFileSync(join(a, 'one.bin'), first);
    writeFileSync(join(a, 'two.bin'), second);
    const mods = ['--module', join(a, 'one.bin'), '--module', join(a, 'two.bin')];
    const run = ringside(['run', join(a, 'kernel.elf'), ...mods]);
    expect(run.stdout).toContain('mods_count=2');
    const rec = ringside(['record', join(a, 'kernel.elf'), ...mods, '--out', join(a, 'k.sqlite')]);
    expect(rec.stderr).toMatch(/recorded run 1 into/);
    expect(rec.stdout).toBe(run.stdout); // the guest saw the same modules

    const db = new Database(join(a, 'k.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT position, name, data, sha256 FROM modules WHERE run = 1 ORDER BY position').all() as { position: number; name: string; data: Buffer; sha256: string }[];
    expect(rows.map((r) => [r.position, r.name, r.data.equals(r.position === 0 ? first : second)])).toEqual([[0, 'one.bin', true], [1, 'two.bin', true]]);
    expect(rows[1].sha256).toBe(createHash('sha256').update(second).digest('hex'));
    expect(JSON.parse((db.prepare('SELECT options FROM runs WHERE id = 1').pluck().get() as string))).not.toHaveProperty('modules');
    db.close();

    copyFileSync(join(a, 'k.sqlite'), join(b, 'k.sqlite'));
    rmSync(a, { recursive: true });
    const rep = ringside(['replay', join(b, 'k.sqlite'), '--verify']);
    expect(rep.stderr).toMatch(/verified: \d+ events identical/);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe(run.stdout);
  });

  it('a module whose stored bytes were changed is a damaged trace (one line, exit 2)', () => {
    const f = join(tmp, 'tampered.sqlite');
    writeFileSync(join(tmp, 'm.bin'), 'abc');
    ringside(['record', 'emulator/guests/boot-state.elf', '--module', join(tmp, 'm.bin'), '--out', f]);
    const db = new Database(f);
    db.prepare("UPDATE modules SET data = x'00' WHERE run = 1").run();
    db.close();
    const rep = ringside(['replay', f]);
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/^ringside: .*damaged trace: run 1: module 0 \(m\.bin\): its data does not match its SHA-256\n$/);
  });

  it('a missing module file is refused in one line before anything is recorded', () => {
    const out = join(tmp, 'none.sqlite');
    const r = ringside(['record', 'emulator/guests/boot-state.elf', '--module', join(tmp, 'absent.bin'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/absent\.bin/);
  });
});
