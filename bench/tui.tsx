/**
 * The debugger's redraw latency for `npm run bench`: on a 200 M-instruction recording of
 * bench-loop, the time from a key (s: step, S: step back, g + Enter: jump to a random icount)
 * to the debugger's next frame at 80x24, drawn by Ink into a test terminal. Percentiles are
 * printed; the target is p99 <= 50 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { render } from 'ink-testing-library';
import { recordRun } from '../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL } from '../recorder/session';
import { DEFAULT_RAM_SIZE } from '../emulator/machine';
import { openTraceReadOnly, closeTrace, listRuns } from '../recorder/store';
import { App } from '../debugger-tui/components/App';
import { Debugger } from '../debugger-tui/debugger';

const SAMPLES = 100;
const WARMUP = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchTui(guest: (name: string) => Uint8Array, line: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-bench-tui-'));
  const file = join(dir, 'loop.sqlite');
  try {
    recordRun({
      image: guest('bench-loop'),
      imageName: 'bench-loop.elf',
      options: { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL },
      out: file,
    });
    const db = openTraceReadOnly(file);
    try {
      const dbg = new Debugger(db, file, 1);
      const r = render(<App db={db} file={file} runs={listRuns(db)} debugger={dbg} size={{ columns: 80, rows: 24 }} />);
      let frames = 0;
      const write = r.stdout.write;
      r.stdout.write = (f: string) => {
        frames++;
        write(f);
      };
      const tick = () => new Promise((res) => setImmediate(res));
      /** Types `keys`; returns ms from the last key to the frame it causes, wall and CPU time. */
      const key = async (...keys: string[]) => {
        for (let k = 0; k < keys.length - 1; k++) {
          const n = frames;
          r.stdin.write(keys[k]);
          while (frames === n) await tick();
        }
        const n = frames;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        r.stdin.write(keys[keys.length - 1]);
        while (frames === n) await tick();
        const wall = performance.now() - t0;
        const c = process.cpuUsage(c0);
        return { wall, cpu: (c.user + c.system) / 1000 };
      };
      let seed = 12345;
      const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) % dbg.end;
      type Sample = { wall: number; cpu: number };
      const times = { step: [] as Sample[], back: [] as Sample[], jump: [] as Sample[] };
      for (let k = 0; k < SAMPLES + WARMUP; k++) {
        if (k === WARMUP) for (const t of Object.values(times)) t.length = 0; // the JIT has compiled the paths
        // Each sample starts at a random point, so step back pays a snapshot restore.
        await key('g', ...String(random()).split(''), '\r');
        times.jump.push(await key('g', ...String(random()).split(''), '\r'));
        times.step.push(await key('s'));
        times.back.push(await key('S'));
      }
      r.unmount();
      line(`(${SAMPLES} of each over the ${dbg.end} instructions; wall time, and the process's CPU time, which other load on the machine does not inflate)`);
      for (const [what, t] of Object.entries(times)) {
        const wall = t.map((x) => x.wall).sort((a, b) => a - b);
        const cpu = t.map((x) => x.cpu).sort((a, b) => a - b);
        line(`tui redraw  ${what.padEnd(5)} bench-loop  p50 ${percentile(wall, 50).toFixed(1)} ms, p99 ${percentile(wall, 99).toFixed(1)} ms; CPU p50 ${percentile(cpu, 50).toFixed(1)} ms, p99 ${percentile(cpu, 99).toFixed(1)} ms (target p99 <= 50 ms)`);
      }
    } finally {
      closeTrace(db);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
