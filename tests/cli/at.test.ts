import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-at-'));
const trace = join(tmp, 'mk.sqlite');
beforeAll(() => {
  expect(ringside(['record', 'emulator/guests/minikernel.elf', '--out', trace]).code).toBe(1);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('ringside at: memory, stack, events', () => {
  it('--memory dumps guest memory at an address or a symbol, through the guest page tables', () => {
    const r = ringside(['at', trace, '--icount', '1000000', '--memory', 'lines_written:20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/memory at 00100c08, 20 bytes \(through the guest's page tables; \?\? not mapped\):\n {2}00100c08 {2}([0-9a-f]{2} ){7}[0-9a-f]{2} {2}([0-9a-f]{2} ){7}[0-9a-f]{2} {2}\|.{16}\|\n {2}00100c18 {2}([0-9a-f]{2} ){3}[0-9a-f]{2} +\|.{4}\|/);
    // the user process's page at 0x800000 is mapped only through its own page directory
    const user = ringside(['at', trace, '--icount', '1000000', '--memory', '0x800000:16']);
    expect(user.stdout).toMatch(/00800000 {2}(?!\?\?)/);
    const unmapped = ringside(['at', trace, '--icount', '1000000', '--memory', '0x40000000:4']);
    expect(unmapped.stdout).toMatch(/40000000 {2}\?\? \?\? \?\? \?\?/);
  });

  it('--stack shows dwords from SS:ESP with the symbols they point into', () => {
    const r = ringside(['at', trace, '--icount', '250214', '--stack', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stack \(4 dwords from ss:esp\):\n {2}[0-9a-f]{8} {2}[0-9a-f]{8} {2}<int80_entry\.write\+0x5>\n( {2}[0-9a-f]{8} {2}[0-9a-f]{8}.*\n){3}/);
  });

  it('--events N shows the N events before the point and the N from it on', () => {
    const r = ringside(['at', trace, '--icount', '250214', '--events', '3']);
    expect(r.code, r.stderr).toBe(0);
    const m = /events before icount 250214 \(3\) and from it on \(3\):\n((?: {2}#\d+ @\d+ .*\n){3}) {2}-- icount 250214 --\n((?: {2}#\d+ @\d+ .*\n){3})/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const before = [...m![1].matchAll(/@(\d+)/g)].map((x) => Number(x[1]));
    const after = [...m![2].matchAll(/@(\d+)/g)].map((x) => Number(x[1]));
    expect(before.every((n) => n < 250214)).toBe(true);
    expect(after.every((n) => n >= 250214)).toBe(true);
  });

  it('bad --memory, --stack and --events values give one line and exit 2', () => {
    for (const args of [['--memory', 'nosuchsymbol'], ['--memory', '0x1000:0'], ['--memory', '0x1000:999999'], ['--stack', 'x'], ['--events', '-1']]) {
      const r = ringside(['at', trace, '--icount', '0', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  for (const mode of [['sw-013'], ['sw-033', '--shadow', 'split'], ['sw-033', '--shadow', 'shared']]) {
    it(`under ${mode.join(' ')}, _start disassembles at icount 0 (through the guest's tables, not the unfilled shadows)`, () => {
      const f = join(tmp, `mk-${mode.join('-')}.sqlite`);
      expect(ringside(['record', 'emulator/guests/minikernel.elf', '--mode', ...mode, '--out', f, '--max-instructions', '10000']).code).toBe(124);
      const r = ringside(['at', f, '--icount', '0', '--memory', '_start:4']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/=> 00100312 _start +fa +cli/);
      expect(r.stdout).not.toMatch(/not readable/);
      expect(r.stdout).toMatch(/00100312 {2}fa fc 89 c7/);
    });
  }
});
