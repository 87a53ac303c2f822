import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../../../emulator/machine';
import { screenText, VGA_TEXT_BUFFER } from '../../../emulator/devices/vga-text';
import { GUEST_DIR, guestImage, qemuAvailable } from '../../helpers/guests';

const NAME = 'vga-debugcon';

function runHere(): { uart: string; debugcon: string; m: Machine } {
  const uart: number[] = [];
  const debugcon: number[] = [];
  const m = new Machine(guestImage(NAME), { onUartByte: (b) => uart.push(b), onDebugconByte: (b) => debugcon.push(b) });
  expect(m.run(50_000_000).reason).toBe('exit');
  return { uart: Buffer.from(uart).toString('latin1'), debugcon: Buffer.from(debugcon).toString('latin1'), m };
}

/**
 * Runs the guest on QEMU stopped by gdb at its `exit` routine and returns the 4000 bytes of the
 * text buffer and what the debug console received.
 */
async function qemuScreen(): Promise<{ buffer: Uint8Array; debugcon: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-vga-'));
  const elf = join(GUEST_DIR, `${NAME}.elf`);
  const exitAddr = /^([0-9a-f]+) t exit$/m.exec(spawnSync('nm', [elf], { encoding: 'utf8' }).stdout)![1];
  const port = 20000 + (process.pid % 20000);
  const qemu = spawn('qemu-system-i386', ['-kernel', elf, '-display', 'none', '-serial', 'null', '-no-reboot', '-nic', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-debugcon', `file:${join(dir, 'debugcon')}`, '-gdb', `tcp:127.0.0.1:${port}`, '-S'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 700));
    const script = join(dir, 'dump.gdb');
    writeFileSync(script, [
      'set pagination off', 'set confirm off', `target remote 127.0.0.1:${port}`, `hbreak *0x${exitAddr}`, 'continue',
      `dump binary memory ${join(dir, 'screen.bin')} 0x${VGA_TEXT_BUFFER.toString(16)} 0x${(VGA_TEXT_BUFFER + 4000).toString(16)}`, 'kill', 'quit', '',
    ].join('\n'));
    spawnSync('gdb', ['-batch', '-x', script], { timeout: 60_000 });
    return { buffer: new Uint8Array(readFileSync(join(dir, 'screen.bin'))), debugcon: readFileSync(join(dir, 'debugcon'), 'latin1') };
  } finally {
    qemu.kill();
  }
}

describe('debug console and VGA text screen', () => {
  it('port 0xE9 output is its own stream, equal to what QEMU -debugcon wrote', () => {
    const { uart, debugcon } = runHere();
    expect(debugcon).toBe(readFileSync(join(GUEST_DIR, 'expected', `${NAME}.debugcon.txt`), 'latin1'));
    expect(uart).not.toContain('hello from the debug console');
  });

  it('without a separate sink, debug console bytes join the UART stream (one console, as stdout)', () => {
    const out: number[] = [];
    new Machine(guestImage(NAME), { onUartByte: (b) => out.push(b) }).run(50_000_000);
    expect(Buffer.from(out).toString('latin1')).toContain('hello from the debug console\ne9\n');
  });

  it('the screen: the three lines the guest wrote and the cursor it set', () => {
    const s = runHere().m.screen();
    expect(s.lines).toHaveLength(25);
    expect(s.lines[0].trimEnd()).toBe('ringside: VGA text mode 3, 80x25');
    expect(s.lines[1].trimEnd()).toBe('attributes: 0123456789ABCDEF');
    expect(s.lines[24].trimEnd()).toBe('CP437: ╔═╗ ☺ ░▒▓ end');
    expect(s.cursor).toEqual({ row: 24, column: 22 });
  });

  it.skipIf(!qemuAvailable())('the text buffer equals QEMU\'s at the end of the run (gdb dump of 0xB8000)', async () => {
    const ours = runHere();
    const ref = await qemuScreen();
    expect(ref.debugcon).toBe(ours.debugcon);
    const mem = new Uint8Array(VGA_TEXT_BUFFER + 4000);
    mem.set(ref.buffer, VGA_TEXT_BUFFER);
    expect(screenText(mem).lines).toEqual(ours.m.screen().lines);
    expect(Buffer.from(ours.m.cpu.ram.subarray(VGA_TEXT_BUFFER, VGA_TEXT_BUFFER + 4000))).toEqual(Buffer.from(ref.buffer));
  }, 120_000);
});
