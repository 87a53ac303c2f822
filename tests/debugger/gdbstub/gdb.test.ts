/**
 * Debian's gdb, in batch mode, against `ringside replay --gdb` (reverse execution over a
 * recording), `ringside run --gdb` under a monitor, and `ringside record --gdb`; every value
 * gdb shows is checked against `ringside at` at the same instruction count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ringside } from '../../helpers/cli';
import { gdbAvailable, startRingside, runGdb, sections, type Background } from '../../helpers/gdb-session';

const IMAGE = 'emulator/guests/minikernel.elf';
const tmp = mkdtempSync(join(tmpdir(), 'ringside-gdb-'));
const children: Background[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  rmSync(tmp, { recursive: true, force: true });
});

const haveGdb = gdbAvailable();
const inCI = process.env.CI === 'true';
if (!haveGdb && !inCI) console.warn('gdb is not installed: the gdb integration tests are skipped (apt-get install gdb)');

const mark = (name: string) => `echo @@${name}\\n`;
const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'];

/** Registers as gdb's `info registers` prints them. */
function gdbRegisters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(\w+)\s+0x([0-9a-f]+)\s/gm)) out[m[1]] = parseInt(m[2], 16);
  return out;
}

/** Registers as `ringside at` prints them. */
function atRegisters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/\b(eax|ecx|edx|ebx|esp|ebp|esi|edi|eip|eflags)=([0-9a-f]{8})/g)) out[m[1]] = parseInt(m[2], 16);
  for (const m of text.matchAll(/^ {2}(es|cs|ss|ds|fs|gs)=([0-9a-f]{4}) /gm)) out[m[1]] = parseInt(m[2], 16);
  return out;
}

const icountOf = (text: string) => Number(/icount (\d+)/.exec(text)![1]);

function at(trace: string, icount: number, ...more: string[]): string {
  const r = ringside(['at', trace, '--icount', String(icount), ...more]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe.skipIf(!haveGdb && !inCI)('gdb against ringside', () => {
  it('gdb is installed (required in CI)', () => {
    expect(haveGdb, 'gdb is required when CI=true (apt-get install gdb)').toBe(true);
  });

  it('replay --gdb: breakpoint on an ELF symbol, registers and memory, stepi, reverse-stepi, reverse-continue, a watchpoint hit backwards (write and read), monitor sreg', async () => {
    const trace = join(tmp, 'mk.sqlite');
    expect(ringside(['record', IMAGE, '--out', trace]).code).toBe(1);
    const server = await startRingside(['replay', trace]);
    children.push(server);
    const g = runGdb(IMAGE, server.port, [
      'break sys_write',
      'continue',
      mark('first'), 'monitor icount', 'info registers', 'x/4xw $esp',
      mark('stepi'), 'stepi', 'monitor icount', 'info registers eip',
      mark('rstepi'), 'reverse-stepi', 'monitor icount', 'info registers eip',
      mark('second'), 'continue', 'monitor icount',
      mark('rcont'), 'reverse-continue', 'monitor icount',
      'delete',
      'watch -l *(int*)&lines_written',
      'continue', 'continue',
      mark('wback'), 'reverse-continue', 'monitor icount', 'print *(int*)&lines_written', 'info registers eip',
      'delete',
      'rwatch *(int*)&lines_written',
      mark('rwatch'), 'reverse-continue', 'info registers eip',
      mark('sreg'), 'monitor sreg',
      mark('end'), 'detach',
    ]);
    const s = sections(g.output);
    expect(s.first, g.output).toBeDefined();
    expect(g.output).toMatch(/Breakpoint 1, 0x001007c0 in sys_write \(\)/);

    // Registers and memory at the first hit, as `ringside at` shows them at that count.
    const n1 = icountOf(s.first);
    const regs = gdbRegisters(s.first);
    const state = atRegisters(at(trace, n1));
    for (const name of [...NAMES, 'cs', 'ss', 'ds', 'es', 'fs', 'gs']) expect(regs[name], name).toBe(state[name]);
    const words = [...s.first.matchAll(/\t0x([0-9a-f]{8})/g)].map((m) => parseInt(m[1], 16));
    expect(words).toHaveLength(4);
    const dump = at(trace, n1, '--memory', `0x${regs.esp.toString(16)}:16`);
    const row = /memory at [^\n]*\n {2}[0-9a-f]{8} {2}([^|]*)\|/.exec(dump)![1];
    const bytes = row.trim().split(/\s+/).map((b) => parseInt(b, 16));
    expect(bytes).toHaveLength(16);
    expect(words).toEqual([0, 4, 8, 12].map((k) => (bytes[k] | (bytes[k + 1] << 8) | (bytes[k + 2] << 16) | (bytes[k + 3] << 24)) >>> 0));

    // stepi and reverse-stepi move one instruction each way.
    expect(icountOf(s.stepi)).toBe(n1 + 1);
    expect(gdbRegisters(s.stepi).eip).toBe(atRegisters(at(trace, n1 + 1)).eip);
    expect(icountOf(s.rstepi)).toBe(n1);
    expect(gdbRegisters(s.rstepi).eip).toBe(0x1007c0);

    // continue to the second hit, reverse-continue back to the first.
    const n2 = icountOf(s.second);
    expect(n2).toBeGreaterThan(n1);
    expect(s.rcont).toMatch(/Breakpoint 1, 0x001007c0 in sys_write/);
    expect(icountOf(s.rcont)).toBe(n1);

    // The watchpoint hit backwards: before the instruction that wrote, with the old value.
    expect(s.wback).toMatch(/Hardware watchpoint 2: -location \*\(int\*\)&lines_written\s+Old value = 2\s+New value = 1/);
    expect(s.wback).toMatch(/\$\d+ = 1\n/);
    const n3 = icountOf(s.wback);
    const there = at(trace, n3, '--memory', 'lines_written:4');
    expect(gdbRegisters(s.wback).eip).toBe(atRegisters(there).eip);
    expect(there).toMatch(/=> 00100805 sys_write\.done +ff 05 08 0c 10 00 +inc dword ptr/);
    expect(there).toMatch(/00100c08 {2}01 00 00 00/);
    expect(at(trace, n3 + 1, '--memory', 'lines_written:4')).toMatch(/00100c08 {2}02 00 00 00/);

    // A read watchpoint going backwards: the earlier INC read the counter (still 0 before it).
    expect(s.rwatch).toMatch(/Hardware read watchpoint 3: \*\(int\*\)&lines_written\s+Value = 0/);
    expect(gdbRegisters(s.rwatch).eip).toBe(0x100805);

    expect(s.sreg).toMatch(/segment registers \(selector, then the hidden descriptor cache\):\n {2}es=0010 .*\n {2}cs=0008 {2}base=00000000 limit=ffffffff rights=[0-9a-f]{8} code readable DPL0 32-bit/);
    expect(s.end).toMatch(/detached/);
    const end = await server.done;
    expect(end.code).toBe(0);
  }, 180_000);

  it('run --mode sw-013 --gdb: gdb sees the guest as it sees itself, and the guest runs on after detach', async () => {
    const server = await startRingside(['run', IMAGE, '--mode', 'sw-013']);
    children.push(server);
    const g = runGdb(IMAGE, server.port, [
      mark('start'), 'x/2i $pc',
      'break sys_write', 'continue',
      mark('hit'), 'info registers', 'monitor icount', 'monitor vcpu', 'monitor exits',
      mark('end'), 'detach',
    ]);
    const s = sections(g.output);
    // Under the monitor the guest runs at ring 1, but its own CS and SS have RPL 0, IF is its virtual IF.
    expect(s.start, g.output).toMatch(/=> 0x100312 <_start>:\s+cli/);
    const regs = gdbRegisters(s.hit);
    expect(regs.eip).toBe(0x1007c0);
    expect(regs.cs).toBe(0x08);
    expect(regs.ss).toBe(0x10);
    expect(s.hit).toMatch(/monitor sw-013: the guest runs at ring 1; its virtual CPU:\n {2}cpl=0/);
    expect(s.hit).toMatch(/\d+ monitor exits, \d+ shadow CR3 switches over \d+ guest instructions\n {2}interrupt/);
    // The same count natively: the monitor's work is invisible to the guest's time.
    const native = await startRingside(['run', IMAGE]);
    children.push(native);
    const n = runGdb(IMAGE, native.port, ['break sys_write', 'continue', mark('hit'), 'info registers', 'monitor icount', 'detach']);
    const ns = sections(n.output);
    expect(icountOf(s.hit)).toBe(icountOf(ns.hit));
    for (const name of NAMES) expect(regs[name], name).toBe(gdbRegisters(ns.hit)[name]);
    const end = await server.done;
    expect(end.code).toBe(1); // the guest's own exit code after it ran on
    expect(end.stdout).toMatch(/^minikernel: two ring-3 processes/);
    expect((await native.done).code).toBe(1);
  }, 180_000);

  it('record --gdb: a debugging session becomes a trace; a kill ends the run there and it verifies', async () => {
    const trace = join(tmp, 'session.sqlite');
    const server = await startRingside(['record', IMAGE, '--out', trace]);
    children.push(server);
    const g = runGdb(IMAGE, server.port, ['break sys_write', 'continue', 'stepi', mark('here'), 'monitor icount', 'info registers eip', 'kill']);
    const s = sections(g.output);
    const n = icountOf(s.here);
    const end = await server.done;
    expect(end.code).toBe(124);
    expect(end.stderr).toMatch(new RegExp(`the debugger killed the run at icount ${n}`));
    expect(end.stderr).toMatch(new RegExp(`recorded run 1 into .*: ${n} instructions, \\d+ events, \\d+ snapshots, end limit`));
    const v = ringside(['replay', trace, '--verify']);
    expect(v.stderr).toMatch(/verified: \d+ events identical/);
    expect(v.code).toBe(0);
    expect(atRegisters(at(trace, n)).eip).toBe(gdbRegisters(s.here).eip);
  }, 180_000);
});
