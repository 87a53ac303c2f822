import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine';
import { guestRegisters, guestTranslate, readGuest, writeGuest } from '../../emulator/guest-view';
import { disassemble } from '../../emulator/disasm';
import { scenarioImage } from '../../scenarios/scenarios';
import { CS, ESP } from '../../emulator/cpu/constants';

const image = scenarioImage('minikernel');
const MODES = [
  { mode: 'native' as const },
  { mode: 'sw-013' as const },
  { mode: 'sw-033' as const, shadow: 'split' as const },
  { mode: 'sw-033' as const, shadow: 'shared' as const },
];

describe('the guest view (registers and memory as the guest sees them)', () => {
  for (const opts of MODES) {
    const name = `${opts.mode}${'shadow' in opts ? ' ' + opts.shadow : ''}`;
    it(`${name}: _start disassembles at icount 0, before any shadow page-table entry is filled`, () => {
      const m = new Machine(image, opts);
      const start = m.symbols.addressOf('_start')!;
      const lines = disassemble(m, 3);
      expect(lines[0].address).toBe(start);
      expect(lines[0].text).toBe('cli');
      expect(lines.every((l) => l.text !== '(not readable)')).toBe(true);
    });

    it(`${name}: registers are the guest's own (virtual CPL 0, CS RPL 0), and reads change nothing`, () => {
      const m = new Machine(image, opts);
      m.run(200_000);
      const g = guestRegisters(m);
      const native = new Machine(image);
      native.run(200_000);
      const n = guestRegisters(native);
      expect(g.eip).toBe(n.eip);
      expect(g.regs).toEqual(n.regs);
      expect(g.segSel[CS]).toBe(n.segSel[CS]);
      expect(g.cpl).toBe(n.cpl);
      expect(g.eflags & 0x3cd5).toBe(n.eflags & 0x3cd5); // arithmetic flags, IF, IOPL: virtual ones
      const before = Buffer.from(m.cpu.ram).toString('base64');
      const tlb = Array.from(m.cpu.tlb.slice(0, 4096));
      const bytes = readGuest(m, (g.segBase[2] + g.regs[ESP]) >>> 0, 64);
      expect(bytes).toEqual(readGuest(native, (n.segBase[2] + n.regs[ESP]) >>> 0, 64));
      for (let a = 0; a < 0x400000; a += 0x1000) guestTranslate(m, a);
      expect(Buffer.from(m.cpu.ram).toString('base64')).toBe(before); // no accessed or dirty bit set
      expect(Array.from(m.cpu.tlb.slice(0, 4096))).toEqual(tlb);
    });
  }

  it("when a step ends at the monitor's SYSENTER entry (the CPU at ring 0), the guest view is the native state: in the guest's own handler", () => {
    const img = scenarioImage('syscalls');
    for (const mode of ['sw-013', 'sw-033'] as const) {
      const m = new Machine(img, { mode });
      const native = new Machine(img);
      let seen = 0;
      for (let k = 0; k < 60_000 && m.cpu.stopReason === '' && seen < 200; k++) {
        m.run(1);
        native.run(1);
        if (m.cpu.cpl !== 0) continue;
        seen++;
        const g = guestRegisters(m), n = guestRegisters(native);
        expect(g.writable).toBe(false);
        expect([g.eip, g.segSel[CS], g.segSel[2], g.regs, g.eflags & 0x0cd5, g.cpl]).toEqual([n.eip, n.segSel[CS], n.segSel[2], n.regs, n.eflags & 0x0cd5, n.cpl]);
      }
      expect(seen, mode).toBeGreaterThan(0);
    }
  });

  it('the monitor region is not part of the guest view', () => {
    const m = new Machine(image, { mode: 'sw-013' });
    m.run(100_000);
    expect(readGuest(m, 0xffc00000, 4)).toEqual([-1, -1, -1, -1]);
  });

  it('a write lands in guest RAM, drops decoded code, and is refused when unmapped', () => {
    const m = new Machine(image);
    const start = m.symbols.addressOf('_start')!;
    m.run(1); // decodes the block at _start
    expect(writeGuest(m, start, [0x90])).toBe(true);
    expect(readGuest(m, start, 1)).toEqual([0x90]);
    expect(m.cpu.pageWritten[start >>> 12]).toBe(1);
    expect(writeGuest(m, 0xfffffff0, [1, 2])).toBe(false);
  });
});
