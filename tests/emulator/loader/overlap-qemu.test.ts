import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildElf } from './elf-builder';
import { Machine } from '../../../emulator/machine';
import { MBI_ADDRESS } from '../../../emulator/loader/multiboot';
import { qemuAvailable } from '../../helpers/guests';

/**
 * A Multiboot kernel over the area where the loader puts the memory map and the information
 * structure is loaded as QEMU's option ROM loads it (map and information first, then the kernel,
 * then the area after the kernel), not refused: a crafted ELF prints what it finds at EBX and at
 * 0x9000, on ringside and on QEMU.
 */
const haveNasm = spawnSync('nasm', ['-v'], { stdio: 'ignore' }).status === 0;
const haveQemu = qemuAvailable();
const tmp = mkdtempSync(join(tmpdir(), 'ringside-overlap-'));

function kernel(small: boolean): Uint8Array {
  const out = join(tmp, small ? 'small.bin' : 'big.bin');
  const r = spawnSync('nasm', ['-f', 'bin', ...(small ? ['-DSMALL'] : []), '-o', out, join(import.meta.dirname, 'fixtures/overlap-info.asm')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return buildElf({ entry: 0x800c, segments: [{ paddr: 0x8000, data: new Uint8Array(readFileSync(out)) }] });
}

function onRingside(image: Uint8Array): string {
  let out = '';
  const m = new Machine(image, { onUartByte: (b) => (out += String.fromCharCode(b)) });
  m.run(100_000);
  return out;
}

function onQemu(image: Uint8Array, name: string): string {
  const path = join(tmp, `${name}.elf`);
  writeFileSync(path, image);
  const r = spawnSync('qemu-system-i386', ['-kernel', path, '-nographic', '-no-reboot', '-nic', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'], { timeout: 60_000, input: '' });
  const raw = r.stdout.toString('latin1');
  const at = raw.indexOf('Booting from ROM..');
  return (at >= 0 ? raw.slice(at + 18).replace(/^\.*\r?\n?/, '') : raw).replace(/\r/g, '');
}

describe.skipIf(!haveNasm)('a kernel over the Multiboot information area', () => {
  it('is loaded: its own bytes replace the map and the information, and EBX still points at 0x9500', () => {
    const lines = onRingside(kernel(false)).split('\n');
    expect(lines[0]).toBe(MBI_ADDRESS.toString(16).padStart(8, '0'));
    expect(lines.slice(1, 7)).toEqual([0x140, 0x141, 0x142, 0x143, 0x144, 0x145].map((k) => (0x5a000000 + k).toString(16)));
    expect(lines[7]).toBe('5a000000');
  });

  it('below it: the command-line area after the kernel (whole pages, zero-filled) lands on the map and the information', () => {
    const lines = onRingside(kernel(true)).split('\n');
    expect(lines[0]).toBe('00009500');
    expect(lines.slice(1, 7)).toEqual(new Array(6).fill('00000000'));
    expect(lines[7]).toBe('6e697200'); // 0x9000: the empty command line, then "rin(gside)"
  });

  it.skipIf(!haveQemu)("QEMU loads both the same way (same lines; QEMU's command line starts with the file name)", () => {
    const big = kernel(false);
    expect(onRingside(big)).toBe(onQemu(big, 'big'));
    const small = kernel(true);
    const ours = onRingside(small).split('\n'), qemu = onQemu(small, 'small').split('\n');
    expect(ours.slice(0, 7)).toEqual(qemu.slice(0, 7));
    expect(qemu[7]).toBe('706d742f'); // "/tmp": the kernel's path, where ringside has the given command line
  });
});
