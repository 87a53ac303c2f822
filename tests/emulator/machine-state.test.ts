import { describe, expect, it } from 'vitest';
import { Machine, type RunResult } from '../../emulator/machine';
import { packPages, unpackPages, crc32, SnapshotError, PAGE_SIZE } from '../../emulator/state/codec';
import { saveCpuState, loadCpuState, saveDevicesState, loadDevicesState, saveMachineState, restoreMachineState, type MachineState } from '../../emulator/machine-state';
import { TLB_CODE, TLB_WRITTEN } from '../../emulator/cpu/cpu';
import { IoBus } from '../../emulator/devices/bus';
import { Uart16550 } from '../../emulator/devices/uart16550';
import { LocalApic } from '../../emulator/devices/local-apic';
import { FwCfg } from '../../emulator/devices/fw-cfg';
import { Pic8259Pair } from '../../emulator/devices/pic8259';
import { Pit8254 } from '../../emulator/devices/pit8254';
import { IoApic } from '../../emulator/devices/ioapic';
import { DebugExit } from '../../emulator/devices/debug-exit';
import type { CpuObserver } from '../../emulator/cpu/observer';
import { guestImage, expectedOutput } from '../helpers/guests';
import { Prng } from '../helpers/prng';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Own data fields of an object as plain values (typed arrays as arrays), minus `exclude` and functions. */
function fieldsOf(obj: object, exclude: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (exclude.includes(k) || typeof v === 'function') continue;
    out[k] = ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v;
  }
  return out;
}

/** Recomputes a blob's header (length, CRC) after its payload was edited, so only the payload is wrong. */
function reseal(blob: Uint8Array, edit: (payload: Uint8Array) => Uint8Array): Uint8Array {
  const payload = edit(blob.slice(16));
  const out = new Uint8Array(16 + payload.length);
  out.set(blob.subarray(0, 16));
  out.set(payload, 16);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, payload.length, true);
  dv.setUint32(12, crc32(payload), true);
  return out;
}

interface Snap {
  state: MachineState;
  ram: Uint8Array;
}

function snapshot(m: Machine): Snap {
  return { state: saveMachineState(m), ram: m.cpu.ram.slice() };
}

/** Pages of `a` that differ from `b`. */
function differingPages(a: Uint8Array, b: Uint8Array): number[] {
  const a32 = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
  const b32 = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  const out: number[] = [];
  const per = PAGE_SIZE >> 2;
  for (let p = 0; p < a.length / PAGE_SIZE; p++) {
    for (let i = p * per; i < (p + 1) * per; i++) {
      if (a32[i] !== b32[i]) {
        out.push(p);
        break;
      }
    }
  }
  return out;
}

interface Reference {
  output: number[]; // every UART byte of the whole run
  result: RunResult;
  checkpoints: Map<number, { cpu: Uint8Array; devices: Uint8Array }>; // icount -> state there
  finalCpu: Uint8Array;
}

/** Runs a guest start to end, recording the state at each checkpoint. */
function referenceRun(name: string, checkpoints: number[]): Reference {
  const output: number[] = [];
  const m = new Machine(guestImage(name), { onUartByte: (b) => output.push(b) });
  const states = new Map<number, { cpu: Uint8Array; devices: Uint8Array }>();
  for (const cp of [...checkpoints].sort((x, y) => x - y)) {
    const r = m.run(cp - m.cpu.icount);
    if (r.reason !== 'limit') break;
    states.set(cp, { cpu: saveCpuState(m.cpu), devices: saveDevicesState(m) });
  }
  const result = m.run();
  return { output, result, checkpoints: states, finalCpu: saveCpuState(m.cpu) };
}

/**
 * Builds a fresh machine from `name`, restores `snap` into it (RAM in full, or as the packed
 * pages that differ from the fresh image), runs it to the end through the reference's
 * checkpoints, and checks that it behaves exactly as the reference run did.
 */
function checkRestoredRun(name: string, ref: Reference, snap: Snap, outputAtSnap: number, packed: boolean): void {
  const out: number[] = [];
  const b = new Machine(guestImage(name), { onUartByte: (x) => out.push(x) });
  if (packed) {
    const pages = differingPages(snap.ram, b.cpu.ram);
    unpackPages(b.cpu.ram, packPages(snap.ram, pages));
    expect(differingPages(snap.ram, b.cpu.ram)).toEqual([]);
  } else b.cpu.ram.set(snap.ram);
  restoreMachineState(b, snap.state);
  const at = b.cpu.icount;
  // The restored state reads back identically.
  expect(saveCpuState(b.cpu)).toEqual(snap.state.cpu);
  expect(saveDevicesState(b)).toEqual(snap.state.devices);
  for (const [cp, st] of [...ref.checkpoints].sort((x, y) => x[0] - y[0])) {
    if (cp <= at) continue;
    const r = b.run(cp - b.cpu.icount);
    expect(r.reason, `${name}: restored at ${at} stopped before checkpoint ${cp}`).toBe('limit');
    expect(b.cpu.icount).toBe(cp);
    expect(saveCpuState(b.cpu), `${name}: CPU state at ${cp} after restoring at ${at}`).toEqual(st.cpu);
    expect(saveDevicesState(b), `${name}: device state at ${cp} after restoring at ${at}`).toEqual(st.devices);
  }
  const r = b.run();
  expect(r, `${name}: end of run after restoring at ${at}`).toEqual(ref.result);
  expect(Buffer.from(out).toString('latin1'), `${name}: output after restoring at ${at}`).toBe(
    Buffer.from(ref.output.slice(outputAtSnap)).toString('latin1'),
  );
  expect(saveCpuState(b.cpu)).toEqual(ref.finalCpu);
}

type PointKind = 'random' | 'before-deadline' | 'at-deadline' | 'after-deadline' | 'in-handler' | 'irq-shadow' | 'halted';

interface Extras {
  shadows?: number; // interrupt-shadow points to find, single-stepping from the start
  halted?: boolean; // take a point on entering HLT and one in the middle of the halt
  timer?: number; // how many random points to follow with points around the next timer deadline
}

/**
 * Runs `name` once, restoring into a fresh machine at points found on the way and at
 * `randomPoints` pseudo-random ones. First, single-stepping from the start (up to 200,000
 * instructions): instructions under an interrupt shadow (after STI, MOV SS) and the halted state
 * (entering HLT, and deep into the halt). Then the random points, the first `timer` of them each
 * followed by points around the APIC timer's next deadline: the instruction before it, at it,
 * after it (the interrupt delivered) and inside the handler.
 */
function checkGuest(name: string, randomPoints: number, seed: number, extras: Extras = {}): PointKind[] {
  const probe = referenceRun(name, []);
  const total = probe.result.icount;
  const checkpoints: number[] = [];
  for (let k = 1; k <= 6; k++) checkpoints.push(Math.floor((total * k) / 7));
  const ref = referenceRun(name, checkpoints);
  expect(ref.result).toEqual(probe.result);

  const out: number[] = [];
  const a = new Machine(guestImage(name), { onUartByte: (x) => out.push(x) });
  const kinds: PointKind[] = [];
  let nth = 0;
  const take = (kind: PointKind) => {
    kinds.push(kind);
    checkRestoredRun(name, ref, snapshot(a), out.length, nth++ % 2 === 1);
  };

  let shadowsLeft = extras.shadows ?? 0;
  let haltedLeft = extras.halted ? 1 : 0;
  for (let k = 0; k < 200_000 && (shadowsLeft > 0 || haltedLeft > 0); k++) {
    const cpu = a.cpu;
    if (shadowsLeft > 0 && cpu.irqShadow >= cpu.icount) {
      shadowsLeft--;
      take('irq-shadow');
    }
    if (haltedLeft > 0 && cpu.halted) {
      haltedLeft--;
      take('halted');
      const d = a.apic.nextDeadline();
      expect(d).toBeGreaterThan(cpu.icount + 2);
      a.run(Math.floor((d - cpu.icount) / 2)); // time jumps while halted: stop half-way
      expect(cpu.halted).toBe(true);
      take('halted');
    }
    if (a.run(1).reason !== 'limit') break;
  }
  expect(shadowsLeft).toBe(0);
  expect(haltedLeft).toBe(0);

  const from = a.cpu.icount;
  const rng = new Prng(seed);
  const points = new Set<number>();
  while (points.size < randomPoints) points.add(from + 1 + rng.below(total - from - 1));
  let timerLeft = extras.timer ?? 0;
  for (const p of [...points].sort((x, y) => x - y)) {
    if (p <= a.cpu.icount) continue;
    if (a.run(p - a.cpu.icount).reason !== 'limit') break;
    take('random');
    const d = a.apic.nextDeadline();
    if (timerLeft > 0 && d !== Infinity && d - 1 > a.cpu.icount && d + 40 < total) {
      timerLeft--;
      a.run(d - 1 - a.cpu.icount);
      take('before-deadline');
      a.run(1);
      take('at-deadline');
      a.run(1);
      take('after-deadline');
      a.run(20);
      take('in-handler');
    }
  }
  expect(timerLeft).toBe(0);
  // Stepping and snapshotting did not disturb the original.
  const r = a.run();
  expect(r).toEqual(ref.result);
  expect(Buffer.from(out).toString('latin1')).toBe(Buffer.from(ref.output).toString('latin1'));
  return kinds;
}

// ---------------------------------------------------------------------------------------------
// Whole machine: restore into a fresh machine, run to the end, compare with the reference run
// ---------------------------------------------------------------------------------------------

describe('restore into a fresh machine behaves exactly like the original', () => {
  it('minikernel (periodic APIC timer, round-robin between two ring-3 processes)', () => {
    const kinds = checkGuest('minikernel', 12, 0x5eed01, { timer: 2, shadows: 3 });
    expect(kinds.length).toBeGreaterThanOrEqual(20);
    expect(kinds).toContain('in-handler');
    expect(kinds).toContain('irq-shadow');
  });

  it('interrupts (APIC timer with HLT, IRR while IF=0)', () => {
    const kinds = checkGuest('interrupts', 8, 0x5eed02, { timer: 1, shadows: 3, halted: true });
    expect(kinds).toContain('halted');
    expect(kinds).toContain('at-deadline');
  });

  it('tpr (100,000 TPR writes and PPR read-backs; this guest never arms the timer)', () => {
    checkGuest('tpr', 8, 0x5eed03);
  });

  it('syscalls (SYSENTER/SYSEXIT, ring 3)', () => {
    checkGuest('syscalls', 5, 0x5eed04);
  });

  it('hidden-state (stale FS descriptor cache, HLT + timer)', () => {
    checkGuest('hidden-state', 5, 0x5eed05, { timer: 1, shadows: 2, halted: true });
  });

  it('address-space and ring-compression (paging, INVLPG, #PF)', () => {
    checkGuest('address-space', 6, 0x5eed06);
    checkGuest('ring-compression', 4, 0x5eed07);
  });

  it('privileged-state (LGDT/LIDT/LLDT/LTR, ring 3)', () => {
    checkGuest('privileged-state', 5, 0x5eed08);
  });
});

describe('restore into the same machine (a seek backwards)', () => {
  it('replays the rest of the run identically, with decoded code and TLB already warm', () => {
    const out: number[] = [];
    const m = new Machine(guestImage('minikernel'), { onUartByte: (x) => out.push(x) });
    m.run(700_000);
    const snap = snapshot(m);
    const outAt = out.length;
    const first = m.run();
    const firstOut = out.slice(outAt);
    expect(Buffer.from(out).toString('latin1')).toBe(expectedOutput('minikernel'));
    const firstCpu = saveCpuState(m.cpu);
    // Back to the snapshot, twice.
    for (let round = 0; round < 2; round++) {
      out.length = 0;
      unpackPages(m.cpu.ram, packPages(snap.ram, differingPages(snap.ram, m.cpu.ram)));
      const dropped = m.executor.invalidations;
      restoreMachineState(m, snap.state);
      expect(m.executor.invalidations).toBeGreaterThan(dropped); // decoded code was dropped
      expect(m.cpu.codePage.every((b) => b === 0)).toBe(true);
      expect(saveCpuState(m.cpu)).toEqual(snap.state.cpu);
      const again = m.run();
      expect(again).toEqual(first);
      expect(out).toEqual(firstOut);
      expect(saveCpuState(m.cpu)).toEqual(firstCpu);
    }
  });

  it('does not notify the observer while rebuilding segment caches, and keeps it attached', () => {
    const m = new Machine(guestImage('hidden-state'));
    m.run(50_000);
    const snap = snapshot(m);
    m.run(10_000);
    let calls = 0;
    const observer = new Proxy({} as CpuObserver, { get: () => () => void calls++ });
    m.cpu.observer = observer;
    m.cpu.ram.set(snap.ram);
    restoreMachineState(m, snap.state);
    expect(calls).toBe(0);
    expect(m.cpu.observer).toBe(observer);
    m.cpu.observer = null;
    expect(saveCpuState(m.cpu)).toEqual(snap.state.cpu);
  });
});

// ---------------------------------------------------------------------------------------------
// CPU state: every field
// ---------------------------------------------------------------------------------------------

/**
 * Cpu fields that are not state: memory and the caches/bookkeeping rebuilt on demand, transient
 * flags, attachments. A new Cpu field makes the test below fail until it is saved or listed here.
 */
const CPU_NOT_STATE = [
  'ram', 'ram32', 'ramSize', // RAM (saved as pages by the recorder; size checked)
  'regsBuf', 'regs16', 'regs8', // views of regs
  'tlb', 'tlbFilled', 'tlbFilledCount', 'tlbOverflow', // compared below, as translations
  'codePage', 'codeLine', 'pageWritten', 'watchPage', // executor / recorder bookkeeping
  'brk', 'epoch', 'implicitDescriptorWrite', 'watchHit', // transient: within an instruction, a block or a run() call
  'observer', 'io', 'apic', 'mmio', 'timers', 'onCodeWrite', 'onWatchedWrite', // attachments
  'atPinned', 'atCs', 'atEip', 'atCpl', // transient: the origin of a control transfer in progress
  'busAccesses', // only differences within one REP execution matter
  'shutdownReason', 'shutdownCs', 'shutdownEip', 'shutdownLinear', // set when the run ends in a shutdown
];

describe('CPU state', () => {
  it('restores every field that is state, and the TLB translations', () => {
    const a = new Machine(guestImage('minikernel'));
    a.run(400_003);
    // Make the rarely-used fields non-default so that a forgotten one shows.
    a.cpu.dr.set([1, 2, 3, 4, 0, 0, 0x4ff0, 0x400]);
    a.cpu.tscOffset = 2 ** 40 + 7;
    a.cpu.excVector = 14;
    a.cpu.excCode = -1;
    a.cpu.excAddr = 0xfffff000;
    a.cpu.irqShadow = a.cpu.icount + 1;
    a.cpu.nmiBlocked = true;
    a.cpu.cr2 = 0xdeadb000;
    const bytes = saveCpuState(a.cpu);
    const b = new Machine(guestImage('minikernel'));
    b.cpu.ram.set(a.cpu.ram);
    b.executor.invalidateAll();
    loadCpuState(b.cpu, bytes);
    expect(fieldsOf(b.cpu, CPU_NOT_STATE)).toEqual(fieldsOf(a.cpu, CPU_NOT_STATE));
    const strip = ~(TLB_CODE | TLB_WRITTEN);
    let entries = 0;
    for (let p = 0; p < a.cpu.tlb.length; p++) {
      if ((a.cpu.tlb[p] & strip) !== (b.cpu.tlb[p] & strip)) throw new Error(`TLB entry for page ${p} differs`);
      if (a.cpu.tlb[p] !== 0) entries++;
    }
    expect(entries).toBeGreaterThan(0);
    expect(saveCpuState(b.cpu)).toEqual(bytes);
  });

  it('keeps uint32 values, values above 2^32 and negative ones exactly', () => {
    const m = new Machine(guestImage('ring-aliasing'));
    m.cpu.eip = 0xfffffff0;
    m.cpu.icount = 2 ** 52 + 3;
    m.cpu.tscOffset = -(2 ** 45);
    m.cpu.lsz = 0x80000000 | 0;
    m.cpu.ldst = 0xffffffff;
    const bytes = saveCpuState(m.cpu);
    const n = new Machine(guestImage('ring-aliasing'));
    loadCpuState(n.cpu, bytes);
    expect(n.cpu.eip).toBe(0xfffffff0);
    expect(n.cpu.icount).toBe(2 ** 52 + 3);
    expect(n.cpu.tscOffset).toBe(-(2 ** 45));
    expect(n.cpu.lsz).toBe(-0x80000000);
    expect(n.cpu.ldst).toBe(0xffffffff);
  });

  it('keeps a stale TLB entry (no re-walk after restore)', () => {
    const m = new Machine(guestImage('address-space'));
    m.run(30_000);
    m.cpu.tlbSet(0x12345, (0x00400000 | 0x1f) | 0); // a translation the page tables do not have
    const bytes = saveCpuState(m.cpu);
    const n = new Machine(guestImage('address-space'));
    loadCpuState(n.cpu, bytes);
    expect(n.cpu.tlb[0x12345] & ~(TLB_CODE | TLB_WRITTEN)).toBe(0x0040001f);
  });
});

// ---------------------------------------------------------------------------------------------
// Devices alone
// ---------------------------------------------------------------------------------------------

function apicWith(clock: { now: number }) {
  const apic = new LocalApic(() => clock.now);
  const w = (reg: number, v: number) => apic.mmioWrite(reg, v, 4);
  return { apic, w };
}

describe('device state round trips', () => {
  it('local APIC: registers, IRR/ISR, ESR latches, NMI and the timer phase', () => {
    const clock = { now: 1000 };
    const { apic, w } = apicWith(clock);
    w(0xf0, 0x1ff); // SVR: enable, spurious 0xff
    w(0x20, 0x03000000); // ID
    w(0xd0, 0x01000000); // LDR
    w(0xe0, 0x0fffffff); // DFR cluster
    w(0x80, 0x20); // TPR
    w(0x370, 0x3e); // LVT error -> 0x3e
    w(0x3e0, 0x9); // divide by 64
    w(0x320, 0x20030); // periodic, vector 0x30
    w(0x380, 77); // initial count
    apic.raise(0x45);
    apic.raise(0x61);
    apic.acknowledge(); // 0x61 in service
    apic.raise(3); // illegal: ESR bit 6, error interrupt 0x3e
    apic.mmioRead(0x400, 4); // illegal register: ESR bit 7
    w(0x280, 0); // latch ESR
    apic.mmioRead(0x410, 4); // a new pending error after the latch
    w(0x310, 0x05000000);
    w(0x300, 0x4400); // NMI to... physical 5: not us
    w(0x300, 0x44400); // NMI to self
    clock.now = 1000 + 64 * 77 * 3 + 5; // three periods in
    const bytes = apic.saveState();
    const copy = new LocalApic(() => clock.now);
    copy.loadState(bytes);
    const hooks = ['clock', 'onTprWrite', 'onEoi'];
    expect(fieldsOf(copy, hooks)).toEqual(fieldsOf(apic, hooks));
    expect(copy.saveState()).toEqual(bytes);
    // Same behaviour from here on: expiries, acknowledges, register reads.
    for (let step = 0; step < 40; step++) {
      clock.now += 37 * step;
      for (const x of [apic, copy]) {
        if (x.nextDeadline() <= clock.now) x.advance(clock.now);
      }
      expect(copy.nextDeadline()).toBe(apic.nextDeadline());
      expect(copy.pendingVector()).toBe(apic.pendingVector());
      if (step % 3 === 0) expect(copy.acknowledge()).toBe(apic.acknowledge());
      if (step % 5 === 0) {
        copy.mmioWrite(0xb0, 0, 4);
        apic.mmioWrite(0xb0, 0, 4);
      }
      for (let reg = 0; reg < 0x400; reg += 0x10) expect(copy.mmioRead(reg, 4)).toBe(apic.mmioRead(reg, 4));
    }
    expect(copy.saveState()).toEqual(apic.saveState());
  });

  it('local APIC: a disabled APIC (IA32_APIC_BASE.EN cleared) stays disabled', () => {
    const { apic } = apicWith({ now: 0 });
    apic.apicBaseMsr = 0xfee00100;
    const copy = new LocalApic(() => 0);
    copy.loadState(apic.saveState());
    expect(copy.hardwareEnabled).toBe(false);
    expect(copy.apicBaseMsr).toBe(apic.apicBaseMsr);
  });

  it('UART: registers, loopback FIFO, queued input, latched interrupt sources', () => {
    const sent: number[] = [];
    const uart = new Uart16550((b) => sent.push(b));
    const bus = new IoBus();
    bus.register(0x3f8, 8, uart);
    const out = (o: number, v: number) => bus.portOut(0x3f8 + o, v, 1);
    const inb = (o: number) => bus.portIn(0x3f8 + o, 1);
    out(3, 0x83);
    out(0, 0x03); // divisor low
    out(1, 0x00);
    out(3, 0x1b);
    out(2, 0xc7); // FIFO on, trigger 14
    out(7, 0x5a);
    out(1, 0x0f); // all interrupts: THRE latched
    uart.feed(new TextEncoder().encode('hello, world, and a long line to wrap the ring around'));
    for (let k = 0; k < 7; k++) inb(0); // head moves
    out(4, 0x1b); // loopback + lines: MSR deltas
    for (let k = 0; k < 20; k++) out(0, 0x41 + k); // 16 looped back, then overruns
    inb(0);
    const bytes = uart.saveState();
    const sent2: number[] = [];
    const copy = new Uart16550((b) => sent2.push(b));
    copy.loadState(bytes);
    const notState = ['onTransmit', 'onReceive', 'rxQueue', 'rxHead'];
    expect(fieldsOf(copy, notState)).toEqual(fieldsOf(uart, notState));
    expect(copy.saveState()).toEqual(bytes);
    expect(copy.pendingInput).toBe(uart.pendingInput);
    // Same reads from here on, through loopback, the end of loopback and the queued input.
    const bus2 = new IoBus();
    bus2.register(0x3f8, 8, copy);
    const script: [number, number][] = [[2, -1], [5, -1], [6, -1], [0, -1], [2, -1], [4, 0x08], [6, -1], [5, -1]];
    for (let k = 0; k < 60; k++) script.push([k % 3 === 0 ? 2 : 0, -1]);
    script.push([0, 0x21], [2, -1], [7, -1]);
    for (const [o, v] of script) {
      if (v >= 0) {
        bus.portOut(0x3f8 + o, v, 1);
        bus2.portOut(0x3f8 + o, v, 1);
      } else expect(bus2.portIn(0x3f8 + o, 1)).toBe(bus.portIn(0x3f8 + o, 1));
    }
    expect(sent2).toEqual(sent.slice(sent.length - sent2.length));
    expect(sent2).toEqual([0x21]);
  });

  it('UART: more queued input than the initial ring holds', () => {
    const uart = new Uart16550(() => {});
    uart.feed(new Uint8Array(1000).map((_, i) => i & 0xff));
    const copy = new Uart16550(() => {});
    copy.loadState(uart.saveState());
    expect(copy.pendingInput).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(copy.portIn(0x3f8, 1)).toBe(i & 0xff);
  });

  it('fw_cfg: selected item and offset', () => {
    const f = new FwCfg(128 * 1024 * 1024);
    f.portOut(0x510, 0x0003, 2);
    f.portIn(0x511, 1);
    f.portIn(0x511, 1);
    f.portIn(0x511, 1);
    const copy = new FwCfg(128 * 1024 * 1024);
    copy.loadState(f.saveState());
    expect(copy.saveState()).toEqual(f.saveState());
    for (let k = 0; k < 7; k++) expect(copy.portIn(0x511, 1)).toBe(f.portIn(0x511, 1));
    // An unknown item.
    f.portOut(0x510, 0x1234, 2);
    copy.loadState(f.saveState());
    expect(copy.portIn(0x511, 1)).toBe(0);
    expect(copy.saveState()).toEqual(f.saveState());
  });

  it('8259 pair: masks, in-service bits and the init sequence in progress', () => {
    const l = new Pic8259Pair();
    l.portOut(0x20, 0x11, 1); // ICW1 with ICW4
    l.portOut(0x21, 0x20, 1); // ICW2: now expecting ICW3
    l.portOut(0xa1, 0x5a, 1); // OCW1 on the slave
    const copy = new Pic8259Pair();
    copy.loadState(l.saveState());
    for (const [p, v] of [[0x21, 4], [0x21, 1], [0x21, 0xfb]] as const) {
      l.portOut(p, v, 1);
      copy.portOut(p, v, 1);
    }
    expect(copy.registers(0).imr).toBe(0xfb);
    expect(copy.registers(1).imr).toBe(0x5a);
    expect(copy.registers(0).base).toBe(0x20);
    expect(copy.saveState()).toEqual(l.saveState());
  });

  it('8254 PIT: counts, latches and the next IRQ 0 deadline survive a restore', () => {
    let now = 1000;
    const irqs: number[] = [];
    const a = new Pit8254(() => now, (h) => { if (h) irqs.push(now); });
    a.portOut(0x43, 0x34, 1); // channel 0, LSB/MSB, mode 2
    a.portOut(0x40, 100, 1);
    a.portOut(0x40, 0, 1);
    now = 5000;
    a.portOut(0x43, 0x00, 1); // latch channel 0
    const b = new Pit8254(() => now, () => {});
    b.loadState(a.saveState());
    expect(b.nextDeadline()).toBe(a.nextDeadline());
    expect(b.portIn(0x40, 1)).toBe(a.portIn(0x40, 1));
    expect(b.saveState()).toEqual(a.saveState());
  });

  it('I/O APIC: redirection entries and the register select', () => {
    const apic = new LocalApic(() => 0);
    const a = new IoApic(apic);
    a.mmioWrite(0, 0x12, 4);
    a.mmioWrite(0x10, 0x8031, 4);
    const b = new IoApic(new LocalApic(() => 0));
    b.loadState(a.saveState());
    expect(b.mmioRead(0x10, 4)).toBe(0x8031);
    expect(b.saveState()).toEqual(a.saveState());
  });

  it('debug-exit: nothing but its base', () => {
    const d = new DebugExit(() => {});
    const copy = new DebugExit(() => {});
    copy.loadState(d.saveState());
    expect(copy.saveState()).toEqual(d.saveState());
    expect(() => new DebugExit(() => {}, 0x500).loadState(d.saveState())).toThrow(/port/);
  });

  it('machine devices: the APIC and every device on the port bus', () => {
    const m = new Machine(guestImage('interrupts'));
    m.run(150_000);
    const bytes = saveDevicesState(m);
    const n = new Machine(guestImage('interrupts'));
    loadDevicesState(n, bytes);
    expect(saveDevicesState(n)).toEqual(bytes);
    expect(n.apic.nextDeadline()).toBe(m.apic.nextDeadline());
  });
});

// ---------------------------------------------------------------------------------------------
// RAM pages
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

describe('corrupt or mismatched state is rejected with a clear error and changes nothing', () => {
  const m = new Machine(guestImage('minikernel'));
  m.run(300_000);
  const good = saveMachineState(m);

  function expectRejected(target: Machine, load: () => void, message: RegExp): void {
    const before = saveMachineState(target);
    expect(load).toThrow(SnapshotError);
    expect(load).toThrow(message);
    const after = saveMachineState(target);
    expect(after.cpu).toEqual(before.cpu);
    expect(after.devices).toEqual(before.devices);
  }

  it('CPU state: short, empty, corrupt, foreign, newer, trailing bytes, bad values', () => {
    const t = new Machine(guestImage('minikernel'));
    const cpu = good.cpu;
    expectRejected(t, () => loadCpuState(t.cpu, cpu.subarray(0, cpu.length - 1)), /length mismatch/);
    expectRejected(t, () => loadCpuState(t.cpu, cpu.subarray(0, 10)), /truncated/);
    expectRejected(t, () => loadCpuState(t.cpu, new Uint8Array(0)), /truncated/);
    const flipped = cpu.slice();
    flipped[100] ^= 0x10;
    expectRejected(t, () => loadCpuState(t.cpu, flipped), /checksum/);
    expectRejected(t, () => loadCpuState(t.cpu, good.devices), /not a RCPU state/);
    const newer = cpu.slice();
    newer[4] = 3;
    expectRejected(t, () => loadCpuState(t.cpu, newer), /version 3/);
    const longer = reseal(cpu, (p) => Uint8Array.from([...p, 0]));
    expectRejected(t, () => loadCpuState(t.cpu, longer), /trailing/);
    const shorter = reseal(cpu, (p) => p.subarray(0, p.length - 3));
    expectRejected(t, () => loadCpuState(t.cpu, shorter), /CPU state: truncated/);
    const otherRam = reseal(cpu, (p) => {
      new DataView(p.buffer, p.byteOffset).setFloat64(0, 64 * 1024 * 1024, true);
      return p;
    });
    expectRejected(t, () => loadCpuState(t.cpu, otherRam), /RAM/);
  });

  it('device state: corrupt, swapped, mismatched bus', () => {
    const t = new Machine(guestImage('minikernel'));
    const flipped = good.devices.slice();
    flipped[40] ^= 1;
    expectRejected(t, () => loadDevicesState(t, flipped), /checksum/);
    expectRejected(t, () => loadDevicesState(t, good.cpu), /not a RDEV state/);
    expectRejected(t, () => t.apic.loadState(t.uart.saveState()), /local APIC state: not a APIC state/);
    expectRejected(t, () => t.uart.loadState(good.devices.subarray(0, 20)), /UART state/);
    const bus = new IoBus();
    bus.register(0x3f8, 8, new Uart16550(() => {}));
    expect(() => bus.loadState(t.io.saveState())).toThrow(/devices saved, this bus has 1/);
  });

  it('a failing device inside the bus state rolls back the ones already loaded', () => {
    const t = new Machine(guestImage('minikernel'));
    const io = m.io.saveState();
    // Devices in port order: the 8259s (0x20), the PIT (0x40), the keyboard controller (0x60),
    // port 0x61, the RTC (0x70), debug-exit (0xf4), VGA (0x3d4), UART (0x3f8), fw_cfg (0x510),
    // PCI (0xcf8). Corrupt the last one's blob and re-seal the outer bus blob, so that only the
    // inner check fails after all the others were loaded.
    const bad = reseal(io, (p) => {
      const q = p.slice();
      q[q.length - 1] ^= 0xff;
      return q;
    });
    const before = t.io.saveState();
    expect(() => t.io.loadState(bad)).toThrow(/device at port 0xcf8: PCI configuration state: checksum/);
    expect(t.io.saveState()).toEqual(before);
  });

  it('restoreMachineState is all or nothing', () => {
    const t = new Machine(guestImage('minikernel'));
    t.run(1000);
    const badCpu = good.cpu.slice(0, good.cpu.length - 8);
    expectRejected(t, () => restoreMachineState(t, { cpu: badCpu, devices: good.devices }), /CPU state/);
    const badDev = good.devices.slice();
    badDev[badDev.length - 2] ^= 4;
    expectRejected(t, () => restoreMachineState(t, { cpu: good.cpu, devices: badDev }), /device state/);
  });
});
