// Every event is stamped with the instruction at which it happened (the faulting one; for an
// interrupt, the one it interrupted; for IRET, SYSEXIT or a far transfer, that instruction
// itself), and an event that transfers control names its destination (CS:EIP, new CPL).
import { describe, expect, it } from 'vitest';
import { Machine } from '../../emulator/machine';
import { COLUMNS } from '../../scenarios/scenarios';
import { EventKind, type TraceEvent } from '../../recorder/events';
import { recordInMemory } from '../helpers/record-memory';
import { testGuestImage } from '../helpers/guests';

const image = testGuestImage('event-stamps');
const guest = new Machine(image); // its RAM holds the guest's code where the events point (paging off, flat segments)
const sym = (name: string) => {
  const a = guest.symbols.addressOf(name);
  if (a === undefined) throw new Error(`no symbol ${name}`);
  return a;
};
const bytesAt = (eip: number, n: number) => [...guest.cpu.ram.subarray(eip, eip + n)];

/** The opcode bytes each cause's instruction starts with. */
const OPCODES: Record<string, number[][]> = {
  iret: [[0xcf]],
  int: [[0xcd]],
  sysenter: [[0x0f, 0x34]],
  sysexit: [[0x0f, 0x35]],
  'far-call': [[0x9a], [0xff]],
  'far-ret': [[0xcb], [0xca]],
};

describe('event stamps natively', () => {
  const { events, result } = recordInMemory(image);
  const of = (kind: number) => events.filter((e) => e.kind === kind);

  it('the guest ran every transfer', () => {
    expect(result.reason).toBe('exit');
    expect(new Set(of(EventKind.privilege).map((e) => e.text))).toEqual(new Set(['int', 'iret', 'sysenter', 'sysexit', 'exception', 'far-call', 'far-ret', 'interrupt']));
  });

  it('a privilege change is stamped with the instruction that made it, at the CPL it ran at, and names where control went', () => {
    for (const e of of(EventKind.privilege)) {
      expect(e.cpl, `#${e.seq} ${e.text}`).toBe(e.a); // from_cpl: the instruction ran before the change
      expect(e.b).toBe(e.text === 'int' || e.text === 'sysenter' || e.text === 'far-call' || e.text === 'exception' || e.text === 'interrupt' ? 0 : 3);
      const ops = OPCODES[e.text];
      if (ops !== undefined) expect(ops.some((op) => op.every((b, k) => bytesAt(e.eip, op.length)[k] === b)), `#${e.seq} ${e.text} at ${e.eip.toString(16)}`).toBe(true);
      // The destination is a real place: for returns, in ring-3 code with an RPL 3 selector.
      if (e.b === 3) {
        expect(e.c & 0xffff).toBe(0x1b);
        expect(e.d >>> 0).toBeGreaterThanOrEqual(sym('user_main'));
      }
    }
    const dest = (cause: string) => of(EventKind.privilege).filter((e) => e.text === cause).map((e) => [e.c, e.d >>> 0]);
    expect(dest('int')).toEqual([[0x08, sym('int80_entry')], [0x08, sym('int80_entry')]]);
    expect(dest('sysenter')).toEqual([[0x08, sym('sysenter_entry')]]);
    expect(dest('exception')).toEqual([[0x08, sym('gp_entry')]]);
    expect(dest('far-call')).toEqual([[0x08, sym('gate_entry')]]);
    expect(dest('sysexit')).toEqual([[0x1b, sym('user_main.after_sysenter')]]);
  });

  it('an IRET to ring 3 pairs the IRET itself (ring-0 CS:EIP) with the ring-3 destination, never the new CS with the old EIP', () => {
    const irets = of(EventKind.privilege).filter((e) => e.text === 'iret');
    expect(irets.length).toBe(5); // enter_user, then the returns from INT 0x80, #GP, NMI and the timer
    for (const e of irets) {
      expect(e.cs).toBe(0x08);
      expect(bytesAt(e.eip, 1)).toEqual([0xcf]);
      expect(e.c).toBe(0x1b);
    }
  });

  it('an exception is stamped with the faulting instruction, and its delivery names the handler', () => {
    const exc = of(EventKind.exception);
    expect(exc.map((e) => e.a)).toEqual([13]);
    expect(exc[0].cs).toBe(0x1b);
    expect(exc[0].cpl).toBe(3);
    expect(bytesAt(exc[0].eip, 1)).toEqual([0xfa]); // CLI
    const delivered = of(EventKind.interrupt).find((e) => e.a === 13)!;
    expect([delivered.cs, delivered.eip, delivered.cpl]).toEqual([exc[0].cs, exc[0].eip, 3]);
    expect([delivered.b, delivered.c >>> 0, delivered.d]).toEqual([0x08, sym('gp_entry'), 0]);
  });

  it('an interrupt is stamped with the ring-3 instruction it interrupted; an NMI is recorded with source nmi', () => {
    const ints = of(EventKind.interrupt).filter((e) => e.text !== 'exception' && e.text !== 'software');
    expect(ints.map((e) => [e.a, e.text])).toEqual([[2, 'nmi'], [0x40, 'apic']]);
    for (const e of ints) {
      expect([e.cs, e.cpl]).toEqual([0x1b, 3]);
      expect(e.eip >>> 0).toBeGreaterThanOrEqual(sym('user_main'));
      expect(e.d).toBe(0);
    }
    expect(ints[0].c >>> 0).toBe(sym('nmi_entry'));
    expect(ints[1].c >>> 0).toBe(sym('timer_entry'));
  });

  it('every event of one transfer (segment loads, IF change, privilege, delivery) carries the same stamp', () => {
    const transfers = of(EventKind.privilege);
    for (const p of transfers) {
      const same = events.filter((e: TraceEvent) => e.icount === p.icount && e.kind !== EventKind.run_end);
      for (const e of same) expect([e.cs, e.eip, e.cpl], `#${e.seq} with #${p.seq}`).toEqual([p.cs, p.eip, p.cpl]);
    }
  });

  it('SYSENTER and SYSEXIT name their destination and new CPL', () => {
    const fs = of(EventKind.fast_syscall);
    expect(fs.map((e) => [e.text, e.cs, e.a, e.b >>> 0, e.c])).toEqual([
      ['sysenter', 0x1b, 0x08, sym('sysenter_entry'), 0],
      ['sysexit', 0x08, 0x1b, sym('user_main.after_sysenter'), 3],
    ]);
  });
});

describe('event stamps under the software monitors', () => {
  for (const col of COLUMNS.slice(1)) {
    it(`${col.label}: every privilege change is stamped at the CPL its instruction ran at`, () => {
      const { events, result } = recordInMemory(image, { mode: col.mode, shadow: col.shadow });
      expect(result.reason).toBe('exit');
      const changes = events.filter((e) => e.kind === EventKind.privilege);
      expect(changes.length).toBeGreaterThan(10);
      for (const e of changes) expect(e.cpl, `#${e.seq} ${e.text}`).toBe(e.a);
      // The guest's own exception and its delivery through the guest's IDT carry the faulting CLI.
      const reflected = events.filter((e) => e.kind === EventKind.interrupt && e.text === 'reflected' && e.a === 13);
      expect(reflected.length).toBe(1);
      expect(bytesAt(reflected[0].eip, 1)).toEqual([0xfa]);
    });
  }
});
