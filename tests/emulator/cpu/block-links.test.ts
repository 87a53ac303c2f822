/**
 * Block links (the executor's cache from one block to the next by CS:EIP): valid per privilege
 * level, so that a fetch a link skips is never one that would fault at the current CPL, and kept
 * across SYSENTER/SYSEXIT, so that a system-call loop follows links instead of looking blocks up.
 */
import { describe, it, expect } from 'vitest';
import { miniSystem, CODE, TO_RING3 } from '../../helpers/mini-system';
import { Machine } from '../../../emulator/machine';
import { scenarioImage } from '../../../scenarios/scenarios';

const PD = 0x20000, PT = 0x21000;
const S = CODE + 0x400; // shared code on a user page: jmp T
const T = CODE + 0x3000; // a supervisor-only page: the code that enters ring 3

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const jmpRel32 = (from: number, to: number) => [0xe9, ...le32(to - (from + 5))];

describe('block links', () => {
  it('made at CPL 0 are not followed at CPL 3: the jump into a supervisor page faults there', () => {
    const sys = miniSystem();
    // Identity-map 4 MiB, user-accessible, except T's page (supervisor only).
    sys.cpu.ram32[PD >> 2] = PT | 7;
    for (let p = 0; p < 1024; p++) sys.cpu.ram32[(PT >> 2) + p] = (p << 12) | 7;
    sys.cpu.ram32[(PT >> 2) + (T >>> 12)] = T | 3;
    const start = [
      0xb8, ...le32(PD), 0x0f, 0x22, 0xd8, // mov eax, PD; mov cr3, eax
      0x0f, 0x20, 0xc0, 0x0d, ...le32(0x80000000), 0x0f, 0x22, 0xc0, // mov eax, cr0; or eax, PG; mov cr0, eax
    ];
    sys.load([...start, ...jmpRel32(CODE + start.length, S)]); // ring 0 runs S first: S -> T is linked at CPL 0
    sys.load(jmpRel32(S, T), S);
    sys.load(TO_RING3, T); // T enters ring 3 at CODE+0x100
    sys.load(jmpRel32(CODE + 0x100, S), CODE + 0x100); // ring 3 runs S again: jmp T must fault
    expect(sys.run()).toBe('halt');
    expect(sys.lastVector()).toBe(14);
    expect(sys.cpu.cr2 >>> 0).toBe(T);
  });

  it('survive SYSENTER/SYSEXIT: a million system calls look up a handful of blocks', () => {
    const m = new Machine(scenarioImage('bench-syscall'), { onUartByte: () => {} });
    expect(m.run().reason).toBe('exit');
    // Each round trip crosses two privilege levels; links are followed, not re-looked up.
    expect(m.executor.lookups).toBeLessThan(10_000);
  });
});
