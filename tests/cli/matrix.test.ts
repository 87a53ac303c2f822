import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ringside, ROOT } from '../helpers/cli';
import { SCENARIOS } from '../../emulator/monitors/scenarios';
import { matrixColumns, type MatrixReport, type MatrixCell } from '../../cli/commands/matrix';

type Report = MatrixReport;
type Cell = MatrixCell;

/** Like ringside(), but asynchronous (the two matrix runs overlap) and with a longer timeout. */
function ringsideAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/ringside.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 280_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

const SOFTWARE = ['sw-013', 'sw-033 split', 'sw-033 shared'];
const CATEGORY: Record<string, string> = {
  'ring-aliasing': 'ring aliasing', 'privileged-state': 'non-faulting access to privileged state',
  interrupts: 'interrupt virtualization', 'hidden-state': 'hidden state',
};
const DIVERGE_EVERYWHERE = ['ring-aliasing', 'privileged-state', 'interrupts', 'hidden-state'];
const SAME_EVERYWHERE = ['address-space', 'syscalls', 'tpr', 'minikernel'];

let json: { code: number; stdout: string; stderr: string };
let text: { code: number; stdout: string; stderr: string };
let report: Report;

function row(name: string) {
  const r = report.scenarios.find((s) => s.name === name);
  if (r === undefined) throw new Error(`no row for ${name}`);
  return r;
}
function col(name: string, label: string): Cell {
  const c = row(name).columns.find((x) => x.label === label);
  if (c === undefined) throw new Error(`no column ${label} for ${name}`);
  return c;
}

describe('ringside matrix', () => {
  beforeAll(async () => {
    [json, text] = await Promise.all([ringsideAsync(['matrix', '--json']), ringsideAsync(['matrix'])]);
    report = JSON.parse(json.stdout) as Report;
  }, 300_000);

  it('--json: exits 0, the matrix matches the specification, no progress on a non-terminal stderr', () => {
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(report.matches).toBe(true);
  });

  it('has every scenario, in order, with three software columns that meet their expectation', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const s of report.scenarios) {
      expect(s.category).toBe(SCENARIOS.find((x) => x.name === s.name)?.category);
      expect(s.native.reason).toBe('exit');
      expect(s.native.icount).toBeGreaterThan(0);
      expect(s.columns.map((c) => c.label)).toEqual(matrixColumns().map((c) => c.label));
      for (const c of s.columns.filter((x) => SOFTWARE.includes(x.label))) {
        expect(c.meets, `${s.name} ${c.label}`).toBe(true);
        expect(c.exits).toBeGreaterThan(0);
        expect(c.trapsPer1000).toBeGreaterThan(0);
        expect(Number(c.trapsPer1000.toFixed(1))).toBe(c.trapsPer1000); // one decimal
      }
    }
    expect(col('syscalls', 'sw-013')).toMatchObject({ mode: 'sw-013', shadow: null });
    expect(col('syscalls', 'sw-033 shared')).toMatchObject({ mode: 'sw-033', shadow: 'shared' });
  });

  it('ring aliasing, privileged state, interrupts and hidden state diverge in every software mode, with the category of the first divergence', () => {
    for (const name of DIVERGE_EVERYWHERE) {
      for (const label of SOFTWARE) {
        const c = col(name, label);
        expect(c.outcome, `${name} ${label}`).toBe('diverges');
        expect(c.firstDivergence?.category, `${name} ${label}`).toBe(CATEGORY[name]);
        expect(c.firstDivergence!.icount).toBeGreaterThan(0);
      }
    }
    expect(col('ring-aliasing', 'sw-013').firstDivergence!.disassembly).toBe('push cs');
  });

  it('address space, syscalls, tpr and the minikernel are the same everywhere; ring compression diverges only with a shared shadow', () => {
    for (const name of SAME_EVERYWHERE) {
      for (const label of SOFTWARE) {
        expect(col(name, label).outcome, `${name} ${label}`).toBe('same');
        expect(col(name, label).firstDivergence).toBeUndefined();
      }
    }
    expect(col('ring-compression', 'sw-013').outcome).toBe('same');
    expect(col('ring-compression', 'sw-033 split').outcome).toBe('same');
    expect(col('ring-compression', 'sw-033 shared').outcome).toBe('diverges');
    expect(col('ring-compression', 'sw-033 shared').firstDivergence?.category).toBe('ring compression');
  });

  it('estimates the cost of every monitored cell', () => {
    for (const label of SOFTWARE) {
      const c = col('syscalls', label);
      expect(c.cost?.extraCycles, label).toBeGreaterThan(0);
      expect(c.cost?.slowdown, label).toBeGreaterThan(1);
    }
  });

  it('takes the columns from the modes this build runs, one per shadow policy where a mode has the choice', () => {
    const labels = matrixColumns().map((c) => c.label);
    for (const label of SOFTWARE) expect(labels).toContain(label);
    expect(labels).not.toContain('native');
  });

  it('counts the interventions the specification asks for', () => {
    for (const label of SOFTWARE) {
      const sys = col('syscalls', label).interventions;
      expect(sys.sysenter, label).toBeGreaterThanOrEqual(100_000);
      expect(sys.sysexit, label).toBeGreaterThanOrEqual(100_000);
      expect(col('tpr', label).interventions.apic, label).toBeGreaterThanOrEqual(100_000);
      expect(col('address-space', label).interventions['monitor-region'], label).toBeGreaterThanOrEqual(1);
    }
  });

  it('prints a table with the verdict line by default', () => {
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scenario\s+native\s+sw-013\s+sw-033 split\s+sw-033 shared\s+(.*\s)?expected$/);
    for (const s of SCENARIOS) expect(text.stdout).toMatch(new RegExp(`^${s.name}\\s.*\\sok$`, 'm'));
    expect(text.stdout).toMatch(/diverges: ring-alias/);
    expect(text.stdout).toMatch(/same \(\d+ exits\)/);
    expect(text.stdout).toMatch(/^ {2}ring-compression sw-033 shared: instruction \d+ \(.*\): ring compression$/m);
    expect(text.stdout).toMatch(/^ {2}syscalls sw-013 \(\d+ exits, [\d.]+\/1000 instr, \d+ cycles, x[\d.]+\): .*sysenter 100000/m);
    expect(lines[lines.length - 1]).toBe('matrix matches the expected matrix');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);
  });

  it('runs the guests a user gives without the check: ringside matrix IMAGE', () => {
    const r = ringside(['matrix', '--json', join(ROOT, 'emulator/guests/ring-aliasing.elf')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Report;
    expect(j.checked).toBe(false);
    expect(j.scenarios.map((s) => s.name)).toEqual(['ring-aliasing.elf']);
    expect(j.scenarios[0].columns.find((c) => c.label === 'sw-013')?.firstDivergence?.category).toBe('ring aliasing');
    expect(j.scenarios[0].columns.every((c) => c.expected === null)).toBe(true);
    const bad = ringside(['matrix', join(ROOT, 'no-such.elf')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects an unknown option with one line on stderr and exit code 2', () => {
    const r = ringside(['matrix', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });
});
