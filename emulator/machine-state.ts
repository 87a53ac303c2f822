/**
 * Snapshots of machine state, for the recorder's seek: restore the nearest snapshot, then
 * re-execute. A restore must be exact: after `restore(save(m))` the machine retires the same
 * instructions with the same effects as the original, forever after.
 *
 * What a snapshot holds
 *  - CPU (saveCpuState): every field that influences future execution, including the lazy
 *    flags, the hidden segment/LDTR/TR caches, the interrupt shadow, the TLB's contents (the
 *    TLB is not coherent with the page tables: a guest may rely on a stale entry, and a hit
 *    does not set the accessed bit, so re-walking after a restore could change both what the
 *    guest sees and what it writes) and the pending-exception scratch registers.
 *  - Devices (saveDevicesState): the local APIC and every device on the port bus that has
 *    `saveState` (UART, fw_cfg, legacy ports, debug-exit).
 *  - RAM is not here: the recorder stores it as pages (packPages / unpackPages).
 *
 * What it does not hold: caches and bookkeeping that are rebuilt on demand and do not change
 * what the guest sees (decoded blocks and their links, the code-page marks, the block epoch,
 * the TLB's TLB_CODE / TLB_WRITTEN bits, which are re-derived on restore), and attachments
 * (observer, device callbacks, the recorder's hooks).
 *
 * Every blob is in the state codec's format (state/codec.ts).
 */
import type { Cpu } from './cpu/cpu';
import {
  TLB_VALID, TLB_SUP_WRITE, TLB_USER_READ, TLB_USER_WRITE, TLB_DIRTY, TLB_MMIO, TLB_GLOBAL, TLB_CODE, TLB_READ_WATCH,
} from './cpu/cpu';
import type { Machine } from './machine';
import { openState, sealState } from './state/codec';

// =============================================================================================
// CPU
// =============================================================================================

const CPU_TAG = 'RCPU';
const CPU_VERSION = 2;

/** Plain-number fields of Cpu, stored as Float64 in this order. */
const CPU_SCALARS = [
  'eip', 'next', 'flagsReg', 'lazy', 'lop', 'ldst', 'lsrc', 'lres', 'lsz', 'lcin', 'icount',
  'gdtrBase', 'gdtrLimit', 'idtrBase', 'idtrLimit',
  'ldtrSel', 'ldtrBase', 'ldtrLimit', 'ldtrAR', 'trSel', 'trBase', 'trLimit', 'trAR',
  'cr0', 'cr2', 'cr3', 'cr4', 'sysenterCs', 'sysenterEsp', 'sysenterEip', 'tscOffset',
  'exitCode', 'irqShadow', 'excVector', 'excCode', 'excAddr',
  'tscAdjust', 'tscAux', 'pat', 'patHigh', 'miscEnable',
] as const;
type CpuScalar = (typeof CPU_SCALARS)[number];

/** Boolean fields of Cpu, in this order. */
const CPU_FLAGS = ['ss32', 'cs32', 'halted', 'nmiBlocked'] as const;
type CpuFlag = (typeof CPU_FLAGS)[number];

/**
 * TLB entry bits that describe the translation itself. TLB_CODE and TLB_WRITTEN (and any other
 * bit) are bookkeeping about physical pages, re-derived when an entry is restored.
 */
const TLB_ARCH_BITS = ~0xfff | TLB_VALID | TLB_SUP_WRITE | TLB_USER_READ | TLB_USER_WRITE | TLB_DIRTY | TLB_MMIO | TLB_GLOBAL;
const TLB_PAGES = 1 << 20;

interface CpuState {
  scalars: Record<CpuScalar, number>;
  flags: Record<CpuFlag, boolean>;
  regs: number[];
  cpl: number;
  segs: { sel: number; base: number; limit: number; ar: number }[];
  dr: number[];
  stopReason: string;
  tlb: Int32Array; // page, entry pairs
}

/** Serializes the CPU's architectural and micro-architectural state (see the file comment). */
export function saveCpuState(cpu: Cpu): Uint8Array {
  return sealState(CPU_TAG, CPU_VERSION, (w) => {
    w.f64(cpu.ramSize);
    w.i32s(cpu.regs);
    for (const k of CPU_SCALARS) w.f64(cpu[k]);
    for (const k of CPU_FLAGS) w.bool(cpu[k]);
    w.u8(cpu.cpl);
    w.u32(6);
    for (let s = 0; s < 6; s++) {
      w.u16(cpu.segSel[s]);
      w.i32(cpu.segBase[s]);
      w.f64(cpu.segLimit[s]);
      w.i32(cpu.segAR[s]);
    }
    w.i32s(cpu.dr);
    w.str(cpu.stopReason);
    // TLB: every filled entry, bookkeeping bits stripped.
    const tlb = cpu.tlb;
    const at: number[] = [];
    for (const p of cpu.tlbPages()) at.push(p);
    w.u32(at.length);
    for (const p of at) {
      w.u32(p);
      w.i32(tlb[p] & TLB_ARCH_BITS);
    }
  });
}

function parseCpuState(cpu: Cpu, bytes: Uint8Array): CpuState {
  const r = openState(CPU_TAG, CPU_VERSION, bytes, 'CPU state');
  const ramSize = r.f64();
  if (ramSize !== cpu.ramSize) r.fail(`saved with ${ramSize} bytes of RAM, this machine has ${cpu.ramSize}`);
  const regs = r.i32s(8, 'regs');
  const scalars = {} as Record<CpuScalar, number>;
  for (const k of CPU_SCALARS) {
    const v = r.f64();
    if (Number.isNaN(v)) r.fail(`${k} is NaN`);
    scalars[k] = v;
  }
  const flags = {} as Record<CpuFlag, boolean>;
  for (const k of CPU_FLAGS) flags[k] = r.bool();
  const cpl = r.u8();
  if (cpl > 3) r.fail(`bad CPL ${cpl}`);
  const nseg = r.u32();
  if (nseg !== 6) r.fail(`${nseg} segment registers, expected 6`);
  const segs: CpuState['segs'] = [];
  for (let s = 0; s < 6; s++) {
    const sel = r.u16(), base = r.i32(), limit = r.f64(), ar = r.i32();
    if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) r.fail(`segment ${s} limit out of range: ${limit}`);
    segs.push({ sel, base, limit, ar });
  }
  const dr = r.i32s(8, 'dr');
  const stopReason = r.str();
  const n = r.u32();
  if (n > TLB_PAGES) r.fail(`${n} TLB entries (at most ${TLB_PAGES})`);
  const tlb = new Int32Array(2 * n);
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const page = r.u32(), e = r.i32();
    if (page >= TLB_PAGES || page <= prev) r.fail(`bad TLB page ${page}`);
    if ((e & TLB_VALID) === 0 || (e & ~TLB_ARCH_BITS) !== 0) r.fail(`bad TLB entry ${e >>> 0} for page ${page}`);
    prev = page;
    tlb[2 * k] = page;
    tlb[2 * k + 1] = e;
  }
  r.end();
  return { scalars, flags, regs, cpl, segs, dr, stopReason, tlb };
}

/**
 * Loads a state saved by saveCpuState into `cpu`. Nothing changes if the blob is rejected.
 * Segment caches are rebuilt through setSegCache (observer silenced), the TLB is flushed and
 * refilled with the saved translations, and the CPL's access masks are recomputed. Decoded
 * code is the executor's business: when RAM changed too, use restoreMachineState.
 */
export function loadCpuState(cpu: Cpu, bytes: Uint8Array): void {
  const st = parseCpuState(cpu, bytes);
  cpu.regs.set(st.regs);
  for (const k of CPU_SCALARS) cpu[k] = st.scalars[k];
  cpu.dr.set(st.dr);
  cpu.stopReason = st.stopReason;
  const observer = cpu.observer;
  cpu.observer = null;
  try {
    for (let s = 0; s < 6; s++) {
      const g = st.segs[s];
      cpu.setSegCache(s, g.sel, g.base, g.limit, g.ar);
    }
  } finally {
    cpu.observer = observer;
  }
  // After setSegCache, which derives ss32/cs32 from the rights: keep the saved values.
  for (const k of CPU_FLAGS) cpu[k] = st.flags[k];
  cpu.flushTlb(true);
  const codePage = cpu.codePage, watchPage = cpu.watchPage;
  for (let k = 0; k < st.tlb.length; k += 2) {
    let e = st.tlb[k + 1];
    const phys = e >>> 12;
    if (phys >= codePage.length) e |= TLB_MMIO;
    else {
      if (codePage[phys] !== 0 || watchPage[phys] !== 0) e |= TLB_CODE;
      if (cpu.readWatchPage[phys] !== 0) e |= TLB_READ_WATCH;
    }
    cpu.tlbSet(st.tlb[k], e);
  }
  cpu.setCpl(st.cpl);
  cpu.brk = true;
}

// =============================================================================================
// Devices and the machine
// =============================================================================================

const DEVICES_TAG = 'RDEV';
const DEVICES_VERSION = 3;

/**
 * The state of the machine's devices: the local APIC, every stateful device on the port bus
 * and on the MMIO bus (the I/O APIC).
 */
export function saveDevicesState(m: Machine): Uint8Array {
  return sealState(DEVICES_TAG, DEVICES_VERSION, (w) => {
    w.bytes(m.apic.saveState());
    w.bytes(m.io.saveState());
    w.bytes(m.mmio.saveState());
    w.bytes(m.monitor === null ? new Uint8Array(0) : m.monitor.saveState());
  });
}

export function loadDevicesState(m: Machine, bytes: Uint8Array): void {
  const r = openState(DEVICES_TAG, DEVICES_VERSION, bytes, 'device state');
  const apic = r.bytes();
  const io = r.bytes();
  const mmio = r.bytes();
  const monitor = r.bytes();
  r.end();
  if ((monitor.length > 0) !== (m.monitor !== null)) r.fail(m.monitor === null ? 'saved under a monitor, this machine runs natively' : 'saved without a monitor, this machine runs under one');
  const apicBefore = m.apic.saveState();
  const ioBefore = m.io.saveState();
  const mmioBefore = m.mmio.saveState();
  m.apic.loadState(apic);
  try {
    m.io.loadState(io);
    m.mmio.loadState(mmio);
    if (m.monitor !== null) m.monitor.loadState(monitor);
  } catch (e) {
    m.apic.loadState(apicBefore);
    m.io.loadState(ioBefore);
    m.mmio.loadState(mmioBefore);
    throw e;
  }
}

export interface MachineState {
  cpu: Uint8Array; // saveCpuState
  devices: Uint8Array; // saveDevicesState
}

/** CPU and device state of a machine (RAM is saved separately, see packPages). */
export function saveMachineState(m: Machine): MachineState {
  return { cpu: saveCpuState(m.cpu), devices: saveDevicesState(m) };
}

/**
 * Rejects state blobs that `m` could not load (SnapshotError), without touching anything: a full
 * parse of the CPU state; headers and checksums of the devices, whose loaders are themselves
 * all-or-nothing.
 */
export function checkMachineState(m: Machine, s: MachineState): void {
  parseCpuState(m.cpu, s.cpu);
  openState(DEVICES_TAG, DEVICES_VERSION, s.devices, 'device state');
}

/**
 * Restores CPU and device state saved by saveMachineState and drops all decoded code (RAM may
 * have been replaced under it: restore RAM before or after, but before running). All or
 * nothing: a rejected blob leaves the machine as it was.
 */
export function restoreMachineState(m: Machine, s: MachineState, opts: { keepDecodedCode?: boolean } = {}): void {
  checkMachineState(m, s);
  loadDevicesState(m, s.devices);
  // Decoded code stays valid only if the caller invalidated every page whose bytes it replaced.
  if (opts.keepDecodedCode !== true) m.executor.invalidateAll();
  loadCpuState(m.cpu, s.cpu);
}
