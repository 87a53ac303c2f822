import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeGuestDisks } from '../helpers/guest-disks';
import { ringside, ROOT } from '../helpers/cli';
import { SCENARIOS, type Scenario } from '../../scenarios/scenarios';
import { COST_MODELS } from '../../recorder/diff/cost';
import { formatMatrix, cellMeets, shortCycles, type MatrixReport, type MatrixCell } from '../../cli/commands/matrix';

type Report = MatrixReport;
type Cell = MatrixCell;

/** Like ringside(), but asynchronous and with a longer timeout (the whole matrix). */
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

const LABELS = ['sw-013', 'sw-033 split', 'sw-033 shared', 'vtx', 'vtx gen1'];
const SOFTWARE = LABELS.slice(0, 3);

/**
 * Every cell as the diff engine must find it: 'same', or the category of the first divergence
 * and the instruction there (scenario guests are deterministic, so the instruction is fixed).
 */
const RA = { category: 'ring aliasing', disassembly: 'push cs' };
const PS = { category: 'non-faulting access to privileged state', disassembly: 'sgdt [edi]' };
const IV = { category: 'interrupt virtualization', disassembly: 'pushfd' };
const HS = { category: 'hidden state', disassembly: 'mov eax,fs:[0]' };
const RC = { category: 'ring compression', disassembly: 'mov ecx,[102000h]' };
type Want = 'same' | { category: string; disassembly: string };
const CELLS: Record<string, Want[]> = {
  'ring-aliasing': [RA, RA, RA, 'same', 'same'],
  'address-space': ['same', 'same', 'same', 'same', 'same'],
  'privileged-state': [PS, PS, PS, 'same', 'same'],
  syscalls: ['same', 'same', 'same', 'same', 'same'],
  interrupts: [IV, IV, IV, 'same', 'same'],
  'hidden-state': [HS, HS, HS, 'same', 'same'],
  'ring-compression': ['same', 'same', RC, 'same', 'same'],
  tpr: ['same', 'same', 'same', 'same', 'same'],
  minikernel: ['same', 'same', 'same', 'same', 'same'],
};

let json: { code: number; stdout: string; stderr: string };
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
const scenario = (name: string): Scenario => SCENARIOS.find((s) => s.name === name) as Scenario;

describe('ringside matrix', () => {
  beforeAll(async () => {
    json = await ringsideAsync(['matrix', '--json']);
    report = JSON.parse(json.stdout) as Report;
  }, 300_000);

  it('--json: exits 0, the matrix matches the expected one, no progress on a non-terminal stderr', () => {
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(report.checked).toBe(true);
    expect(report.matches).toBe(true);
  });

  it('has every scenario, in order, with five monitored columns that meet their expectation', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const s of report.scenarios) {
      expect(s.category).toBe(scenario(s.name).category);
      expect(s.native.reason).toBe('exit');
      expect(s.native.icount).toBeGreaterThan(0);
      expect(s.columns.map((c) => c.label)).toEqual(LABELS);
      for (const c of s.columns) {
        expect(c.meets, `${s.name} ${c.label}`).toBe(true);
        expect(c.expected, `${s.name} ${c.label}`).not.toBeNull();
        expect(c.exits).toBeGreaterThan(0);
        expect(Number(c.trapsPer1000.toFixed(1))).toBe(c.trapsPer1000); // one decimal
      }
    }
    expect(col('syscalls', 'sw-013')).toMatchObject({ mode: 'sw-013', shadow: null, vtxGen: null });
    expect(col('syscalls', 'sw-033 shared')).toMatchObject({ mode: 'sw-033', shadow: 'shared' });
    expect(col('syscalls', 'vtx gen1')).toMatchObject({ mode: 'vtx', vtxGen: 1 });
  });

  it('every cell is same or names the category and the instruction of the first divergence, as the diff engine finds it', () => {
    for (const [name, wants] of Object.entries(CELLS)) {
      wants.forEach((want, k) => {
        const c = col(name, LABELS[k]);
        const where = `${name} ${LABELS[k]}`;
        if (want === 'same') {
          expect(c.outcome, where).toBe('same');
          expect(c.firstDivergence, where).toBeUndefined();
          expect(c.end.icount, where).toBe(row(name).native.icount); // same also means the same length
          return;
        }
        expect(c.outcome, where).toBe('diverges');
        expect(c.firstDivergence?.category, where).toBe(want.category);
        expect(c.firstDivergence?.disassembly, where).toBe(want.disassembly);
        expect(c.firstDivergence!.icount, where).toBeGreaterThan(0);
        expect(c.firstDivergence!.icount, where).toBeLessThanOrEqual(row(name).native.icount);
        expect(c.firstDivergence!.differences.length, where).toBeGreaterThan(0);
      });
    }
    // The diff names the ring the monitor runs the guest in: RPL 1 under sw-013, 3 under sw-033.
    expect(col('ring-aliasing', 'sw-013').firstDivergence!.differences[0]).toMatchObject({ kind: 'memory', left: 8, right: 9 });
    expect(col('ring-aliasing', 'sw-033 split').firstDivergence!.differences[0]).toMatchObject({ kind: 'memory', left: 8, right: 11 });
    // The software columns agree on where each challenge first shows.
    for (const name of ['ring-aliasing', 'privileged-state', 'interrupts', 'hidden-state']) {
      expect(new Set(SOFTWARE.map((l) => col(name, l).firstDivergence!.icount)).size, name).toBe(1);
    }
  });

  it('prices every cell with the cost model of its monitor family, VT-x generation 1 with its own round trip', () => {
    for (const s of report.scenarios) {
      for (const c of s.columns) {
        const where = `${s.name} ${c.label}`;
        const model = c.mode.startsWith('sw') ? COST_MODELS.software : c.vtxGen === 1 ? COST_MODELS['vtx-first-generation'] : COST_MODELS.vtx;
        expect(c.cost, where).not.toBeNull();
        expect(c.cost!.model, where).toBe(model.name);
        const exits = Object.values(c.cost!.exitsByReason).reduce((a, b) => a + b, 0);
        expect(exits, where).toBe(c.exits); // one monitor_exit event per exit the monitor counts
        expect(c.cost!.extraCycles, where).toBeGreaterThanOrEqual(exits * model.roundTrip);
        expect(c.cost!.slowdown, where).toBeGreaterThan(1);
      }
    }
    // The same exits cost more on the first generation (no TPR shadow aside), which also has its
    // shadow page tables' page-fault exits.
    const gen1 = col('syscalls', 'vtx gen1').interventions;
    expect(gen1['I/O instruction']).toBe(col('syscalls', 'vtx').exits);
    expect(col('syscalls', 'vtx gen1').exits).toBe(gen1['I/O instruction'] + (gen1['exception or non-maskable interrupt (NMI)'] ?? 0));
    expect(col('syscalls', 'vtx gen1').cost!.extraCycles).toBeGreaterThan(col('syscalls', 'vtx').cost!.extraCycles);
    // 200,000 system-call traps dominate the software columns' estimate.
    expect(col('syscalls', 'sw-013').cost!.extraCycles).toBeGreaterThan(200_000 * COST_MODELS.software.roundTrip);
  });

  it('counts the interventions the expectations ask for', () => {
    for (const label of SOFTWARE) {
      const sys = col('syscalls', label).interventions;
      expect(sys.sysenter, label).toBeGreaterThanOrEqual(100_000);
      expect(sys.sysexit, label).toBeGreaterThanOrEqual(100_000);
      expect(col('tpr', label).interventions.apic, label).toBeGreaterThanOrEqual(100_000);
      expect(col('address-space', label).interventions['monitor-region'], label).toBeGreaterThanOrEqual(1);
    }
    expect(col('syscalls', 'vtx').exits).toBeLessThan(1000);
    expect(col('tpr', 'vtx').interventions['APIC access'] ?? 0).toBeLessThan(20);
    expect(col('tpr', 'vtx gen1').interventions['APIC access']).toBeGreaterThanOrEqual(100_000);
    // No exit for the reserved region; generation 1 adds only its shadow page tables' exits.
    expect(Object.keys(col('address-space', 'vtx').interventions)).toEqual(['I/O instruction']);
    expect(Object.keys(col('address-space', 'vtx gen1').interventions).sort()).toEqual(['I/O instruction', 'INVLPG', 'control-register accesses', 'exception or non-maskable interrupt (NMI)'].sort());
  });

  it('prints the outcome table, the cost table, the first divergences and the verdict', () => {
    const text = formatMatrix(report);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scenario\s+native\s+sw-013\s+sw-033 split\s+sw-033 shared\s+vtx\s+vtx gen1\s+expected$/);
    for (const s of SCENARIOS) expect(text).toMatch(new RegExp(`^${s.name}\\s+exit 1, \\d+ instr\\s.*\\sok$`, 'm'));
    expect(text).toMatch(/^ring-aliasing\s.*\s+ring-alias @1722\s+ring-alias @1722\s+ring-alias @1722\s+same\s+same\s+ok$/m);
    expect(text).toMatch(/^ring-compression\s.*\s+same\s+same\s+ring-compr @\d+\s+same\s+same\s+ok$/m);
    expect(text).toMatch(/^syscalls\s+200520 ex [\d.]+M x[\d.]+\s/m);
    expect(text).toMatch(/^ {2}ring-compression sw-033 shared: instruction \d+ at 001b:[0-9a-f]{8} .*: ring compression$/m);
    expect(text).toMatch(/^ {4}differs \(native vs monitored\): memory \[0x[0-9a-f]{8}\] 0x00000008 vs 0x00000009$/m);
    expect(text).toMatch(/^ {2}syscalls sw-013 \(\d+ exits, [\d.]+\/1000 instr\): sysenter 100000/m);
    expect(lines[lines.length - 1]).toBe('matrix matches the expected matrix');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);
  });

  it('prints a cell that misses its expectation, with what was expected and measured', () => {
    const bad: Report = JSON.parse(JSON.stringify(report));
    const r = bad.scenarios.find((s) => s.name === 'interrupts')!;
    r.columns[0].meets = false;
    bad.matches = false;
    const text = formatMatrix(bad);
    expect(text).toMatch(/^interrupts\s.*interrupts @\d+ !\s.*\sMISMATCH$/m);
    expect(text).toMatch(/^ {2}interrupts sw-013: expected diverges \(interrupt virtualization\); measured diverges \(interrupt virtualization\)$/m);
    expect(text.trimEnd().split('\n').pop()).toBe('matrix does NOT match the expected matrix (1 cell)');
  });

  it('runs the images a user gives without the check: exit 0, no expected column, the same cells', () => {
    const t = ringside(['matrix', join(ROOT, 'emulator/guests/ring-aliasing.elf')]);
    expect(t.code).toBe(0);
    expect(t.stderr).toBe('');
    expect(t.stdout.split('\n')[0]).toMatch(/^scenario\s+native\s+sw-013\s+sw-033 split\s+sw-033 shared\s+vtx\s+vtx gen1$/);
    expect(t.stdout).toMatch(/^ring-aliasing\.elf\s+exit 1, 3655 instr\s+ring-alias @1722\s+ring-alias @1722\s+ring-alias @1722\s+same\s+same$/m);
    expect(t.stdout).not.toMatch(/expected matrix/);
    const j = ringside(['matrix', '--json', join(ROOT, 'emulator/guests/privileged-state.elf')]);
    expect(j.code).toBe(0);
    const u = JSON.parse(j.stdout) as Report;
    expect(u.checked).toBe(false);
    expect(u.scenarios.map((s) => s.name)).toEqual(['privileged-state.elf']);
    expect(u.scenarios[0].columns.every((c) => c.expected === null && c.meets)).toBe(true);
    expect(u.scenarios[0].columns.map((c) => c.firstDivergence?.category ?? 'same')).toEqual([PS.category, PS.category, PS.category, 'same', 'same']);
  });

  it('stops a user image at --max-instructions and diffs up to there', () => {
    const r = ringside(['matrix', '--json', '--max-instructions', '1000', join(ROOT, 'emulator/guests/ring-aliasing.elf')]);
    expect(r.code).toBe(0);
    const u = JSON.parse(r.stdout) as Report;
    expect(u.scenarios[0].native).toMatchObject({ reason: 'limit', icount: 1000 });
    for (const c of u.scenarios[0].columns) expect(c.outcome, c.label).toBe('same'); // PUSH CS is instruction 1722
  });

  it('runs a user image on the machine it needs: disks, input, RAM, the same in every column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringside-matrix-'));
    try {
      const disks = makeGuestDisks('ata', dir).flatMap((d) => ['--disk', d]);
      const input = join(dir, 'input.txt');
      writeFileSync(input, 'ring\n');
      const r = ringside(['matrix', '--json', '--ram', '64M', ...disks, join(ROOT, 'emulator/guests/ata.elf')]);
      expect(r.code, r.stderr).toBe(0);
      const ata = (JSON.parse(r.stdout) as Report).scenarios[0];
      expect(ata.native.reason).toBe('exit');
      for (const c of ata.columns) expect(c.outcome, `ata ${c.label}`).toBe('same');
      // Serial input taken by interrupt (COM1's IRQ 4) under every monitor.
      const u = ringside(['matrix', '--json', '--input', input, join(ROOT, 'emulator/guests/tests/uart-irq.elf')]);
      expect(u.code, u.stderr).toBe(0);
      const irq = (JSON.parse(u.stdout) as Report).scenarios[0];
      expect(irq.native).toMatchObject({ reason: 'exit', exitCode: 1 });
      for (const c of irq.columns) expect(c.outcome, `uart-irq ${c.label}`).toBe('same');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses machine options without images: the scenario guests run on the default machine', () => {
    const r = ringside(['matrix', '--ram', '64M']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/are for the images given/);
  });

  it('refuses a missing file, a file that is not a kernel and a bad limit with one line and exit code 2', () => {
    for (const args of [['no-such.elf'], [join(ROOT, 'README.md')], ['--max-instructions', 'lots', join(ROOT, 'emulator/guests/tpr.elf')]]) {
      const r = ringside(['matrix', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('rejects an unknown option with one line on stderr and exit code 2', () => {
    const r = ringside(['matrix', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });
});

describe('the matrix check of one cell', () => {
  const cell = (over: Partial<Cell>): Cell => ({
    label: 'sw-013', mode: 'sw-013', shadow: null, vtxGen: null, outcome: 'same', end: { reason: 'exit', exitCode: 1, icount: 100 },
    exits: 10, trapsPer1000: 100, interventions: { io: 10 }, cost: null, expected: null, meets: true, ...over,
  });
  const div = (category: string): Partial<Cell> => ({
    outcome: 'diverges', firstDivergence: { icount: 5, cs: 8, eip: 0x100000, symbol: '', disassembly: 'push cs', category, differences: [] },
  });

  it('a diverging cell meets "diverges" only when the first divergence has the scenario\'s category', () => {
    const s = scenario('ring-aliasing');
    expect(cellMeets(s.sw013, s, cell(div('ring aliasing')))).toBe(true);
    expect(cellMeets(s.sw013, s, cell(div('interrupt virtualization')))).toBe(false);
    expect(cellMeets(s.sw013, s, cell(div('unclassified')))).toBe(false);
    expect(cellMeets(s.sw013, s, cell({}))).toBe(false); // same where it should diverge
    expect(cellMeets(s.vtx, s, cell({ interventions: { 'I/O instruction': 3 } }))).toBe(true);
    expect(cellMeets(s.vtx, s, cell(div('ring aliasing')))).toBe(false); // diverges where it should be same
  });

  it('checks minimum and maximum counts and the kinds of exits allowed', () => {
    const sys = scenario('syscalls');
    expect(cellMeets(sys.sw013, sys, cell({ interventions: { sysenter: 100_000, sysexit: 100_000 } }))).toBe(true);
    expect(cellMeets(sys.sw013, sys, cell({ interventions: { sysenter: 100_000, sysexit: 99_999 } }))).toBe(false);
    expect(cellMeets(sys.vtx, sys, cell({ exits: 999, interventions: { 'I/O instruction': 999 } }))).toBe(true);
    expect(cellMeets(sys.vtx, sys, cell({ exits: 1001, interventions: { 'I/O instruction': 1001 } }))).toBe(false);
    expect(cellMeets(sys.vtx, sys, cell({ exits: 2, interventions: { 'I/O instruction': 1, CPUID: 1 } }))).toBe(false);
  });

  it('"ends" asks for the guest\'s own successful end as well as the native behaviour', () => {
    const mk = scenario('minikernel');
    expect(cellMeets(mk.sw013, mk, cell({}))).toBe(true);
    expect(cellMeets(mk.sw013, mk, cell({ end: { reason: 'exit', exitCode: 3, icount: 100 } }))).toBe(false);
    expect(cellMeets(mk.sw013, mk, cell({ end: { reason: 'limit', exitCode: 0, icount: 100 } }))).toBe(false);
  });

  it('writes cycles with a unit', () => {
    expect(shortCycles(999)).toBe('999');
    expect(shortCycles(422_700)).toBe('422.7k');
    expect(shortCycles(220_600_000)).toBe('220.6M');
    expect(shortCycles(3_500_000_000)).toBe('3.50G');
  });
});
