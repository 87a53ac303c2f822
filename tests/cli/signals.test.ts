/**
 * The command line when its output goes away (EPIPE) and when it is interrupted (Ctrl-C):
 * real processes, real pipes and signals, each bounded by a timeout.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside, ROOT } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-signals-'));
const BIN = join(ROOT, 'bin/ringside.mjs');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `ringside args`; `closeStdoutAfter` bytes of stdout are read and then the pipe is closed
 * (like `| head -c N`); `interruptWhen` sends SIGINT once stderr or stdout matches it. Killed after `timeout`.
 */
function start(args: string[], opts: { closeStdoutAfter?: number; interruptWhen?: RegExp; timeout?: number } = {}): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const interrupt = () => {
      if (!sent) {
        sent = true;
        child.kill('SIGINT');
        child.kill('SIGINT'); // an impatient double press: the run still ends cleanly
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ringside ${args.join(' ')} did not end in time; stderr: ${stderr}`));
    }, opts.timeout ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('latin1');
      if (opts.closeStdoutAfter !== undefined && stdout.length >= opts.closeStdoutAfter) child.stdout.destroy();
      if (opts.interruptWhen?.test(stdout)) interrupt();
    });
    if (opts.closeStdoutAfter === 0) child.stdout.destroy();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.interruptWhen?.test(stderr)) interrupt();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A flat guest that prints 'x' for ever (a loop around an OUT to COM1). */
function chattyGuest(): string {
  const f = join(tmp, 'chatty.bin');
  // mov dx, 0x3f8 / l: mov al, 'x' / out dx, al / jmp l
  writeFileSync(f, Buffer.from([0x66, 0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xeb, 0xfb]));
  return f;
}

describe('output that goes away', () => {
  it('record | head -c 100: the recording goes on to the end of the run, says so in one line, and the trace is complete', async () => {
    const out = join(tmp, 'epipe.sqlite');
    const r = await start(['record', chattyGuest(), '--flat', '0x100000', '--max-instructions', '3000000', '--out', out], { closeStdoutAfter: 100 });
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toMatch(/internal error|EPIPE|\bat .*\.ts:\d+/);
    expect(r.code).toBe(124); // the run's own end: --max-instructions
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      "ringside: stdout was closed: the guest's output is dropped from here on; the recording goes on to the end of the run",
      expect.stringMatching(/^ringside: recorded run 1 into .*epipe\.sqlite: 3000000 instructions, \d+ events, 2 snapshots, end limit$/),
    ]);
    const v = ringside(['replay', out, '--verify']);
    expect(v.stderr).toMatch(/replayed run 1 to icount 3000000, verified: \d+ events identical, end limit \(exit code 124\)\n$/);
    expect(v.code).toBe(0);
  });

  it('at ... | head -1, replay | head and run | head end cleanly, without a stack trace', async () => {
    const trace = join(tmp, 'at.sqlite');
    expect(ringside(['record', 'emulator/guests/minikernel.elf', '--out', trace]).code).toBe(1);
    const at = await start(['at', trace, '--icount', '100000'], { closeStdoutAfter: 0 });
    expect(at.stderr).toBe('');
    expect(at.code).toBe(0);
    const replay = await start(['replay', trace], { closeStdoutAfter: 0 });
    expect(replay.stderr).not.toMatch(/internal error|\bat .*\.ts:\d+/);
    expect(replay.code).toBe(0);
    const run = await start(['run', chattyGuest(), '--flat', '0x100000', '--max-instructions', '2000000'], { closeStdoutAfter: 10 });
    expect(run.stderr).not.toMatch(/internal error|\bat .*\.ts:\d+/);
    expect(run.code).toBe(124);
    const query = await start(['query', trace, 'SELECT * FROM ev_all'], { closeStdoutAfter: 0 });
    expect(query.stderr).toBe('');
    expect(query.code).toBe(0);
  });
});

describe('output that cannot be written', () => {
  it('record > /dev/full drops the guest output with one line and records the whole run', () => {
    const out = join(tmp, 'full.sqlite');
    const fd = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [BIN, 'record', 'emulator/guests/minikernel.elf', '--out', out], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'], timeout: 60_000 });
    closeSync(fd);
    expect(r.status).toBe(1); // the guest's own exit code
    expect(r.stderr.toString().trimEnd().split('\n')).toEqual([
      "ringside: stdout cannot be written: ENOSPC: no space left on device, write: the guest's output is dropped from here on; the recording goes on to the end of the run",
      expect.stringMatching(/^ringside: recorded run 1 into .*full\.sqlite: \d+ instructions, \d+ events, \d+ snapshots, end exit$/),
    ]);
    expect(ringside(['replay', out, '--verify']).code).toBe(0);
  });
});

describe('Ctrl-C', () => {
  it('record stops at an instruction boundary, commits, marks the run interrupted, removes the WAL files, exits 130', async () => {
    const out = join(tmp, 'ctrl-c.sqlite');
    // The guest's first output comes after the first slice: Ctrl-C is being watched by then.
    const r = await start(['record', chattyGuest(), '--flat', '0x100000', '--out', out], { interruptWhen: /x/ });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ringside: recorded run 1 into .*ctrl-c\.sqlite: (\d+) instructions, \d+ events, \d+ snapshots, interrupted \(Ctrl-C\) at icount \1$/);
    expect(readdirSync(tmp).filter((f) => f.startsWith('ctrl-c.sqlite'))).toEqual(['ctrl-c.sqlite']);
    const runs = ringside(['query', out, 'SELECT end_reason, exit_code, final_icount, event_count FROM runs', '--format', 'json']);
    const [row] = JSON.parse(runs.stdout);
    expect(row).toMatchObject({ end_reason: 'interrupted', exit_code: 130 });
    expect(row.final_icount).toBeGreaterThan(0);
    const end = ringside(['query', out, 'SELECT reason, exit_code, icount FROM ev_run_end', '--format', 'json']);
    expect(JSON.parse(end.stdout)).toEqual([{ reason: 'interrupted', exit_code: 130, icount: row.final_icount }]);
    const v = ringside(['replay', out, '--verify']);
    expect(v.stderr).toBe(`ringside: replayed run 1 to icount ${row.final_icount}, verified: ${row.event_count} events identical, end interrupted (exit code 130)\n`);
    expect(v.code).toBe(0);
  });

  it('run stops, says one line and exits 130', async () => {
    const r = await start(['run', chattyGuest(), '--flat', '0x100000'], { interruptWhen: /x/ });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^ringside: interrupted \(Ctrl-C\) at icount \d+\n$/);
  });
});
