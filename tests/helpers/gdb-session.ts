/** Runs `ringside ... --gdb 0` in the background and Debian's gdb in batch mode against it, with timeouts. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli';

const BIN = join(ROOT, 'bin/ringside.mjs');

export function gdbAvailable(): boolean {
  return spawnSync('gdb', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface Background {
  port: number;
  /** Resolves with the exit code, stdout and stderr once the process ends (killed after `timeoutMs`). */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

/** Starts ringside with `--gdb 0` appended; resolves once it listens. */
export function startRingside(args: string[], timeoutMs = 90_000): Promise<Background> {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args, '--gdb', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve({ port: Number(m[1]), done, kill: () => child.kill('SIGKILL') });
    });
    void done.then((r) => reject(new Error(`ringside ended before listening (exit ${r.code}): ${r.stderr}`)));
  });
}

/** gdb -batch with the given commands after connecting; the commands' output. */
export function runGdb(image: string, port: number, commands: string[], timeoutMs = 90_000): { code: number; output: string } {
  const args = ['-q', '-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', join(ROOT, image), '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  // One stream, in the order gdb wrote it (monitor output and errors go to stderr).
  const r = spawnSync('sh', ['-c', 'exec gdb "$@" 2>&1', 'sh', ...args], { cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 });
  return { code: r.status ?? -1, output: r.stdout.toString() };
}

/** The text gdb printed between `echo @@NAME\n` markers. */
export function sections(output: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = output.split(/^@@(\w+)$/m);
  for (let k = 1; k < parts.length; k += 2) out[parts[k]] = parts[k + 1];
  return out;
}
