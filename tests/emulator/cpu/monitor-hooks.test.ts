import { describe, expect, it } from 'vitest';
import { miniSystem, CODE, TO_RING3 } from '../../helpers/mini-system';
import type { MonitorHooks, SensitiveOp } from '../../../emulator/cpu/monitor-hooks';

function monitor(over: Partial<MonitorHooks>, log: string[]): MonitorHooks {
  return {
    exception: (v, c) => (log.push(`exception ${v} ${c}`), false),
    externalInterrupt: () => false,
    instruction: (op: SensitiveOp) => (log.push(op), false),
    ...over,
  };
}

describe('monitor intercepts', () => {
  it('a monitor that emulates CPUID replaces the instruction, which still retires', () => {
    const sys = miniSystem();
    const log: string[] = [];
    sys.cpu.monitor = monitor({ instruction: (op) => (log.push(op), op === 'cpuid' && ((sys.cpu.regs[0] = 0x1234), true)) }, log);
    sys.load([0x31, 0xc0, 0x0f, 0xa2, 0xf4]); // xor eax,eax; cpuid; hlt
    const before = sys.cpu.icount;
    expect(sys.run()).toBe('halt');
    expect(sys.cpu.regs[0]).toBe(0x1234);
    expect(sys.cpu.regs[3]).toBe(0); // EBX untouched: the CPU did not run its own CPUID
    expect(log).toEqual(['cpuid', 'hlt']);
    expect(sys.cpu.icount - before).toBe(3);
  });

  it('a monitor sees a fault before the IDT and may handle it', () => {
    const sys = miniSystem();
    const log: string[] = [];
    sys.cpu.monitor = monitor({
      exception: (v, c) => {
        log.push(`exception ${v} ${c}`);
        sys.cpu.eip = (sys.cpu.eip + 2) >>> 0; // skip the UD2
        return true;
      },
    }, log);
    sys.load([0x0f, 0x0b, 0xf4]);
    sys.run();
    expect(log).toEqual(['exception 6 -1', 'hlt']);
    expect(sys.lastVector()).toBe(-1);
    expect(sys.cpu.eip).toBe(CODE + 3);
  });

  it('privilege faults come before the intercept: HLT at ring 3 is #GP(0), never a hlt intercept', () => {
    const sys = miniSystem();
    const log: string[] = [];
    sys.cpu.monitor = monitor({}, log);
    sys.load(TO_RING3);
    sys.load([0xf4], CODE + 0x100);
    sys.run();
    expect(log[0]).toBe('exception 13 0');
    expect(sys.lastVector()).toBe(13);
  });
});
