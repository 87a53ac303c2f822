import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../../../../emulator/machine';
import { EAX, EBX, ECX, EDX, ESI, EDI } from '../../../../emulator/cpu/constants';
import { EventKind, KIND_NAMES, type TraceEvent } from '../../../../recorder/events';
import { recordInMemory } from '../../../helpers/record-memory';
import { guestImage, expectedOutput } from '../../../helpers/guests';
import type { Mode, ShadowPolicy } from '../../../../emulator/monitors/modes';

const FLAT_AT = 0x100000;
/** Runs a flat binary until it halts. */
function runFlat(code: number[], mode: Mode, shadow?: ShadowPolicy): Machine {
  const m = new Machine(Uint8Array.from(code), { flatAddress: FLAT_AT, mode, shadow });
  const r = m.run(1_000_000);
  expect(r.reason).toBe('halt');
  return m;
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

describe('deprivileging', () => {
  it('the guest kernel starts at CPL 1 under sw-013 and CPL 3 under sw-033, on the monitor\'s tables', () => {
    for (const [mode, cpl] of [['sw-013', 1], ['sw-033', 3]] as const) {
      const m = new Machine(guestImage('minikernel'), { mode });
      expect(m.cpu.cpl).toBe(cpl);
      expect(m.cpu.gdtrBase >>> 0).toBe(0xffc10000);
      expect(m.cpu.idtrBase >>> 0).toBe(0xffc01000);
      expect(m.cpu.trSel).toBe(0xffd0);
      expect(m.cpu.sysenterCs).toBe(0xffc0);
      expect(m.monitor!.virtualCpu.cpl).toBe(0);
      expect(m.cpu.segSel[1] & 3).toBe(cpl); // CS.RPL
    }
  });

  it('the guest never sees the monitor region: reads give what its own RAM view gives, writes do not reach the monitor', () => {
    // mov eax,[0xFFC01000]; mov dword [0xFFC01000],0x12345678; cli; mov ebx,[0xFFC01000]; mov ecx,[0xFFFFFFF0]; hlt
    const code = [
      0xa1, ...le32(0xffc01000),
      0xc7, 0x05, ...le32(0xffc01000), ...le32(0x12345678),
      0xfa,
      0x8b, 0x1d, ...le32(0xffc01000),
      0x8b, 0x0d, ...le32(0xfffffff0),
      0xf4,
    ];
    const native = runFlat(code, 'native');
    for (const [mode, shadow] of [['sw-013', undefined], ['sw-033', 'split'], ['sw-033', 'shared']] as const) {
      const m = runFlat(code, mode, shadow);
      for (const r of [EAX, EBX, ECX]) expect(m.cpu.regs[r]).toBe(native.cpu.regs[r]);
      expect(m.monitor!.interventions()['monitor-region']).toBeGreaterThanOrEqual(4);
    }
    expect(native.cpu.regs[EAX]).toBe(-1); // no RAM there: the bus reads all ones
  });
});

function kinds(events: TraceEvent[], kind: keyof typeof EventKind): TraceEvent[] {
  return events.filter((e) => e.kind === EventKind[kind]);
}

describe('guest code in the monitor region', () => {
  it('a jump there behaves as natively (sw-013 interprets past the cut CS limit instead of resuming)', () => {
    const rel = (0xfffffff0 - (FLAT_AT + 5)) >>> 0;
    const code = Uint8Array.from([0xe9, ...le32(rel)]); // jmp 0xFFFFFFF0: no RAM there, 0xFF bytes: #UD, then no IDT
    const native = new Machine(code, { flatAddress: FLAT_AT }).run(1000);
    for (const mode of ['sw-013', 'sw-033'] as const) {
      const m = new Machine(code, { flatAddress: FLAT_AT, mode });
      expect(m.run(1000)).toEqual(native);
    }
    expect(native.reason).toBe('shutdown');
  });

  it('code the guest mapped there runs, one interpreted instruction at a time, and returns', () => {
    // paging: identity for the first 4 MiB, and 0xFFD00000 -> 0x300000 holding
    // "mov eax, 0x600d; inc eax; ret", called from below
    const code = assemble(FLAT_START + IDENTITY_TABLES + `  mov dword [0x200ffc], 0x202007
  mov dword [0x202400], 0x300007
  mov dword [0x300000], 0x00600db8
  mov dword [0x300004], 0x00c34000
${PAGING_ON}  mov ebx, 0xffd00000
  call ebx
  hlt
${FLAT_END}`);
    const native = runFlat(code, 'native');
    expect(native.cpu.regs[EAX]).toBe(0x600e);
    for (const mode of ['sw-013', 'sw-033'] as const) {
      const m = runFlat(code, mode);
      expect(m.cpu.regs[EAX]).toBe(0x600e);
      expect(m.cpu.icount).toBe(native.cpu.icount);
      expect(m.monitor!.interventions()['monitor-region']).toBeGreaterThanOrEqual(3); // mov, inc, ret
    }
  });
});

describe('what a recording under a software monitor shows', () => {
  const { events } = recordInMemory(guestImage('interrupts'), { mode: 'sw-013' });

  it('every trap is a real privilege change into ring 0 through the IDT, and a real IRET back', () => {
    const priv = kinds(events, 'privilege');
    expect(priv.some((e) => e.a === 1 && e.b === 0 && e.text === 'exception')).toBe(true);
    expect(priv.some((e) => e.a === 1 && e.b === 0 && e.text === 'interrupt')).toBe(true); // the APIC timer
    expect(priv.some((e) => e.a === 0 && e.b === 1 && e.text === 'iret')).toBe(true);
    // monitor exits come in order: exit, emulation, entry
    const mon = events.filter((e) => e.kind >= EventKind.monitor_exit && e.kind <= EventKind.monitor_emulation);
    expect(KIND_NAMES[mon[0].kind]).toBe('monitor_exit');
    expect(kinds(events, 'monitor_exit').length).toBe(kinds(events, 'monitor_entry').length);
  });

  it('CLI traps as #GP and is emulated; the guest\'s interrupt-flag changes carry the virtual IF', () => {
    const exits = kinds(events, 'monitor_exit');
    expect(exits.some((e) => e.text === '#GP' && e.a === 13)).toBe(true);
    expect(kinds(events, 'monitor_emulation').some((e) => e.text === 'cli')).toBe(true);
    const iflags = kinds(events, 'iflag');
    expect(iflags.every((e) => e.b === 0 || e.b === 1)).toBe(true); // a virtual IF is known
    // POPF at CPL 1 cannot set IF: where it sets IF natively, the trace shows the attempt refused,
    // and the monitor never saw it (no exit at a POPF)
    const nativePopf = kinds(recordInMemory(guestImage('interrupts')).events, 'iflag').filter((e) => e.text === 'popf');
    const popf = iflags.filter((e) => e.text === 'popf');
    const restores = nativePopf.filter((e) => e.a === 1 && e.c === 1);
    expect(restores.length).toBeGreaterThan(0);
    for (const r of restores) expect(popf.filter((e) => e.eip === r.eip).map((e) => [e.a, e.c])).toEqual([[0, 0]]);
    const trapped = new Set(exits.map((e) => e.eip));
    expect(popf.some((e) => trapped.has(e.eip))).toBe(false);
  });

  it('APIC accesses trap: the APIC page is not mapped for the guest', () => {
    expect(kinds(events, 'monitor_emulation').some((e) => e.text === 'local apic access emulated')).toBe(true);
    expect(kinds(events, 'monitor_exit').some((e) => e.text === '#PF' && (e.b >>> 0) >>> 12 === 0xfee00)).toBe(true);
  });

  it('timer interrupts are delivered through the guest\'s IDT by the monitor', () => {
    expect(kinds(events, 'monitor_exit').some((e) => e.text === 'interrupt' && e.a === 0x20)).toBe(true);
    expect(kinds(events, 'monitor_emulation').some((e) => e.text === 'interrupt delivered through the guest idt' && e.a === 0x20)).toBe(true);
    const reflected = kinds(events, 'interrupt').filter((e) => e.text === 'reflected' && e.a === 0x20);
    expect(reflected.length).toBeGreaterThan(0);
    expect(reflected.every((e) => e.cpl === 0)).toBe(true); // the guest's virtual CPL after its own IDT's gate
  });
});

describe('hidden state', () => {
  it('on the way back into the guest the monitor reloads FS by selector, picking up the rewritten descriptor', () => {
    const { events } = recordInMemory(guestImage('hidden-state'), { mode: 'sw-033' });
    // B2, the base the guest wrote into the descriptor, as its own output reports it
    const B2 = parseInt(/rewritten to base 0x([0-9a-f]+)/.exec(expectedOutput('hidden-state')!)![1], 16);
    const entryBefore = (i: number) => events.slice(i).find((e) => e.kind === EventKind.monitor_entry || e.kind === EventKind.monitor_exit);
    const reload = events.findIndex((e, i) => e.kind === EventKind.segment_load && e.a === 4 && e.b === 0x30 && e.c === B2 && entryBefore(i)?.kind === EventKind.monitor_entry);
    expect(reload).toBeGreaterThan(0);
    expect(events[reload].cpl).toBe(0); // done by the monitor, at ring 0
  });
});

describe('shadow page tables', () => {
  it('split keeps separate shadows for the guest kernel and its user processes: more CR3 switches than shared', () => {
    const split = new Machine(guestImage('minikernel'), { mode: 'sw-033', shadow: 'split' });
    const shared = new Machine(guestImage('minikernel'), { mode: 'sw-033', shadow: 'shared' });
    expect(split.run().reason).toBe('exit');
    expect(shared.run().reason).toBe('exit');
    expect(split.monitor!.cr3Switches).toBeGreaterThan(2 * shared.monitor!.cr3Switches);
  });

  it("guest page tables are write-protected: a PTE write traps, the shadows follow the remap, and the guest's A/D bits are as natively", () => {
    // paging with PD 0x200000: PDE0 -> identity table 0x201000, PDE1 -> table 0x202000 mapping
    // 0x400000 to page A (0x300000), later remapped to page B (0x301000) through the identity map
    const code = assemble(FLAT_START + IDENTITY_TABLES + `  mov dword [0x200004], 0x202007
  mov dword [0x202000], 0x300007
  mov dword [0x300000], 0xaaaaaaaa
  mov dword [0x301000], 0xbbbbbbbb
${PAGING_ON}  mov esi, [0x400000]
  mov dword [0x202000], 0x301007
  invlpg [0x400000]
  mov edi, [0x400000]
  mov dword [0x400000], 0x12345678
  mov ebx, [0x202000]
  mov edx, [0x200004]
  hlt
${FLAT_END}`);
    const native = runFlat(code, 'native');
    expect(native.cpu.regs[ESI] >>> 0).toBe(0xaaaaaaaa);
    expect(native.cpu.regs[EDI] >>> 0).toBe(0xbbbbbbbb);
    expect(native.cpu.regs[EBX]).toBe(0x301067); // accessed and dirty
    expect(native.cpu.regs[EDX]).toBe(0x202027); // accessed
    for (const [mode, shadow] of [['sw-013', undefined], ['sw-033', 'split'], ['sw-033', 'shared']] as const) {
      const m = runFlat(code, mode, shadow);
      for (const r of [ESI, EDI, EBX, EDX]) expect(m.cpu.regs[r]).toBe(native.cpu.regs[r]);
      const counts = m.monitor!.interventions();
      expect(counts['page-table-write']).toBe(1); // the remap; the table was protected at its first walk
      expect(counts['hidden-page-fault']).toBeGreaterThan(0);
    }
  });
});

describe('bad configurations', () => {
  it('--shadow is for sw-033 only, --vtx-gen for vtx only', () => {
    expect(() => new Machine(guestImage('tpr'), { mode: 'sw-013', shadow: 'shared' })).toThrow(/sw-033 only/);
    expect(() => new Machine(guestImage('tpr'), { mode: 'sw-013', vtxGen: 1 })).toThrow(/vtx only/);
    // a trace's stored options reach the machine unchecked by the command line
    expect(() => new Machine(guestImage('tpr'), { mode: 'ring9' as Mode })).toThrow(/unknown mode 'ring9'/);
  });
});

/** The start of the flat test kernels: their GDT (label gdtd), flat ring-0 CS/DS/SS and a stack. */
const FLAT_START = `bits 32
org 0x100000
  lgdt [gdtd]
  jmp 0x08:cs_ok
cs_ok:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov esp, 0x90000
`;

/** Their GDT: null, flat ring-0 code (0x08), flat ring-0 data (0x10); more entries may follow. */
const FLAT_GDT = `gdt:
  dq 0
  dq 0x00cf9a000000ffff
  dq 0x00cf92000000ffff
`;

/** Builds a page directory at 0x200000 whose PDE 0 maps the first 4 MiB one to one (table 0x201000). */
const IDENTITY_TABLES = `  mov edi, 0x201000
  mov eax, 7
  mov ecx, 1024
fill:
  stosd
  add eax, 0x1000
  loop fill
  mov dword [0x200000], 0x201007
`;

/** Turns paging (and CR0.WP) on with the page directory at 0x200000. */
const PAGING_ON = `  mov eax, 0x200000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80010000
  mov cr0, eax
`;

/** The end of a flat kernel: its GDT and GDT descriptor. */
const FLAT_END = `align 8
${FLAT_GDT}gdtd:
  dw 23
  dd gdt
`;

/** Assembles a flat binary (loaded at FLAT_AT) with NASM. */
function assemble(source: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-flat-'));
  writeFileSync(join(dir, 'g.asm'), source);
  execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'g.bin'), join(dir, 'g.asm')]);
  return Array.from(readFileSync(join(dir, 'g.bin')));
}

describe('single-stepping (EFLAGS.TF) across emulated instructions', () => {
  it('the #DB trap follows an instruction the monitor emulated, as it follows any other', () => {
    const code = assemble(FLAT_START + `  lidt [idtd]
  pushfd
  or dword [esp], 0x100
  popfd
  cli
  nop
  pushfd
  and dword [esp], ~0x100
  popfd
  mov ebx, [count]
  hlt
db_handler:
  inc dword [count]
  iret
count: dd 0
align 8
${FLAT_GDT}idt:
  dq 0
  dw (db_handler - $$ + 0x100000) & 0xffff, 0x08
  db 0, 0x8e
  dw (db_handler - $$ + 0x100000) >> 16
gdtd:
  dw 23
  dd gdt
idtd:
  dw 15
  dd idt
`);
    const native = runFlat(code, 'native');
    expect(native.cpu.regs[EBX]).toBe(5); // after cli, nop, pushfd, and, popfd
    for (const mode of ['sw-013', 'sw-033'] as const) expect(runFlat(code, mode).cpu.regs[EBX]).toBe(5);
  });
});

describe('far transfers through a guest call gate', () => {
  it('trap (the gate is not in the shadow GDT) and run on the virtual CPU: same result as natively', () => {
    const code = assemble(FLAT_START + `  call 0x18:0
  mov ebx, 0x600d
  hlt
target:
  mov ecx, 0xca11
  retf
align 8
${FLAT_GDT}  dw (target - $$ + 0x100000) & 0xffff, 0x08
  db 0, 0x8c
  dw (target - $$ + 0x100000) >> 16
gdtd:
  dw 31
  dd gdt
`);
    const native = runFlat(code, 'native');
    expect(native.cpu.regs[EBX]).toBe(0x600d);
    expect(native.cpu.regs[ECX]).toBe(0xca11);
    for (const mode of ['sw-013', 'sw-033'] as const) {
      const m = runFlat(code, mode);
      expect(m.cpu.regs[EBX]).toBe(0x600d);
      expect(m.cpu.regs[ECX]).toBe(0xca11);
      expect(m.monitor!.interventions()['far-transfer']).toBe(2); // the CALL and the RETF to RPL 0
    }
  });
});
