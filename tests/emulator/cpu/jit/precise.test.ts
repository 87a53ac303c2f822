import { describe, expect, it } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import { EventRecorder } from '../../../../recorder/event-recorder';
import { EventKind, type TraceEvent } from '../../../../recorder/events';
import { EAX, EDX, ESI } from '../../../../emulator/cpu/constants';

const BASE = 0x100000;

function run(code: number[], jit: boolean, max = 1_000_000): { m: Machine; events: TraceEvent[] } {
  const m = new Machine(new Uint8Array(code), { flatAddress: BASE, ramSize: 4 * 1024 * 1024, jit });
  m.executor.hotTranslate = 2;
  const events: TraceEvent[] = [];
  new EventRecorder(m, (e: TraceEvent) => events.push(e)).attach();
  m.run(max);
  return { m, events };
}

const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];

describe('translated blocks keep exceptions precise', () => {
  // lgdt [gdtr]; mov ax, 0x18; mov ds, ax (a data segment of 4 KiB); xor esi, esi; mov ecx, 0x10000
  // L: add eax, [esi]; add esi, 4; dec ecx; jnz L   (the read at ESI = 0x1000 is past the limit)
  const loop = 5 + 6 + 2 + 2 + 5;
  const gdt = BASE + 0x40;
  const code = [
    0x0f, 0x01, 0x15, ...le32(gdt + 32), 0x66, 0xb8, 0x18, 0x00, 0x8e, 0xd8, 0x31, 0xf6, 0xb9, ...le32(0x10000),
    0x03, 0x06, 0x83, 0xc6, 0x04, 0x49, 0x75, 0xf8, 0xe6, 0xf4,
  ];
  while (code.length < 0x40) code.push(0x90);
  code.push(0, 0, 0, 0, 0, 0, 0, 0); // null
  code.push(0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0); // 0x08 code, flat
  code.push(0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0); // 0x10 data, flat
  code.push(0xff, 0x0f, 0, 0, 0, 0x92, 0x40, 0); // 0x18 data, limit 0xFFF, byte granular
  code.push(31, 0, ...le32(gdt)); // gdtr

  it('a #GP in the middle of a translated loop stops at the faulting instruction with its count and registers', () => {
    const interp = run(code, false);
    const jit = run(code, true);
    expect(jit.m.executor.blocksTranslated).toBeGreaterThan(0);
    const fault = (events: TraceEvent[]) => events.find((e) => e.kind === EventKind.exception)!;
    // 5 set-up instructions and 1024 passes of 4 retired before the read of ESI = 0x1000 faults.
    for (const r of [interp, jit]) {
      expect(fault(r.events)).toMatchObject({ a: 13, b: 0, icount: 5 + 4 * 1024, eip: BASE + loop });
      expect(r.m.cpu.regs[ESI]).toBe(0x1000);
    }
    expect(jit.events).toEqual(interp.events);
    expect([...jit.m.cpu.regs]).toEqual([...interp.m.cpu.regs]);
    expect(jit.m.cpu.getFlags()).toBe(interp.m.cpu.getFlags());
  });

  it('a stop at a requested count inside a translated loop comes at that count', () => {
    for (const max of [5 + 4 * 300 + 2, 5 + 4 * 700 + 3, 5 + 4 * 1000]) {
      const interp = run(code, false, max);
      const jit = run(code, true, max);
      expect(jit.m.cpu.icount).toBe(max);
      expect(jit.m.cpu.eip).toBe(interp.m.cpu.eip);
      expect([...jit.m.cpu.regs]).toEqual([...interp.m.cpu.regs]);
      expect(jit.m.cpu.getFlags()).toBe(interp.m.cpu.getFlags());
    }
  });
});

describe('translated code that rewrites itself', () => {
  // xor eax, eax; xor edx, edx; mov ecx, 100; L: inc eax; dec ecx; jnz L   (translated while it runs)
  // cmp byte [L], 0x42; je done; mov byte [L], 0x42     (L becomes inc edx)
  // mov ecx, 100; jmp L; done: out 0xf4, al
  const L = BASE + 9;
  const code = [0x31, 0xc0, 0x31, 0xd2, 0xb9, ...le32(100), 0x40, 0x49, 0x75, 0xfc, 0x80, 0x3d, ...le32(L), 0x42, 0x74, 0x0e,
    0xc6, 0x05, ...le32(L), 0x42, 0xb9, ...le32(100), 0xeb, 0xe5, 0xe6, 0xf4];

  it('runs the new instruction after the write, translated or not', () => {
    for (const jit of [false, true]) {
      const { m } = run(code, jit);
      expect(m.cpu.stopReason).toBe('exit');
      expect(m.cpu.regs[EAX]).toBe(100);
      expect(m.cpu.regs[EDX]).toBe(100);
      if (jit) expect(m.executor.blocksTranslated).toBeGreaterThanOrEqual(2);
      expect(m.executor.invalidations).toBeGreaterThan(0);
    }
  });
});
