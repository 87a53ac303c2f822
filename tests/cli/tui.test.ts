/** `ringside tui` and `ringside demo` without a terminal, and their errors. */
import { describe, it, expect, beforeAll } from 'vitest';
import { writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT } from '../helpers/cli';

/** Runs ringside as a user would, without blocking the test worker (the demo records for a minute or more). */
function ringsideAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/ringside.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 550_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
import { recordDebugTrace } from '../helpers/debug-trace';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
let trace: string;

beforeAll(() => {
  trace = recordDebugTrace();
});

describe('ringside tui', () => {
  it('without a terminal: one line on stderr, exit 2, the trace unchanged', async () => {
    const before = sha(trace);
    const r = await ringsideAsync(['tui', trace, '--run', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('needs a terminal');
    expect(sha(trace)).toBe(before);
  });

  it('a missing file, a foreign file, an unknown run and --icount beyond the run are one line and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringside-tui-bad-'));
    const foreign = join(dir, 'notes.sqlite');
    writeFileSync(foreign, 'not a trace at all\n'.repeat(100));
    const before = sha(foreign);
    for (const args of [['tui', join(dir, 'missing.sqlite')], ['tui', foreign], ['tui', trace, '--run', '99'], ['tui', trace, '--run', 'x'], ['tui', trace, '--icount', '5']]) {
      const r = await ringsideAsync(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^ringside: /);
    }
    expect(sha(foreign)).toBe(before);
  });
});

describe('ringside demo', () => {
  it('without a terminal: records (or reuses) every scenario in every mode and prints the summary, exit 0', async () => {
    const r = await ringsideAsync(['demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ringside demo: 60 runs of 10 guests in 6 modes \(native, sw-013, sw-033 split, sw-033 shared, vtx, vtx gen1\), \d+ events/);
    expect(r.stdout).toContain('trace: traces/demo.sqlite');
    expect(r.stdout).toMatch(/ring-aliasing\.elf\s+sw-013\s+\d+\s+\d+\s+exit 1\s+@\d+: first PUSH CS/);
    expect(r.stdout).toMatch(/hidden-state\.elf\s+native\s+.*event #\d+: first write to a cached descriptor/);
    expect(r.stdout).toMatch(/ringside tui traces\/demo\.sqlite --run 2 --icount \d+/);
    expect(r.stderr).toBe(''); // no progress lines when stderr is not a terminal
  }, 600_000);
});
