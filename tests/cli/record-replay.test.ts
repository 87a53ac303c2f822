import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { ringside, ROOT } from '../helpers/cli';
import { expectedOutput } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-rec-'));

describe('ringside record / replay / at', () => {
  it('records a run, and the trace replays and verifies in another folder without the image', () => {
    const a = join(tmp, 'a'), b = join(tmp, 'b');
    for (const d of [a, b]) rmSync(d, { recursive: true, force: true });
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    copyFileSync(join(ROOT, 'emulator/guests/minikernel.elf'), join(a, 'kernel.elf'));
    const rec = ringside(['record', join(a, 'kernel.elf'), '--out', join(a, 'k.sqlite'), '--jitter', '3']);
    expect(rec.code).toBe(1);
    expect(rec.stdout).toBe(expectedOutput('minikernel'));
    expect(rec.stderr).toMatch(/recorded run 1 into .*k\.sqlite: \d+ instructions, \d+ events/);
    copyFileSync(join(a, 'k.sqlite'), join(b, 'k.sqlite'));
    rmSync(a, { recursive: true });
    const rep = ringside(['replay', join(b, 'k.sqlite'), '--verify']);
    expect(rep.stderr).toMatch(/verified: \d+ events identical/);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe(expectedOutput('minikernel'));
  });

  it('reports the first differing event when the trace does not match the run', () => {
    const unchecked = join(tmp, 'tamper-sha.sqlite');
    ringside(['record', 'emulator/guests/ring-aliasing.elf', '--out', unchecked]);
    const raw = new Database(unchecked);
    raw.prepare("UPDATE runs SET image = CAST(image || x'00' AS BLOB) WHERE id = 1").run();
    raw.close();
    const bad = ringside(['replay', unchecked, '--verify']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/damaged trace: run 1: the image does not match its SHA-256/);
    const f = join(tmp, 'tamper.sqlite');
    ringside(['record', 'emulator/guests/ring-aliasing.elf', '--out', f]);
    // Change one byte of the text the guest prints, inside the trace's copy of the image: the
    // replay then writes another byte to the UART than the recording did.
    const db = new Database(f);
    const image = Buffer.from((db.prepare('SELECT image FROM runs WHERE id = 1').get() as { image: Buffer }).image);
    const at = image.indexOf('push cs');
    image[at] = 'P'.charCodeAt(0);
    // (with its SHA-256, so that the trace is consistent: a changed image alone is a damaged trace)
    db.prepare('UPDATE runs SET image = ?, image_sha256 = ? WHERE id = 1').run(image, createHash('sha256').update(image).digest('hex'));
    db.close();
    const rep = ringside(['replay', f, '--verify']);
    expect(rep.code).toBe(1);
    const m = /diverged at event #(\d+)\n  recorded: #(\d+) .*io is_write=1 port=0x3f8 size=1 value=0x70\n  replayed: #(\d+) .*io is_write=1 port=0x3f8 size=1 value=0x50/.exec(rep.stderr);
    expect(m).not.toBeNull();
    expect(new Set([m![1], m![2], m![3]]).size).toBe(1);
  });

  it('feeds --input bytes to the UART and stores them as inputs', () => {
    const inp = join(tmp, 'in.txt');
    writeFileSync(inp, 'hi');
    const f = join(tmp, 'input.sqlite');
    expect(ringside(['record', 'emulator/guests/ring-aliasing.elf', '--out', f, '--input', inp]).code).toBe(1);
    const q = ringside(['query', f, 'select channel, value from inputs order by seq', '--format', 'csv']);
    expect(q.stdout.trim().split(/\r?\n/)).toEqual(['channel,value', 'uart,104', 'uart,105']);
    expect(ringside(['replay', f, '--verify']).code).toBe(0);
  });

  it('records under a software monitor: monitor events are queryable, the run replays verified, at shows the virtual CPU', () => {
    const f = join(tmp, 'sw.sqlite');
    const rec = ringside(['record', 'emulator/guests/interrupts.elf', '--mode', 'sw-033', '--shadow', 'shared', '--out', f]);
    expect(rec.code).toBe(1);
    const q = ringside(['query', f, "SELECT mode, options FROM runs", '--format', 'json']);
    expect(JSON.parse(q.stdout)[0].mode).toBe('sw-033');
    expect(JSON.parse(q.stdout)[0].options).toMatch(/"shadow":"shared"/);
    const exits = ringside(['query', f, "SELECT reason, count(*) n FROM ev_monitor_exit GROUP BY reason ORDER BY n DESC", '--format', 'csv']);
    expect(exits.stdout).toMatch(/#PF,\d+/);
    expect(exits.stdout).toMatch(/#GP,\d+/);
    expect(ringside(['replay', f, '--verify']).code).toBe(0);
    const at = ringside(['at', f, '--icount', '5000']);
    expect(at.stdout).toMatch(/monitor sw-033: the guest runs at ring 3; its virtual CPU:/);
  });

  it('at shows the registers, the hidden segment caches and the disassembly at an icount', () => {
    const f = join(tmp, 'at.sqlite');
    ringside(['record', 'emulator/guests/hidden-state.elf', '--out', f]);
    const r = ringside(['at', f, '--icount', '3000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/at icount 3000 of \d+/);
    // the cached base B1, not the rewritten one (B1 as the guest's own output reports it)
    const b1 = /loaded with base 0x([0-9a-f]+)/.exec(expectedOutput('hidden-state')!)![1];
    expect(r.stdout).toContain(`fs=0030  base=${b1} limit=0000000f`);
    expect(r.stdout).toMatch(/=> [0-9a-f]{8} \S+/);
    const bad = ringside(['at', f, '--icount', '999999999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/beyond/);
  });

  it('bad traces and bad options give one line and exit 2', () => {
    const junk = join(tmp, 'junk.sqlite');
    writeFileSync(junk, 'this is not a database at all, just some text that is long enough '.repeat(20));
    for (const args of [['replay', junk], ['at', junk, '--icount', '1'], ['replay', join(tmp, 'missing.sqlite')], ['record', 'emulator/guests/tpr.elf', '--mode', 'x'], ['record', 'emulator/guests/tpr.elf', '--jitter', 'abc']]) {
      const r = ringside(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const f = join(tmp, 'at.sqlite');
    const r = ringside(['replay', f, '--run', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run 99/);
    expect(readFileSync(junk, 'utf8')).toMatch(/^this is not a database/);
  });

  it('a recording killed with SIGKILL keeps its committed events, reads as incomplete and verifies exactly its stored events', async () => {
    const f = join(tmp, 'killed.sqlite');
    const child = spawn(process.execPath, [join(ROOT, 'bin/ringside.mjs'), 'record', 'emulator/guests/bench-syscall.elf', '--out', f, '--snapshot-interval', '1000000'], { cwd: ROOT, stdio: 'ignore' });
    // wait until some batches are committed
    const deadline = Date.now() + 30_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      if (existsSync(f)) {
        try {
          const db = new Database(f, { readonly: true });
          const n = (db.prepare('select count(*) n from events').get() as { n: number }).n;
          db.close();
          if (n > 50_000) break;
        } catch {
          // not ready yet
        }
      }
      if (Date.now() > deadline) throw new Error('the recording committed nothing');
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const q = ringside(['query', f, 'select end_reason is null as incomplete from runs', '--format', 'csv']);
    expect(q.stdout.trim().split(/\r?\n/)).toEqual(['incomplete', '1']);
    const stored = ringside(['query', f, 'select count(*) from events', '--format', 'csv']).stdout.trim().split(/\r?\n/)[1];
    const rep = ringside(['replay', f, '--verify']);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toMatch(/incomplete/);
    // what was verified is exactly what the recording holds, no event more
    expect(rep.stderr).toMatch(new RegExp(`verified: ${stored} events identical`));
  });
});
