/**
 * ringside's benchmark (`npm run bench`): guest MIPS on bench-loop and system-call round trips
 * per second on bench-syscall, each against qemu-system-i386 -icount shift=0 when QEMU is
 * installed; the slowdown of each software VMM against native on minikernel and bench-syscall;
 * recorder figures; the debugger's redraw latency. A benchmark, not a test: it prints figures and ratios and always exits 0.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Machine } from '../emulator/machine';
import { benchRecorder } from './recorder';
import { benchMonitors } from './monitors';
import { benchDiff } from './diff';
import { benchTui } from './tui';
import { GUEST_DIR, scenarioImage } from '../scenarios/scenarios';

const REPEATS = 3;

interface Measure {
  seconds: number; // best wall time of the guest's execution (loading excluded)
  icount: number; // retired instructions
  output: string;
  translated: number; // blocks translated
  translateMs: number; // time spent translating them
  codeChars: number; // characters of generated source (the code cache)
}

function runRingside(name: string, jit = true): Measure {
  const image = scenarioImage(name);
  let best: Measure | undefined;
  for (let k = 0; k < REPEATS; k++) {
    const out: number[] = [];
    const m = new Machine(image, { onUartByte: (b) => out.push(b), jit });
    m.executor.clock = () => performance.now();
    const t0 = performance.now();
    const r = m.run();
    const seconds = (performance.now() - t0) / 1000;
    if (r.reason !== 'exit') throw new Error(`${name} ended with ${r.reason}`);
    const x = m.executor;
    if (best === undefined || seconds < best.seconds) {
      best = { seconds, icount: r.icount, output: Buffer.from(out).toString('latin1'), translated: x.blocksTranslated, translateMs: x.translateMs, codeChars: x.translatedChars };
    }
  }
  return best!;
}

function translatorLine(name: string, m: Measure): string {
  return `${name.padEnd(14)} translator ${String(m.translated).padStart(5)} blocks translated in ${m.translateMs.toFixed(1)} ms, code cache ${(m.codeChars / 1024).toFixed(1)} KiB of source`;
}

function qemuAvailable(): boolean {
  return spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Wall time of a whole QEMU run (boot included), best of REPEATS. */
function runQemu(name: string): number {
  let best = Infinity;
  for (let k = 0; k < REPEATS; k++) {
    const t0 = performance.now();
    spawnSync('qemu-system-i386', ['-kernel', join(GUEST_DIR, `${name}.elf`), '-nographic', '-no-reboot', '-icount', 'shift=0',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits).padStart(8);
}

function line(s: string): void {
  process.stdout.write(s + '\n');
}

/** Wall time of `ringside --version` in a fresh process (best of 5): the CLI's start-up cost. */
function startupSeconds(): number {
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../bin/ringside.mjs'), '--version'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ringside --version exited with ${r.status}: ${r.stderr}`);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

line(`start-up       ringside --version  ${(startupSeconds() * 1000).toFixed(0)} ms (best of 5; run \`npm run build\` first: a stale or missing build runs through tsx)`);
line('ringside benchmark (best of 3; guest execution time, image loading excluded; figures taken on a shared machine are noisy: compare the ratios of one run)');
const loop = runRingside('bench-loop');
const mips = loop.icount / loop.seconds / 1e6;
line(`bench-loop     ringside  ${fmt(mips)} MIPS   (${loop.icount} instructions in ${loop.seconds.toFixed(3)} s; block translator on)`);
const loopInterp = runRingside('bench-loop', false);
const mipsInterp = loopInterp.icount / loopInterp.seconds / 1e6;
line(`bench-loop     --no-jit  ${fmt(mipsInterp)} MIPS   (interpreter alone; translator/interpreter ${(mips / mipsInterp).toFixed(2)}x)`);
line(translatorLine('bench-loop', loop));
const sys = runRingside('bench-syscall');
const trips = Number.parseInt(/round trips=0x([0-9a-f]+)/.exec(sys.output)?.[1] ?? '0', 16);
const tripsPerSec = trips / sys.seconds;
line(`bench-syscall  ringside  ${fmt(tripsPerSec / 1e6, 2)} M round trips/s   (${trips} SYSENTER/SYSEXIT round trips in ${sys.seconds.toFixed(3)} s, ${fmt(sys.icount / sys.seconds / 1e6)} MIPS)`);
const sysInterp = runRingside('bench-syscall', false);
line(`bench-syscall  --no-jit  ${fmt(trips / sysInterp.seconds / 1e6, 2)} M round trips/s   (interpreter alone; translator/interpreter ${(sysInterp.seconds / sys.seconds).toFixed(2)}x)`);
line(translatorLine('bench-syscall', sys));
const mk = runRingside('minikernel');
const mkInterp = runRingside('minikernel', false);
line(`minikernel     ringside  ${fmt(mk.seconds * 1000, 1)} ms   (${mk.icount} instructions; --no-jit ${(mkInterp.seconds * 1000).toFixed(1)} ms)`);
line(translatorLine('minikernel', mk));

let loopRatio: number | null = null;
if (qemuAvailable()) {
  // QEMU's time includes its boot; a guest that does almost nothing measures that baseline.
  const boot = runQemu('ring-aliasing');
  const qLoop = Math.max(runQemu('bench-loop') - boot, 1e-3);
  const qSys = Math.max(runQemu('bench-syscall') - boot, 1e-3);
  const qMips = loop.icount / qLoop / 1e6;
  const qTrips = trips / qSys;
  loopRatio = mips / qMips;
  line(`qemu boot baseline        ${boot.toFixed(3)} s (subtracted below)`);
  line(`bench-loop     qemu      ${fmt(qMips)} MIPS   (-icount shift=0)   ratio ringside/qemu ${loopRatio.toFixed(2)}x (--no-jit ${(mipsInterp / qMips).toFixed(2)}x)`);
  line(`bench-syscall  qemu      ${fmt(qTrips / 1e6, 2)} M round trips/s          ratio ringside/qemu ${(tripsPerSec / qTrips).toFixed(2)}x`);
} else {
  line('qemu-system-i386 not installed: no QEMU comparison (apt-get install qemu-system-x86)');
}
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
line(`targets: bench-loop ratio to qemu >= 1.0x ${loopRatio === null ? 'not measured' : met(loopRatio >= 1)}; bench-syscall >= 4 M round trips/s ${met(tripsPerSec >= 4e6)}; the translator does not slow minikernel ${met(mk.seconds <= mkInterp.seconds)}`);

line('');
line('software monitors (slowdown against native; each guest and mode in a process of its own; exits = monitor entries)');
benchMonitors(line);

line('');
line('recorder');
benchRecorder(scenarioImage, line);

line('');
line('diff');
benchDiff(scenarioImage, line);

line('');
line('debugger (key to next frame)');
await benchTui(scenarioImage, line);
