/**
 * The debugger in a real terminal: `ringside tui` started in tmux at 80x24, keys sent with
 * send-keys, the screen read with capture-pane. Bounded in time; the tmux session is killed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli';
import { recordDebugTrace, RUNS } from '../helpers/debug-trace';

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const session = `ringside-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8', timeout: 10_000 });
/** The pane's text; when the pane is gone, tmux's complaint (so a failure says why). */
const screen = () => {
  const r = tmux('capture-pane', '-p', '-t', session);
  return r.status === 0 ? r.stdout : `[no pane: ${r.stderr.trim()}]`;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: (s: string) => boolean, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  let s = screen();
  while (!pred(s) && Date.now() < end) {
    await sleep(100);
    s = screen();
  }
  return s;
}

let trace: string;
beforeAll(() => {
  if (hasTmux) trace = recordDebugTrace();
});
afterAll(() => {
  if (hasTmux) tmux('kill-session', '-t', session);
});

// Skipped without tmux, except in CI, where it is required.
describe.skipIf(!hasTmux && process.env.CI !== 'true')('ringside tui in tmux at 80x24', () => {
  it('draws the registers, steps with s and S, shows the help, and quits with q', async () => {
    expect(hasTmux, 'tmux is required in CI (apt-get install tmux)').toBe(true);
    // CI=true as CI runners export it: Ink would then draw only the last frame, the debugger must not let it.
    const cmd = `CI=true ${process.execPath} ${join(ROOT, 'bin/ringside.mjs')} tui ${trace} --run ${RUNS.hiddenNative} --icount 2986; echo "exited $?"; sleep 60`;
    // The command is run by /bin/sh given as argv, not through tmux's default shell: that is the
    // user's login shell, which on a CI runner can be nologin (the pane then closes at once).
    expect(tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '/bin/sh', '-c', cmd).status).toBe(0);
    // Wait for a whole frame (registers on the first line, the status bar on the last): a
    // capture can fall between the writes of one frame on a loaded machine.
    const whole = (x: string, at: string) => /^eax [0-9a-f]{8} ecx /.test(x) && x.split('\n')[23]?.includes(at);
    let s = await until((x) => whole(x, '2986/108350'));
    const lines = s.split('\n');
    expect(lines[0]).toMatch(/^eax [0-9a-f]{8} ecx /);
    expect(s).toMatch(/\nfs  0030 [0-9a-f]{8} 0000000f /);
    expect(lines[23]).toContain('run 1 hidden-state native │ 2986/108350');
    tmux('send-keys', '-t', session, 's');
    s = await until((x) => x.includes('2987/108350'));
    expect(s).toContain('2987/108350');
    tmux('send-keys', '-t', session, 's');
    s = await until((x) => x.includes('STALE'));
    expect(s).toMatch(/\nfs  0030 [0-9a-f]{8} 0000000f STALE \(memory: base [0-9a-f]{8}\)/);
    tmux('send-keys', '-t', session, 'S');
    s = await until((x) => x.includes('2987/108350') && x.includes('step back'));
    expect(s).not.toContain('STALE');
    tmux('send-keys', '-t', session, '?');
    s = await until((x) => x.includes('keys (any key closes'));
    expect(s).toContain('step back one instruction');
    tmux('send-keys', '-t', session, 'x');
    await until((x) => !x.includes('keys (any key closes'));
    // A live resize: the screen is drawn again at the new size.
    tmux('resize-window', '-t', session, '-x', '100', '-y', '30');
    s = await until((x) => x.split('\n')[29]?.includes('run 1 hidden-state native'));
    expect(s.split('\n')[29]).toContain('run 1 hidden-state native │ 2987/108350');
    tmux('send-keys', '-t', session, 'q');
    s = await until((x) => x.includes('exited'));
    expect(s).toContain('exited 0');
  }, 90_000);
});
