/**
 * String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, with and without REP.
 *
 * The source is DS:(E)SI (a segment override applies), the destination ES:(E)DI (no override).
 * With a 16-bit address size the registers are SI, DI and CX and wrap at 64 KiB; the upper
 * halves of ESI/EDI/ECX are left alone. EFLAGS.DF selects the direction.
 *
 * REP (F3) and REPNE (F2) repeat while (E)CX is nonzero; CMPS/SCAS also stop when ZF = 0 (F3,
 * REPE) or ZF = 1 (F2, REPNE); on the other instructions F2 acts as F3, as on Intel parts.
 * Every element commits (registers advance) before the next one, so a fault in the middle
 * leaves (E)SI/(E)DI/(E)CX at the faulting element and EIP at the instruction, which restarts.
 *
 * Bounded host time: one execution has a budget of REP_CHUNK (65,536) elements (one element
 * when EFLAGS.TF is set, so single-step traps after each iteration as on hardware); an element
 * that reaches a port, MMIO or unbacked memory costs BUS_ELEMENT (256) of it, so one execution
 * moves at most 256 such elements. If work remains, the instruction ends with EIP still at
 * itself (cpu.next = cpu.eip, and the decoded block is left with cpu.brk): the dispatch loop
 * may take interrupts, or stop at --max-instructions, and then executes it again. Each such
 * partial execution counts as one retired instruction in cpu.icount.
 *
 * Recording: INS and OUTS without REP report each transfer (`io`); one execution of REP INS or
 * REP OUTS reports one `ioString` with the number of elements moved, a digest of their values
 * and the last value (also when a fault ends it part-way), so a trace grows with the retired
 * instructions, not with the elements.
 *
 * Fast paths: REP MOVS and REP STOS with a 32-bit address size and DF = 0 move whole runs of
 * elements that lie within one source page and one destination page with typed-array
 * copyWithin/fill, after checking both pages in the TLB (present, permitted at the CPL, dirty,
 * RAM, no decoded code) and the segment limits for the whole run. Anything else (TLB miss,
 * MMIO, a page holding decoded code, an element straddling a page, the segment limit) takes the
 * exact per-element path, which also refills the TLB so the next run can be fast. Overlapping
 * MOVS keeps element-by-element semantics (a forward copy onto itself a few bytes ahead
 * replicates the pattern, as hardware does).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import type { AccessSize } from '../../devices/bus';
import { MASK } from '../cpu';
import { ECX, EDX, ESI, EDI, ES, DS, DF, TF } from '../constants';
import { ALU_CMP } from '../opcodes';
import { aluFlags } from './alu';
import { readLin, writeLin, getReg, setReg } from './operands';
import { checkIoPermission } from './io';
import { IO_DIGEST_START, ioDigest } from '../observer';

/** The budget of one execution of a REP string instruction, in elements. */
export const REP_CHUNK = 65536;
/** What an element that reaches a port, MMIO or unbacked memory costs of that budget. */
export const BUS_ELEMENT = 256;

// --- Shared helpers ----------------------------------------------------------------------------

/** Element size: the form's width, or the operand size. */
function elemSize(i: Insn): number {
  return i.arg !== 0 ? i.arg : i.os32 ? 4 : 2;
}
/** Source segment: DS unless overridden. */
function srcSeg(i: Insn): number {
  return i.segPrefix >= 0 ? i.segPrefix : DS;
}
/** Index register (ESI/EDI) as an offset at the address size. */
function index(cpu: Cpu, r: number, as32: boolean): number {
  return as32 ? cpu.regs[r] >>> 0 : cpu.regs16[r << 1];
}
function advance(cpu: Cpu, r: number, as32: boolean, delta: number): void {
  if (as32) cpu.regs[r] = (cpu.regs[r] + delta) | 0;
  else cpu.regs16[r << 1] = cpu.regs16[r << 1] + delta;
}
function getCount(cpu: Cpu, as32: boolean): number {
  return as32 ? cpu.regs[ECX] >>> 0 : cpu.regs16[ECX << 1];
}
function setCount(cpu: Cpu, as32: boolean, n: number): void {
  if (as32) cpu.regs[ECX] = n;
  else cpu.regs16[ECX << 1] = n;
}
function repBudget(cpu: Cpu): number {
  return (cpu.flagsReg & TF) !== 0 ? 1 : REP_CHUNK;
}
/** Work remains: execute this instruction again (after any pending interrupt). */
function again(cpu: Cpu): void {
  cpu.next = cpu.eip;
  cpu.brk = true;
}
/** The budget an element took: 1, or BUS_ELEMENT when it reached MMIO or unbacked memory. */
function cost(cpu: Cpu, busBefore: number): number {
  return cpu.busAccesses === busBefore ? 1 : BUS_ELEMENT;
}
function direction(cpu: Cpu, size: number): number {
  return (cpu.flagsReg & DF) !== 0 ? -size : size;
}

// --- MOVS ----------------------------------------------------------------------------------------

function movsOne(cpu: Cpu, seg: number, size: number, as32: boolean, delta: number): void {
  const v = readLin(cpu, cpu.linR(seg, index(cpu, ESI, as32), size), size);
  writeLin(cpu, cpu.linW(ES, index(cpu, EDI, as32), size), size, v);
  advance(cpu, ESI, as32, delta);
  advance(cpu, EDI, as32, delta);
}

/**
 * Fast forward MOVS of up to `max` elements (32-bit addresses): the run that lies within the
 * current source and destination pages, both in RAM and already in the TLB with the needed
 * rights. Returns the elements moved (ESI/EDI advanced), 0 when the slow path must run.
 */
function movsRun(cpu: Cpu, seg: number, size: number, max: number): number {
  const si = cpu.regs[ESI] >>> 0, di = cpu.regs[EDI] >>> 0;
  const slin = (cpu.segBase[seg] + si) | 0, dlin = (cpu.segBase[ES] + di) | 0;
  const se = cpu.tlb[slin >>> 12], de = cpu.tlb[dlin >>> 12];
  if ((se & cpu.rdMask) !== cpu.rdWant || (de & cpu.wrMask) !== cpu.wrWant) return 0;
  if (si < cpu.segRLo[seg] || di < cpu.segWLo[ES]) return 0;
  const soff = slin & 0xfff, doff = dlin & 0xfff;
  let n = max;
  let room = ((0x1000 - soff) / size) | 0;
  if (room < n) n = room;
  room = ((0x1000 - doff) / size) | 0;
  if (room < n) n = room;
  room = Math.floor((cpu.segRHi[seg] - si + 1) / size);
  if (room < n) n = room;
  room = Math.floor((cpu.segWHi[ES] - di + 1) / size);
  if (room < n) n = room;
  if (n <= 0) return 0;
  const sp = (se >>> 12) * 4096 + soff, dp = (de >>> 12) * 4096 + doff;
  let bytes = n * size;
  const ram = cpu.ram;
  if (dp > sp && dp - sp < bytes) {
    // The destination overlaps the source ahead of it: element-by-element semantics differ
    // from a memmove. For bytes, a forward byte loop is exactly those semantics; for words and
    // dwords only the elements not yet overwritten when read can move at once.
    if (size === 1) {
      for (let k = 0; k < bytes; k++) ram[dp + k] = ram[sp + k];
    } else {
      room = ((dp - sp) / size) | 0;
      if (room === 0) return 0;
      n = room;
      bytes = n * size;
      ram.copyWithin(dp, sp, sp + bytes);
    }
  } else if (bytes <= 16) {
    for (let k = 0; k < bytes; k++) ram[dp + k] = ram[sp + k]; // no overlap hazard here
  } else ram.copyWithin(dp, sp, sp + bytes);
  cpu.regs[ESI] = (si + bytes) | 0;
  cpu.regs[EDI] = (di + bytes) | 0;
  return n;
}

// A4 MOVSB, A5 MOVSW/MOVSD (arg = width, 0: operand size)
export function movs(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), seg = srcSeg(i), as32 = i.as32;
  const delta = direction(cpu, size);
  if (i.rep === 0) {
    movsOne(cpu, seg, size, as32, delta);
    return;
  }
  let count = getCount(cpu, as32);
  let budget = repBudget(cpu);
  const fast = as32 && delta > 0;
  while (count !== 0 && budget > 0) {
    let n = fast ? movsRun(cpu, seg, size, count < budget ? count : budget) : 0;
    let spent = n;
    if (n === 0) {
      const bus = cpu.busAccesses;
      movsOne(cpu, seg, size, as32, delta);
      n = 1;
      spent = cost(cpu, bus);
    }
    count -= n;
    budget -= spent;
    setCount(cpu, as32, count);
  }
  if (count !== 0) again(cpu);
}

// --- STOS ----------------------------------------------------------------------------------------

function stosOne(cpu: Cpu, size: number, as32: boolean, delta: number): void {
  writeLin(cpu, cpu.linW(ES, index(cpu, EDI, as32), size), size, getReg(cpu, 0, size));
  advance(cpu, EDI, as32, delta);
}

/** Fast forward STOS of up to `max` elements of value `v` (see movsRun). */
function stosRun(cpu: Cpu, size: number, max: number, v: number): number {
  const di = cpu.regs[EDI] >>> 0;
  const dlin = (cpu.segBase[ES] + di) | 0;
  const de = cpu.tlb[dlin >>> 12];
  if ((de & cpu.wrMask) !== cpu.wrWant || di < cpu.segWLo[ES]) return 0;
  const doff = dlin & 0xfff;
  let n = max;
  let room = ((0x1000 - doff) / size) | 0;
  if (room < n) n = room;
  room = Math.floor((cpu.segWHi[ES] - di + 1) / size);
  if (room < n) n = room;
  if (n <= 0) return 0;
  const dp = (de >>> 12) * 4096 + doff;
  const ram = cpu.ram;
  if (size === 1) ram.fill(v, dp, dp + n);
  else if (size === 4 && (dp & 3) === 0) cpu.ram32.fill(v, dp >>> 2, (dp >>> 2) + n);
  else {
    for (let k = 0, p = dp; k < n; k++) {
      ram[p++] = v;
      ram[p++] = v >> 8;
      if (size === 4) {
        ram[p++] = v >> 16;
        ram[p++] = v >> 24;
      }
    }
  }
  cpu.regs[EDI] = (di + n * size) | 0;
  return n;
}

// AA STOSB, AB STOSW/STOSD
export function stos(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), as32 = i.as32;
  const delta = direction(cpu, size);
  if (i.rep === 0) {
    stosOne(cpu, size, as32, delta);
    return;
  }
  let count = getCount(cpu, as32);
  let budget = repBudget(cpu);
  const fast = as32 && delta > 0;
  const v = getReg(cpu, 0, size);
  while (count !== 0 && budget > 0) {
    let n = fast ? stosRun(cpu, size, count < budget ? count : budget, v) : 0;
    let spent = n;
    if (n === 0) {
      const bus = cpu.busAccesses;
      stosOne(cpu, size, as32, delta);
      n = 1;
      spent = cost(cpu, bus);
    }
    count -= n;
    budget -= spent;
    setCount(cpu, as32, count);
  }
  if (count !== 0) again(cpu);
}

// --- LODS ----------------------------------------------------------------------------------------

function lodsOne(cpu: Cpu, seg: number, size: number, as32: boolean, delta: number): void {
  const v = readLin(cpu, cpu.linR(seg, index(cpu, ESI, as32), size), size);
  setReg(cpu, 0, size, v);
  advance(cpu, ESI, as32, delta);
}

// AC LODSB, AD LODSW/LODSD
export function lods(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), seg = srcSeg(i), as32 = i.as32;
  const delta = direction(cpu, size);
  if (i.rep === 0) {
    lodsOne(cpu, seg, size, as32, delta);
    return;
  }
  let count = getCount(cpu, as32);
  let budget = repBudget(cpu);
  while (count !== 0 && budget > 0) {
    const bus = cpu.busAccesses;
    lodsOne(cpu, seg, size, as32, delta);
    count--;
    budget -= cost(cpu, bus);
    setCount(cpu, as32, count);
  }
  if (count !== 0) again(cpu);
}

// --- CMPS / SCAS -------------------------------------------------------------------------------
// Flags as CMP: CMPS compares [DS:(E)SI] - [ES:(E)DI], SCAS compares accumulator - [ES:(E)DI].

/** One CMPS element; returns the masked difference (0: ZF set). */
function cmpsOne(cpu: Cpu, seg: number, size: number, as32: boolean, delta: number): number {
  const a = readLin(cpu, cpu.linR(seg, index(cpu, ESI, as32), size), size);
  const b = readLin(cpu, cpu.linR(ES, index(cpu, EDI, as32), size), size);
  advance(cpu, ESI, as32, delta);
  advance(cpu, EDI, as32, delta);
  const r = (a - b) & MASK[size];
  aluFlags(cpu, ALU_CMP, a, b, r, 0, size);
  return r;
}

// A6 CMPSB, A7 CMPSW/CMPSD
export function cmps(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), seg = srcSeg(i), as32 = i.as32;
  const delta = direction(cpu, size);
  if (i.rep === 0) {
    cmpsOne(cpu, seg, size, as32, delta);
    return;
  }
  const repe = i.rep === 1;
  let count = getCount(cpu, as32);
  let budget = repBudget(cpu);
  while (count !== 0 && budget > 0) {
    const bus = cpu.busAccesses;
    const r = cmpsOne(cpu, seg, size, as32, delta);
    count--;
    budget -= cost(cpu, bus);
    setCount(cpu, as32, count);
    if ((r === 0) !== repe) return; // REPE: stop on ZF = 0; REPNE: stop on ZF = 1
  }
  if (count !== 0) again(cpu);
}

function scasOne(cpu: Cpu, size: number, as32: boolean, delta: number, a: number): number {
  const b = readLin(cpu, cpu.linR(ES, index(cpu, EDI, as32), size), size);
  advance(cpu, EDI, as32, delta);
  const r = (a - b) & MASK[size];
  aluFlags(cpu, ALU_CMP, a, b, r, 0, size);
  return r;
}

// AE SCASB, AF SCASW/SCASD
export function scas(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), as32 = i.as32;
  const delta = direction(cpu, size);
  const a = getReg(cpu, 0, size);
  if (i.rep === 0) {
    scasOne(cpu, size, as32, delta, a);
    return;
  }
  const repe = i.rep === 1;
  let count = getCount(cpu, as32);
  let budget = repBudget(cpu);
  while (count !== 0 && budget > 0) {
    const bus = cpu.busAccesses;
    const r = scasOne(cpu, size, as32, delta, a);
    count--;
    budget -= cost(cpu, bus);
    setCount(cpu, as32, count);
    if ((r === 0) !== repe) return;
  }
  if (count !== 0) again(cpu);
}

// --- INS / OUTS ----------------------------------------------------------------------------------
// The I/O permission check (CPL > IOPL: the TSS bitmap) is made once per execution, before the
// first element, and not at all when a REP count is 0. INS checks that the destination can be
// written (segment and page) before reading the port, so a faulting INS does not consume input.

function insOne(cpu: Cpu, port: number, size: number, as32: boolean, delta: number, report: boolean): number {
  const lin = cpu.linW(ES, index(cpu, EDI, as32), size);
  cpu.probeWrite(lin, size);
  const v = cpu.io.portIn(port, size as AccessSize);
  if (report && cpu.observer !== null) cpu.observer.io(false, port, size, v);
  writeLin(cpu, lin, size, v);
  advance(cpu, EDI, as32, delta);
  return v;
}

// 6C INSB, 6D INSW/INSD: ES:(E)DI <- port DX
export function ins(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), as32 = i.as32;
  const delta = direction(cpu, size);
  const port = cpu.regs16[EDX << 1];
  if (i.rep === 0) {
    checkIoPermission(cpu, port, size);
    if (cpu.monitor !== null && cpu.monitor.instruction('io', i)) return;
    insOne(cpu, port, size, as32, delta, true);
    return;
  }
  let count = getCount(cpu, as32);
  if (count === 0) return;
  checkIoPermission(cpu, port, size);
  if (cpu.monitor !== null && cpu.monitor.instruction('io', i)) return;
  let budget = repBudget(cpu);
  let done = 0, digest = IO_DIGEST_START, last = 0;
  try {
    while (count !== 0 && budget > 0) {
      last = insOne(cpu, port, size, as32, delta, false);
      digest = ioDigest(digest, last, size);
      done++;
      count--;
      budget -= BUS_ELEMENT;
      setCount(cpu, as32, count);
    }
  } finally {
    if (done > 0 && cpu.observer !== null) cpu.observer.ioString(false, port, size, done, digest, last);
  }
  if (count !== 0) again(cpu);
}

function outsOne(cpu: Cpu, seg: number, port: number, size: number, as32: boolean, delta: number, report: boolean): number {
  let v = readLin(cpu, cpu.linR(seg, index(cpu, ESI, as32), size), size);
  if (size === 4) v >>>= 0;
  if (report && cpu.observer !== null) cpu.observer.io(true, port, size, v);
  cpu.io.portOut(port, v, size as AccessSize);
  advance(cpu, ESI, as32, delta);
  cpu.brk = true; // a device may have stopped the machine
  return v;
}

// 6E OUTSB, 6F OUTSW/OUTSD: port DX <- DS:(E)SI
export function outs(cpu: Cpu, i: Insn): void {
  const size = elemSize(i), seg = srcSeg(i), as32 = i.as32;
  const delta = direction(cpu, size);
  const port = cpu.regs16[EDX << 1];
  if (i.rep === 0) {
    checkIoPermission(cpu, port, size);
    if (cpu.monitor !== null && cpu.monitor.instruction('io', i)) return;
    outsOne(cpu, seg, port, size, as32, delta, true);
    return;
  }
  let count = getCount(cpu, as32);
  if (count === 0) return;
  checkIoPermission(cpu, port, size);
  if (cpu.monitor !== null && cpu.monitor.instruction('io', i)) return;
  let budget = repBudget(cpu);
  let done = 0, digest = IO_DIGEST_START, last = 0;
  try {
    while (count !== 0 && budget > 0) {
      last = outsOne(cpu, seg, port, size, as32, delta, false);
      digest = ioDigest(digest, last, size);
      done++;
      count--;
      budget -= BUS_ELEMENT;
      setCount(cpu, as32, count);
      if (cpu.stopReason !== '') break; // the device stopped the machine: resume here later
    }
  } finally {
    if (done > 0 && cpu.observer !== null) cpu.observer.ioString(true, port, size, done, digest, last);
  }
  if (count !== 0) again(cpu);
}
