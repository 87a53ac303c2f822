import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';
import { expectedOutput } from '../helpers/guests';
import { makeGuestDisks } from '../helpers/guest-disks';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-disk-'));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const GUEST = 'emulator/guests/ata.elf';

function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('--disk', () => {
  it('run: the first --disk is the primary master, the second the slave; the guest prints what QEMU printed and the files are unchanged', () => {
    const [d0, d1] = makeGuestDisks('ata', tmp);
    const before = [sha(d0), sha(d1)];
    const r = ringside(['run', GUEST, '--disk', d0, '--disk', d1]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(expectedOutput('ata'));
    expect([sha(d0), sha(d1)]).toEqual(before);
  });

  it('the order of --disk picks master and slave (as -drive index=0 and 1)', () => {
    const [d0, d1] = makeGuestDisks('ata', tmp);
    const r = ringside(['run', GUEST, '--disk', d1, '--disk', d0]);
    expect(r.stdout).toMatch(/-- master\n[^]*?read sectors 0-1\n {2}block: status 0x58\n {2}"disk1 sec 000000"/);
  });

  it('--disk-write-back writes the guest\'s sectors into the files at the end of the run, and nothing else changes', () => {
    const dir = join(tmp, 'back');
    mkdirSync(dir);
    const [d0, d1] = makeGuestDisks('ata', dir);
    const old = readFileSync(d0);
    const r = ringside(['run', GUEST, '--disk', d0, '--disk', d1, '--disk-write-back']);
    expect(r.code).toBe(1);
    const now = readFileSync(d0);
    expect(now.length).toBe(old.length);
    expect(now.subarray(5 * 512, 5 * 512 + 16).toString('latin1')).toBe('written bb 0    ');
    expect(now.subarray(20 * 512, 20 * 512 + 16).toString('latin1')).toBe('written cc 0    ');
    expect(now.subarray(0, 5 * 512).equals(old.subarray(0, 5 * 512))).toBe(true);
    expect(now.subarray(42 * 512).equals(old.subarray(42 * 512))).toBe(true);
    expect(readFileSync(d1).subarray(512, 512 + 16).toString('latin1')).toBe('written ee 0    ');
  });

  it('record stores the disks in the trace: replay --verify regenerates the run with the files gone', () => {
    const dir = join(tmp, 'rec');
    mkdirSync(dir);
    const [d0, d1] = makeGuestDisks('ata', dir);
    const out = join(dir, 'ata.sqlite');
    const rec = ringside(['record', GUEST, '--disk', d0, '--disk', d1, '--out', out]);
    expect(rec.code).toBe(1);
    expect(rec.stdout).toBe(expectedOutput('ata'));
    writeFileSync(d0, 'gone');
    writeFileSync(d1, 'gone');
    const rep = ringside(['replay', out, '--verify']);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toMatch(/verified: \d+ events identical, end exit \(exit code 1\)/);
    const q = ringside(['query', out, 'SELECT slot, lba FROM disk_writes WHERE run = 1 ORDER BY seq LIMIT 2', '--format', 'csv']);
    expect(q.stdout).toBe('slot,lba\r\n0,5\r\n0,6\r\n'); // CSV lines end in CRLF
  });

  it('refuses a missing file, a directory, an empty file, a third disk and --disk-write-back alone with one line (exit 2)', () => {
    const empty = join(tmp, 'empty.img');
    writeFileSync(empty, '');
    const [d0] = makeGuestDisks('ata', tmp);
    expectOneLineError(ringside(['run', GUEST, '--disk', join(tmp, 'nope.img')]), /^ringside: disk '.*nope\.img' does not exist$/m);
    expectOneLineError(ringside(['run', GUEST, '--disk', tmp]), /disk '.*' is not a file/);
    expectOneLineError(ringside(['run', GUEST, '--disk', empty]), /disk '.*empty\.img' is empty/);
    expectOneLineError(ringside(['run', GUEST, '--disk', d0, '--disk', d0, '--disk', d0]), /at most two --disk \(the primary master and slave\), not 3/);
    expectOneLineError(ringside(['run', GUEST, '--disk-write-back']), /--disk-write-back needs a --disk/);
    const out = join(tmp, 'refused.sqlite');
    expectOneLineError(ringside(['record', GUEST, '--disk', join(tmp, 'nope.img'), '--out', out]), /does not exist/);
    expect(existsSync(out)).toBe(false);
  });
});
