import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine';
import { endNotes } from '../../cli/end-notes';
import { guestImage } from '../helpers/guests';

const flat = (bytes: number[]) => new Machine(Uint8Array.from(bytes), { flatAddress: 0x100000 });

describe('end-of-run notes (stderr on a terminal)', () => {
  it('lists the ports and MMIO pages the guest touched that no device claims, with counts', () => {
    // in al, 0xEC; in al, 0xEC; out 0x80, al; mov eax, [0xFED00000]; cli; hlt
    const m = flat([0xe4, 0xec, 0xe4, 0xec, 0xe6, 0x80, 0xa1, 0x00, 0x00, 0xd0, 0xfe, 0xfa, 0xf4]);
    const r = m.run(1000);
    const notes = endNotes(m, r);
    expect(notes[0]).toBe('ringside: the guest touched what ringside does not emulate (reads all ones, writes ignored): port 0xec (2x), MMIO page 0xfed00000 (1x)');
  });

  it('says where a guest halted for good, with its symbol', () => {
    const m = new Machine(guestImage('boot-state'));
    // replace main's first instruction with CLI; HLT
    const main = m.symbols.addressOf('main')!;
    m.cpu.ram.set([0xfa, 0xf4], main);
    const r = m.run(1_000_000);
    expect(r.reason).toBe('halt');
    expect(endNotes(m, r)).toContain(`ringside: the guest halted for good with interrupts disabled, at 0x${(main + 2).toString(16).padStart(8, '0')} (main+0x2), after its HLT, icount ${r.icount}`);
  });

  it('a guest waiting with HLT and every interrupt source masked halts for good', () => {
    // mov al, 0xFF; out 0x21, al; out 0xA1, al; sti; hlt  (the PIT keeps ticking, masked)
    const m = flat([0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1, 0xfb, 0xf4]);
    const r = m.run(10_000_000_000);
    expect(r.reason).toBe('halt');
    expect(endNotes(m, r)[0]).toMatch(/halted for good with no interrupt that could wake it/);
  });

  it('says nothing for a clean run', () => {
    const m = new Machine(guestImage('pit-pic'));
    expect(endNotes(m, m.run())).toEqual([]);
  });
});
