// --max-instructions bounds host time: one execution of a REP string instruction moves at most
// 256 elements that reach a port, MMIO or unbacked memory (65,536 budget units, 256 each), and
// an observer hears of one REP INS/OUTS execution once (count, digest, last value), not per element.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../emulator/machine';
import { ECX } from '../../../emulator/cpu/constants';
import { IO_DIGEST_START, ioDigest, type CpuObserver } from '../../../emulator/cpu/observer';
import { BUS_ELEMENT, REP_CHUNK } from '../../../emulator/cpu/ops/string';
import { testGuestImage } from '../../helpers/guests';

const PER_EXECUTION = REP_CHUNK / BUS_ELEMENT;

/** Runs the guest up to its REP instruction (label rep_here). */
function atRep(name: string): Machine {
  const m = new Machine(testGuestImage(name));
  const rep = m.symbols.addressOf('rep_here')!;
  m.executor.breakpoints.add(rep);
  m.run(1_000_000);
  m.executor.breakpoints.clear();
  expect(m.cpu.eip).toBe(rep);
  return m;
}

function listen(m: Machine) {
  const calls: { name: string; args: unknown[] }[] = [];
  m.cpu.observer = new Proxy({} as CpuObserver, { get: (_t, name) => (...args: unknown[]) => void calls.push({ name: String(name), args }) });
  return calls;
}

describe('REP string instructions under an instruction limit', () => {
  it('REP OUTSB from unbacked memory to an unclaimed port: 256 elements per counted instruction, one ioString each', () => {
    const m = atRep('rep-outs');
    const calls = listen(m);
    const start = m.cpu.icount;
    const t0 = performance.now();
    const r = m.run(1000);
    const ms = performance.now() - t0;
    expect(r.reason).toBe('limit');
    expect(m.cpu.icount - start).toBe(1000);
    expect(m.cpu.regs[ECX] >>> 0).toBe(0x80000000 - 1000 * PER_EXECUTION);
    expect(m.cpu.eip).toBe(m.symbols.addressOf('rep_here')); // stopped between iterations, on the instruction
    expect(calls.filter((c) => c.name === 'io')).toEqual([]);
    const strings = calls.filter((c) => c.name === 'ioString');
    expect(strings.length).toBe(1000);
    let digest = IO_DIGEST_START;
    for (let k = 0; k < PER_EXECUTION; k++) digest = ioDigest(digest, 0xff, 1);
    expect(strings[0].args).toEqual([true, 0x80, 1, PER_EXECUTION, digest, 0xff]);
    expect(ms).toBeLessThan(10_000); // 256,000 port writes; at 65,536 per instruction it was 65 million
  });

  it('REP MOVSB between unbacked addresses: the same bound', () => {
    const m = atRep('rep-unbacked');
    m.run(1000);
    expect(m.cpu.regs[ECX] >>> 0).toBe(0x80000000 - 1000 * PER_EXECUTION);
  });

  it('REP STOSD over RAM keeps its 65,536 elements per execution', () => {
    const m = new Machine(testGuestImage('rep-unbacked'));
    const cpu = m.cpu;
    // rep stosd at a scratch address in RAM: F3 AB, then HLT.
    cpu.ram.set([0xf3, 0xab, 0xf4], 0x7000);
    cpu.eip = 0x7000;
    cpu.regs[ECX] = 200_000;
    cpu.regs[7] = 0x200000; // EDI
    m.run(1);
    expect(cpu.regs[ECX]).toBe(200_000 - REP_CHUNK);
  });
});
