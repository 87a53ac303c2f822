/** The guest kernels in emulator/guests and ways to run them on ringside and on QEMU. */
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { GUEST_DIR, scenarioImage, runScenario, COLUMNS, type ScenarioRun } from '../../scenarios/scenarios';
import { DiskImage } from '../../emulator/devices/disk-image';
import { guestDiskSizes, guestDiskBytes, makeGuestDisks } from './guest-disks';

export { GUEST_DIR };
const NATIVE = COLUMNS[0];

export function guestNames(): string[] {
  return readdirSync(GUEST_DIR)
    .filter((f) => f.endsWith('.asm'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export const guestImage = scenarioImage;

/** Runs a guest on ringside (native mode) until it stops. */
export function runOnRingside(name: string, maxInstructions = 2_000_000_000): ScenarioRun {
  const disks = guestDiskSizes(name).map((size, k) => new DiskImage(guestDiskBytes(k, size), `disk${k}`));
  return runScenario(guestImage(name), NATIVE, maxInstructions, disks);
}

export function qemuAvailable(): boolean {
  return spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs a guest on QEMU as SPEC section 4 prescribes, without a network card (ringside has none). QEMU's stdout begins with the firmware's
 * banners, which end with "Booting from ROM.."; what follows is the guest's serial output.
 */
export function runOnQemu(name: string, extra: string[] = [], timeoutMs = 120_000): { output: string; exitCode: number } {
  // A guest's disks ("; Disks:" in its source) are fresh files in a temporary folder: QEMU writes to them.
  const dir = guestDiskSizes(name).length > 0 ? mkdtempSync(join(tmpdir(), 'ringside-disks-')) : null;
  const drives = dir === null ? [] : makeGuestDisks(name, dir).flatMap((path, k) => ['-drive', `file=${path},format=raw,index=${k}`]);
  let r;
  try {
    r = spawnSync(
      'qemu-system-i386',
      ['-kernel', join(GUEST_DIR, `${name}.elf`), '-nographic', '-no-reboot', '-nic', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', ...qemuOptions(name), ...drives, ...extra],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, input: '' },
    );
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
  const raw = r.stdout.toString('latin1');
  const marker = 'Booting from ROM..';
  const at = raw.indexOf(marker);
  // SeaBIOS sometimes ends the banner with one more dot and a line break (seen under load);
  // no guest output starts with either, so they are dropped too.
  const out = at >= 0 ? raw.slice(at + marker.length).replace(/^\.*\r?\n?/, '') : raw;
  return { output: out, exitCode: r.status ?? -1 };
}

/** Extra QEMU arguments a guest's source asks for ("; QEMU options: ARGS" on a line of its own). */
export function qemuOptions(name: string): string[] {
  const src = readFileSync(join(GUEST_DIR, `${name}.asm`), 'utf8');
  const m = /^; QEMU options: (.*)$/m.exec(src);
  return m ? m[1].trim().split(/\s+/) : [];
}

/** The exit code written in the guest's source ("; Expected on QEMU: exit code N"). */
export function expectedExitCode(name: string): number {
  const src = readFileSync(join(GUEST_DIR, `${name}.asm`), 'utf8');
  const m = /Expected on QEMU: exit code (\d+)/.exec(src);
  return m ? Number(m[1]) : -1;
}

export function expectedOutput(name: string): string | undefined {
  const p = join(GUEST_DIR, 'expected', `${name}.txt`);
  return existsSync(p) ? readFileSync(p, 'latin1') : undefined;
}

/** The small test guests in emulator/guests/tests (crash endings, event stamps, REP bounds, the monitors' seal). */
export const TEST_GUEST_DIR = join(GUEST_DIR, 'tests');
export function testGuestPath(name: string): string {
  return join(TEST_GUEST_DIR, `${name}.elf`);
}
export function testGuestImage(name: string): Uint8Array {
  return new Uint8Array(readFileSync(testGuestPath(name)));
}
