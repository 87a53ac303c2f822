import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';
import { expectedOutput } from '../helpers/guests';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-run-'));

/** One line on stderr, no stack trace. */
function expectOneLineError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

describe('ringside run', () => {
  it('prints the guest UART on stdout and exits with the debug-exit code (v << 1) | 1', () => {
    const r = ringside(['run', 'emulator/guests/ring-aliasing.elf']);
    expect(r.stdout).toBe(expectedOutput('ring-aliasing'));
    expect(r.code).toBe(1);
  });

  it('stops at --max-instructions with exit code 124', () => {
    const r = ringside(['run', 'emulator/guests/bench-loop.elf', '--max-instructions', '5000']);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/stopped after 5000 instructions/);
  });

  it('exits 0 when the guest halts for good, and 126 on a triple fault', () => {
    const halt = join(tmp, 'halt.bin');
    writeFileSync(halt, Buffer.from([0xfa, 0xf4])); // cli; hlt
    expect(ringside(['run', halt, '--flat', '0x100000']).code).toBe(0);
    const triple = join(tmp, 'triple.bin');
    // lidt [zero-limit descriptor]; int3 -> #GP -> #DF -> shutdown
    writeFileSync(triple, Buffer.from([0x0f, 0x01, 0x1d, 0x10, 0x00, 0x10, 0x00, 0xcc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const r = ringside(['run', triple, '--flat', '0x100000']);
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/triple fault/);
  });

  it('rejects a missing file, a non-kernel, a truncated ELF and an unknown mode with one line', () => {
    expectOneLineError(ringside(['run', join(tmp, 'nope.elf')]), /does not exist/);
    expectOneLineError(ringside(['run', 'package.json']), /not a Multiboot kernel/);
    const trunc = join(tmp, 'trunc.elf');
    writeFileSync(trunc, readFileSync('emulator/guests/minikernel.elf').subarray(0, 700));
    expectOneLineError(ringside(['run', trunc]), /./);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--mode', 'ring9']), /unknown mode 'ring9'/);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--max-instructions', 'lots']), /--max-instructions/);
  });

  it('--mode sw-013 and sw-033 run the guest deprivileged: ring-aliasing sees ring 1 and ring 3, the minikernel runs to its end', () => {
    const r1 = ringside(['run', 'emulator/guests/ring-aliasing.elf', '--mode', 'sw-013']);
    expect(r1.code).toBe(1);
    expect(r1.stdout).toMatch(/push cs: cpl=1/);
    const r3 = ringside(['run', 'emulator/guests/ring-aliasing.elf', '--mode', 'sw-033', '--shadow', 'shared']);
    expect(r3.stdout).toMatch(/push cs: cpl=3/);
    const mk = ringside(['run', 'emulator/guests/minikernel.elf', '--mode', 'sw-033']);
    expect(mk.code).toBe(1);
    expect(mk.stdout).toBe(expectedOutput('minikernel'));
  });

  it('rejects --shadow outside sw-033, a bad --shadow, --vtx-gen outside vtx and a bad --vtx-gen with one line', () => {
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--mode', 'sw-013', '--shadow', 'split']), /--shadow applies to mode sw-033 only/);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--shadow', 'shared']), /--shadow applies to mode sw-033 only/);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--mode', 'sw-033', '--shadow', 'half']), /--shadow must be 'split' or 'shared'/);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--vtx-gen', '1']), /--vtx-gen applies to mode vtx only/);
    expectOneLineError(ringside(['run', 'emulator/guests/tpr.elf', '--mode', 'vtx', '--vtx-gen', '3']), /--vtx-gen must be 1 or 2/);
  });
});
