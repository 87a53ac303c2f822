import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ringside, ROOT } from '../helpers/cli';
import { SCENARIOS } from '../../scenarios/scenarios';
import type { MatrixReport, MatrixCell } from '../../cli/commands/matrix';

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
const VTX = ['vtx', 'vtx gen1'];
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

  it('has every scenario, in order, with three software columns and two vtx columns that meet their expectation', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const s of report.scenarios) {
      expect(s.category).toBe(SCENARIOS.find((x) => x.name === s.name)?.category);
      expect(s.native.reason).toBe('exit');
      expect(s.native.icount).toBeGreaterThan(0);
      expect(s.columns.map((c) => c.label)).toEqual([...SOFTWARE, ...VTX]);
      for (const c of s.columns) {
        expect(c.meets, `${s.name} ${c.label}`).toBe(true);
        expect(c.exits).toBeGreaterThan(0);
        expect(c.trapsPer1000).toBeGreaterThan(0);
        expect(Number(c.trapsPer1000.toFixed(1))).toBe(c.trapsPer1000); // one decimal
      }
    }
    expect(col('syscalls', 'sw-013')).toMatchObject({ mode: 'sw-013', shadow: null });
    expect(col('syscalls', 'sw-033 shared')).toMatchObject({ mode: 'sw-033', shadow: 'shared' });
  });

  it('ring aliasing, privileged state, interrupts and hidden state diverge in every software mode, with the first differing line', () => {
    for (const name of DIVERGE_EVERYWHERE) {
      for (const label of SOFTWARE) {
        const c = col(name, label);
        expect(c.outcome, `${name} ${label}`).toBe('diverges');
        expect(c.firstDifference, `${name} ${label}`).toBeDefined();
        expect(c.firstDifference!.line).toBeGreaterThan(0);
        expect(c.firstDifference!.native).not.toBe(c.firstDifference!.other);
      }
    }
    expect(col('ring-aliasing', 'sw-013').firstDifference!.other).toMatch(/cpl=1/);
    expect(col('ring-aliasing', 'sw-033 split').firstDifference!.other).toMatch(/cpl=3/);
  });

  it('address space, syscalls, tpr and the minikernel are the same everywhere; ring compression diverges only with a shared shadow', () => {
    for (const name of SAME_EVERYWHERE) {
      for (const label of SOFTWARE) {
        expect(col(name, label).outcome, `${name} ${label}`).toBe('same');
        expect(col(name, label).firstDifference).toBeUndefined();
      }
    }
    expect(col('ring-compression', 'sw-013').outcome).toBe('same');
    expect(col('ring-compression', 'sw-033 split').outcome).toBe('same');
    expect(col('ring-compression', 'sw-033 shared').outcome).toBe('diverges');
    expect(col('ring-compression', 'sw-033 shared').firstDifference).toBeDefined();
  });

  it('every vtx cell is the same as native; syscalls cost no exit per call; tpr writes exit only without the TPR shadow', () => {
    for (const s of report.scenarios) for (const label of VTX) expect(col(s.name, label).outcome, `${s.name} ${label}`).toBe('same');
    expect(col('syscalls', 'vtx').exits).toBeLessThan(1000);
    expect(col('tpr', 'vtx').interventions['APIC access'] ?? 0).toBeLessThan(20);
    expect(col('tpr', 'vtx gen1').interventions['APIC access']).toBeGreaterThanOrEqual(100_000);
    expect(Object.keys(col('address-space', 'vtx').interventions)).toEqual(['I/O instruction']);
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
    expect(lines[0]).toMatch(/^scenario\s+native\s+sw-013\s+sw-033 split\s+sw-033 shared\s+vtx\s+vtx gen1\s+expected$/);
    for (const s of SCENARIOS) expect(text.stdout).toMatch(new RegExp(`^${s.name}\\s.*\\sok$`, 'm'));
    expect(text.stdout).toMatch(/diverges @\d+/);
    expect(text.stdout).toMatch(/same \(\d+ exits\)/);
    expect(text.stdout).toMatch(/^ {2}ring-compression sw-033 shared: line \d+: native ".*" vs ".*"$/m);
    expect(text.stdout).toMatch(/^ {2}syscalls sw-013 \(\d+ exits, [\d.]+\/1000 instr\): .*sysenter 100000/m);
    expect(lines[lines.length - 1]).toBe('matrix matches the expected matrix');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);
  });

  it('rejects an unknown option with one line on stderr and exit code 2', () => {
    const r = ringside(['matrix', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });
});
