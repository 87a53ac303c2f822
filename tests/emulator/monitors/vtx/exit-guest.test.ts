import { describe, it, expect } from 'vitest';
import { recordInMemory } from '../../../helpers/record-memory';
import { testGuestImage } from '../../../helpers/guests';
import { SymbolTable } from '../../../../emulator/loader/symbols';
import { EventKind, type TraceEvent } from '../../../../recorder/events';
import * as Q from '../../../../emulator/monitors/vtx/qualifications';

/**
 * The guest tests/vtx-exits provokes, in turn, each VM exit the built-in VMM takes; each
 * instruction sits at a label x_<what>. The recorded monitor_exit events give the basic exit
 * reason (a) and the qualification (b) at the guest instruction (eip); the VM entry that
 * follows is stamped with the guest's next instruction, so for an instruction the VMM completes
 * the entry's eip minus the exit's is the VM-exit instruction length.
 */
const image = testGuestImage('vtx-exits');
const symbols = SymbolTable.fromElf(image);
const at = (label: string): number => {
  const a = symbols.addressOf(label);
  if (a === undefined) throw new Error(`no label ${label}`);
  return a;
};

function record(vtxGen: 1 | 2) {
  return recordInMemory(image, { mode: 'vtx', vtxGen: vtxGen === 2 ? undefined : 1 });
}

function exitsAt(events: TraceEvent[], eip: number): TraceEvent[] {
  return events.filter((e) => e.kind === EventKind.monitor_exit && e.eip === eip);
}

/** The VM exit at `label` (exactly one), its qualification, and the length the next VM entry shows. */
function exitAt(events: TraceEvent[], label: string): { reason: number; qualification: number; length: number; entry: TraceEvent } {
  const eip = at(label);
  const exits = exitsAt(events, eip);
  expect(exits, label).toHaveLength(1);
  const k = events.indexOf(exits[0]);
  const entry = events.slice(k).find((e) => e.kind === EventKind.monitor_entry)!;
  return { reason: exits[0].a, qualification: exits[0].b >>> 0, length: (entry.eip - eip) >>> 0, entry };
}

describe('vtx-exits: one VM exit of each kind, from the recorded events', () => {
  const native = recordInMemory(image, { mode: 'native' });
  const gen2 = record(2);
  const gen1 = record(1);

  it('runs as natively under both generations (same output, same instruction count), ending in a triple fault', () => {
    for (const r of [gen2, gen1]) {
      expect(r.result.reason).toBe('shutdown');
      expect(r.result.icount).toBe(native.result.icount);
    }
    const printed = (r: typeof native) => r.events.filter((e) => e.kind === EventKind.io && e.a === 1 && e.b === 0x3f8).map((e) => String.fromCharCode(e.d)).join('');
    expect(printed(native)).toContain('vtx-exits: rdpmc faults=1 nmi=2 timer=3\n');
    expect(printed(gen2)).toBe(printed(native));
    expect(printed(gen1)).toBe(printed(native));
  });

  it('CPUID: reason 10, qualification 0, length 2', () => {
    expect(exitAt(gen2.events, 'x_cpuid')).toMatchObject({ reason: 10, qualification: 0, length: 2 });
  });

  it('OUT 80h, AL: reason 30, one byte, out, immediate, port 80h, length 2; IN AL, DX: in, DX, port 3FDh, length 1', () => {
    expect(exitAt(gen2.events, 'x_out')).toMatchObject({ reason: 30, qualification: Q.ioQualification(1, false, false, false, true, 0x80), length: 2 });
    expect(exitAt(gen2.events, 'x_in')).toMatchObject({ reason: 30, qualification: Q.ioQualification(1, true, false, false, false, 0x3fd), length: 1 });
  });

  it('RDMSR and WRMSR of IA32_APIC_BASE: reasons 31 and 32, length 2', () => {
    expect(exitAt(gen2.events, 'x_rdmsr')).toMatchObject({ reason: 31, qualification: 0, length: 2 });
    expect(exitAt(gen2.events, 'x_wrmsr')).toMatchObject({ reason: 32, qualification: 0, length: 2 });
  });

  it('MOV EAX, DR7: reason 29, DR 7, from DR, EAX, length 3; the next MOV DR does not exit (the VMM handed the debug registers over)', () => {
    const e = exitAt(gen2.events, 'x_movdr');
    expect(e).toMatchObject({ reason: 29, qualification: Q.movDrQualification(7, true, 0), length: 3 });
    expect(e.qualification).toBe(0x17);
    expect(exitsAt(gen2.events, at('x_movdr2'))).toHaveLength(0);
  });

  it('RDPMC: reason 15; the VMM has no counters to offer and injects #GP(0)', () => {
    const e = exitAt(gen2.events, 'x_rdpmc');
    expect(e).toMatchObject({ reason: 15, qualification: 0, length: 0 });
    expect(e.entry.text).toBe('vmresume: injected vector 13 (hardware exception)');
  });

  it('an APIC write: reason 44, offset F0h, linear write', () => {
    expect(exitAt(gen2.events, 'x_apic')).toMatchObject({ reason: 44, qualification: Q.apicAccessQualification(0xf0, Q.APIC_ACCESS_LINEAR_WRITE) });
  });

  it('a read beyond guest RAM: reason 48, read, guest-linear valid, a translation (generation 2 only)', () => {
    expect(exitAt(gen2.events, 'x_ept')).toMatchObject({ reason: 48, qualification: Q.EPT_READ | Q.EPT_LINEAR_VALID | Q.EPT_LINEAR_TRANSLATION });
    // Generation 1 maps the page through its shadow tables (a hidden #PF, reason 0): no EPT, no reason 48.
    expect(exitsAt(gen1.events, at('x_ept')).map((e) => e.a)).toEqual([0]);
  });

  it('NMIs: each exits (reason 0) and is injected; the one that arrives while the guest blocks NMIs waits for the NMI window (reason 8)', () => {
    expect(exitAt(gen2.events, 'x_nmi')).toMatchObject({ reason: 44, qualification: Q.apicAccessQualification(0x300, Q.APIC_ACCESS_LINEAR_WRITE) });
    const reasons = gen2.events.filter((e) => e.kind === EventKind.monitor_exit).map((e) => e.a);
    const nmiExits = gen2.events.filter((e) => e.kind === EventKind.monitor_exit && e.a === 0);
    expect(nmiExits).toHaveLength(2);
    expect(reasons.filter((r) => r === 8)).toHaveLength(1);
    expect(gen2.events.filter((e) => e.kind === EventKind.monitor_entry && e.text.includes('injected vector 2 (NMI)'))).toHaveLength(2);
    // The second NMI exits inside the first one's handler; the window opens only at its IRET,
    // and the second injection follows the window.
    const window = gen2.events.find((e) => e.kind === EventKind.monitor_exit && e.a === 8)!;
    expect(window.icount).toBeGreaterThan(nmiExits[1].icount);
    const injections = gen2.events.filter((e) => e.kind === EventKind.monitor_entry && e.text.includes('injected vector 2 (NMI)'));
    expect(injections[0].icount).toBeLessThan(nmiExits[1].icount);
    expect(injections[1].seq).toBeGreaterThan(window.seq);
  });

  it('a timer interrupt while IF = 0 exits (reason 1); the interrupt window opens after STI and the instruction in its shadow (reason 7)', () => {
    const stiAt = at('x_sti');
    const window = exitsAt(gen2.events, stiAt + 2);
    expect(window.map((e) => e.a)).toEqual([7]);
    const k = gen2.events.indexOf(window[0]);
    expect(gen2.events.slice(0, k).filter((e) => e.kind === EventKind.monitor_exit).pop()!.a).toBe(1);
  });

  it('TPR below threshold (reason 43): a TPR write under the threshold exits after it (trap-like), one above it does not', () => {
    expect(exitsAt(gen2.events, at('x_tpr_high'))).toHaveLength(0);
    expect(exitsAt(gen2.events, at('x_tpr_low'))).toHaveLength(0);
    const after = exitsAt(gen2.events, at('x_tpr_low') + 10); // C7 05 disp32 imm32
    expect(after.map((e) => [e.a, e.b])).toEqual([[43, 0]]);
    // The first generation has no TPR shadow: both writes are APIC-access exits.
    expect(exitsAt(gen1.events, at('x_tpr_high')).map((e) => [e.a, e.b >>> 0])).toEqual([[44, Q.apicAccessQualification(0x80, Q.APIC_ACCESS_LINEAR_WRITE)]]);
    expect(exitsAt(gen1.events, at('x_tpr_low')).map((e) => e.a)).toEqual([44]);
  });

  it('HLT: reason 12, length 1', () => {
    expect(exitAt(gen2.events, 'x_hlt')).toMatchObject({ reason: 12, qualification: 0, length: 1 });
  });

  it('generation 1: MOV CR3, EDI and MOV CR0, EAX exit (reason 28, CR and GPR in the qualification, length 3), INVLPG too (reason 14, the linear address, length 3); generation 2 takes none of them', () => {
    expect(exitAt(gen1.events, 'x_cr3')).toMatchObject({ reason: 28, qualification: Q.crAccessQualification(3, Q.CR_ACCESS_MOV_TO_CR, 7), length: 3 });
    // (The CR3 load emptied the shadow: fetching MOV CR0 is a hidden #PF first.)
    const cr0 = exitsAt(gen1.events, at('x_cr3') + 3).filter((e) => e.a !== 0);
    expect(cr0.map((e) => [e.a, e.b])).toEqual([[28, Q.crAccessQualification(0, Q.CR_ACCESS_MOV_TO_CR, 0)]]);
    const invlpg = exitsAt(gen1.events, at('x_invlpg')).filter((e) => e.a !== 0);
    expect(invlpg.map((e) => [e.a, e.b])).toEqual([[14, 0x200000]]);
    const k = gen1.events.indexOf(invlpg[0]);
    expect(gen1.events.slice(k).find((e) => e.kind === EventKind.monitor_entry)!.eip).toBe(at('x_invlpg') + 3);
    expect(exitsAt(gen2.events, at('x_cr3'))).toHaveLength(0);
    expect(exitsAt(gen2.events, at('x_invlpg'))).toHaveLength(0);
    // With paging on, the first touch of each page is a hidden #PF exit (reason 0) that the guest never sees.
    expect(gen1.events.filter((e) => e.kind === EventKind.monitor_exit && e.a === 0).length).toBeGreaterThan(2);
  });

  it('UD2 with an empty IDT: the triple fault is a VM exit (reason 2), and the VMM ends the run as a shutdown naming the events', () => {
    for (const r of [gen2, gen1]) {
      const e = exitsAt(r.events, at('x_ud2'));
      expect(e.map((x) => x.a)).toEqual([2]);
      const shutdown = r.events.find((x) => x.kind === EventKind.shutdown)!;
      expect(shutdown.text).toBe('vmx: the guest triple-faulted (VM exit reason 2): triple fault: #UD -> #GP(0x33) -> #GP(0x6b) -> #DF -> #GP(0x43) -> shutdown');
    }
  });
});
