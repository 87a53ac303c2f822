import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-screen-'));

describe('the VGA text screen on the command line', () => {
  it('run --screen prints the guest output, then the final screen framed, with the cursor', () => {
    const r = ringside(['run', '--screen', 'emulator/guests/vga-debugcon.elf']);
    expect(r.code).toBe(1);
    const lines = Buffer.from(r.stdout, 'latin1').toString('utf8').split('\n'); // the screen is UTF-8
    const top = lines.indexOf('+' + '-'.repeat(80) + '+');
    expect(top).toBeGreaterThan(0);
    expect(lines[top + 1]).toBe('|' + 'ringside: VGA text mode 3, 80x25'.padEnd(80) + '|');
    expect(lines[top + 25]).toBe('|' + 'CP437: ╔═╗ ☺ ░▒▓ end'.padEnd(80) + '|');
    expect(lines[top + 27]).toBe('cursor at row 24, column 22');
  });

  it('at --screen shows the screen at any instruction count of a recording: blank before, written after', () => {
    const out = join(tmp, 'vga.sqlite');
    expect(ringside(['record', '--out', out, 'emulator/guests/vga-debugcon.elf']).code).toBe(1);
    const early = ringside(['at', out, '--icount', '100', '--screen']);
    expect(early.code).toBe(0);
    expect(early.stdout).not.toContain('ringside: VGA');
    expect(early.stdout).toContain('cursor at row 2, column 0'); // where the firmware left it
    const late = ringside(['at', out, '--icount', '6000', '--screen']);
    expect(late.stdout).toContain('|ringside: VGA text mode 3, 80x25');
  });
});
