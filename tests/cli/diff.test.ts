import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside } from '../helpers/cli';

const GUESTS = join(import.meta.dirname, '../../emulator/guests');
let dir: string;
let trace: string;
let other: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringside-diff-'));
  trace = join(dir, 'ra.sqlite');
  other = join(dir, 'ps.sqlite');
  for (const args of [['--mode', 'native'], ['--mode', 'native'], ['--mode', 'sw-013']]) {
    expect(ringside(['record', join(GUESTS, 'ring-aliasing.elf'), '--out', trace, ...args]).code).toBe(1);
  }
  expect(ringside(['record', join(GUESTS, 'privileged-state.elf'), '--out', other]).code).toBe(1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ringside diff', () => {
  it('exits 0 for two runs that never diverge', () => {
    const r = ringside(['diff', trace, '--left', '1', '--right', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/never diverge/);
  });

  it('exits 1 and names the category, the instruction and both values', () => {
    const r = ringside(['diff', trace, '--left', '1', '--right', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/first divergence: instruction \d+ at 0008:[0-9a-f]+ <main\+0x[0-9a-f]+>: push cs/);
    expect(r.stdout).toMatch(/category: ring aliasing/);
    expect(r.stdout).toMatch(/0x00000008 vs 0x00000009/);
    expect(r.stdout).toMatch(/estimated extra cycles \d+ over \d+ guest instructions: slowdown x/);
  });

  it('gives the report as JSON and takes two files with --left-run/--right-run', () => {
    const r = ringside(['diff', trace, trace, '--left-run', '2', '--right-run', '3', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.first.category).toBe('ring aliasing');
    expect(j.right.cost.exits['#GP']).toBeGreaterThan(0);
  });

  it('uses the figures of a cost file', () => {
    const cost = join(dir, 'cost.json');
    writeFileSync(cost, JSON.stringify({ roundTrip: 0, shadowFill: 0, emulation: { default: 1, io: 1, 'descriptor-table': 1, 'control-register': 1 } }));
    const j = JSON.parse(ringside(['diff', trace, '--left', '1', '--right', '3', '--json', '--cost', cost]).stdout);
    const emulations = Object.entries(j.right.cost.emulations as Record<string, number>).filter(([k]) => k !== 'shadow-fill').reduce((n, [, v]) => n + v, 0);
    expect(j.right.cost.extraCycles).toBe(emulations);
  });

  it('refuses runs of different guest images, bad run ids and bad cost files with one line and exit 2', () => {
    const cases = [
      ['diff', trace, other],
      ['diff', trace, '--left', '1', '--right', '9'],
      ['diff', trace, '--left', 'x', '--right', '1'],
      ['diff', trace],
      ['diff', trace, '--left', '1', '--right', '3', '--cost', join(dir, 'missing.json')],
      ['diff', join(dir, 'nothing.sqlite'), '--left', '1', '--right', '2'],
    ];
    for (const args of cases) {
      const r = ringside(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(ringside(['diff', trace, other]).stderr).toMatch(/different guest images/);
  });
});
