/**
 * Far control transfers in protected mode (SDM "JMP", "CALL", "RET", "IRET"): code-segment
 * targets with conforming/non-conforming rules, call gates with the stack switch and
 * parameter copy, returns to an outer privilege level, and the fast system calls
 * SYSENTER/SYSEXIT. Task gates, TSS targets and nested-task IRET switch tasks
 * (task-switch.ts); returns to virtual-8086 mode are out of scope and raise #GP (the README lists them).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import {
  CS, SS, ESP, ECX, EDX, AR_P, GP_VECTOR, NP_VECTOR, SS_VECTOR,
  NT, VM, IF, IOPL, RF, FLAGS_IMPLEMENTED, FIXED1, AR_S,
} from '../constants';
import {
  desc, fetchDescriptor, descDpl, descLimit, isCodeSeg, isConforming, isWritableData,
  loadCodeSegment, loadCacheFromDesc, setAccessed, nullInvalidDataSegments, StackState,
} from '../segments';
import { switchToTssStack, pushFrame, frame } from '../interrupts';
import { ea } from './operands';
import type { PrivilegeCause } from '../observer';
import { isTaskDescriptor, farTransferToTask, taskReturn, TASK_JMP, TASK_CALL } from './task-switch';

const saved = new StackState();
const params = new Int32Array(32); // call-gate parameters

/** Reports a privilege change with its destination (the new CS, and cpu.next). */
function notifyPrivilege(cpu: Cpu, from: number, cause: PrivilegeCause): void {
  if (cpu.observer !== null && from !== cpu.cpl) cpu.observer.privilegeChange(from, cpu.cpl, cause, cpu.segSel[CS], cpu.next);
}

/** Checks a direct code-segment target of JMP/CALL far (desc holds its descriptor). */
function checkDirectCode(cpu: Cpu, sel: number, offset: number): void {
  const hi = desc.hi;
  const dpl = descDpl(hi);
  if (isConforming(hi)) {
    if (dpl > cpu.cpl) cpu.gp(sel & 0xfffc);
  } else if ((sel & 3) > cpu.cpl || dpl !== cpu.cpl) cpu.gp(sel & 0xfffc);
  if ((hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
  if (offset > descLimit(desc.lo, hi)) cpu.gp(0);
}

/** Reads a call gate (desc) and fetches its target; returns the target offset. */
const gate = { sel: 0, offset: 0, count: 0, is32: false };
function readCallGate(cpu: Cpu, sel: number): void {
  const hi = desc.hi, lo = desc.lo;
  const dpl = descDpl(hi);
  if (dpl < cpu.cpl || dpl < (sel & 3)) cpu.gp(sel & 0xfffc);
  if ((hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
  gate.is32 = ((hi >> 8) & 0xf) === 0xc;
  gate.sel = lo >>> 16;
  gate.offset = gate.is32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  gate.count = hi & 0x1f;
  if ((gate.sel & 0xfffc) === 0) cpu.gp(0);
  fetchDescriptor(cpu, gate.sel, GP_VECTOR, 0);
  if (!isCodeSeg(desc.hi) || descDpl(desc.hi) > cpu.cpl) cpu.gp(gate.sel & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, gate.sel & 0xfffc);
  if (gate.offset > descLimit(desc.lo, desc.hi)) cpu.gp(0);
}

function isCallGate(hi: number): boolean {
  const type = (hi >> 8) & 0x1f;
  return type === 0x04 || type === 0x0c;
}

/** farJump with its events stamped at the instruction itself (see observer.ts). */
function farJump(cpu: Cpu, sel: number, offset: number): void {
  const pinned = cpu.pinOrigin();
  try {
    farJumpBody(cpu, sel, offset);
  } finally {
    if (pinned) cpu.atPinned = false;
  }
}

function farJumpBody(cpu: Cpu, sel: number, offset: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) cpu.gp(0);
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  if ((desc.hi & AR_S) !== 0) {
    if (!isCodeSeg(desc.hi)) cpu.gp(sel & 0xfffc);
    checkDirectCode(cpu, sel, offset);
    loadCodeSegment(cpu, sel, cpu.cpl);
    cpu.next = offset;
    return;
  }
  if (isTaskDescriptor(desc.hi)) return farTransferToTask(cpu, sel, TASK_JMP);
  if (!isCallGate(desc.hi)) cpu.gp(sel & 0xfffc);
  readCallGate(cpu, sel);
  // JMP through a call gate never changes privilege: conforming, or DPL == CPL.
  if (!isConforming(desc.hi) && descDpl(desc.hi) !== cpu.cpl) cpu.gp(gate.sel & 0xfffc);
  loadCodeSegment(cpu, gate.sel, cpu.cpl);
  cpu.next = gate.offset;
}

/** farCall with its events stamped at the instruction itself (see observer.ts). */
function farCall(cpu: Cpu, sel: number, offset: number, os32: boolean): void {
  const pinned = cpu.pinOrigin();
  try {
    farCallBody(cpu, sel, offset, os32);
  } finally {
    if (pinned) cpu.atPinned = false;
  }
}

function farCallBody(cpu: Cpu, sel: number, offset: number, os32: boolean): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) cpu.gp(0);
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  const oldCs = cpu.segSel[CS];
  const ret = cpu.next;
  const from = cpu.cpl;
  if ((desc.hi & AR_S) !== 0) {
    if (!isCodeSeg(desc.hi)) cpu.gp(sel & 0xfffc);
    checkDirectCode(cpu, sel, offset);
    const lo = desc.lo, hi = desc.hi, addr = desc.addr;
    frame[0] = oldCs;
    frame[1] = ret;
    pushFrame(cpu, 2, os32 ? 4 : 2, SS_VECTOR, 0);
    desc.lo = lo; desc.hi = hi; desc.addr = addr;
    loadCodeSegment(cpu, sel, cpu.cpl);
    cpu.next = offset;
    return;
  }
  if (isTaskDescriptor(desc.hi)) return farTransferToTask(cpu, sel, TASK_CALL);
  if (!isCallGate(desc.hi)) cpu.gp(sel & 0xfffc);
  readCallGate(cpu, sel);
  const lo = desc.lo, hi = desc.hi, addr = desc.addr;
  const dpl = descDpl(hi);
  const size = gate.is32 ? 4 : 2;
  if (!isConforming(hi) && dpl < cpu.cpl) {
    // More privileged: switch to the TSS stack and copy the parameters.
    const oldSs = cpu.segSel[SS], oldEsp = cpu.regs[ESP];
    for (let k = 0; k < gate.count; k++) params[k] = cpu.peek(k * size, gate.is32);
    saved.save(cpu);
    try {
      switchToTssStack(cpu, dpl, 0);
      cpu.setCpl(dpl);
      let n = 0;
      frame[n++] = oldSs;
      frame[n++] = oldEsp;
      for (let k = gate.count - 1; k >= 0; k--) frame[n++] = params[k];
      frame[n++] = oldCs;
      frame[n++] = ret;
      pushFrame(cpu, n, size, SS_VECTOR, cpu.segSel[SS] & 0xfffc);
    } catch (e) {
      saved.restore(cpu);
      throw e;
    }
    desc.lo = lo; desc.hi = hi; desc.addr = addr;
    loadCodeSegment(cpu, gate.sel, dpl);
  } else {
    frame[0] = oldCs;
    frame[1] = ret;
    pushFrame(cpu, 2, size, SS_VECTOR, 0);
    desc.lo = lo; desc.hi = hi; desc.addr = addr;
    loadCodeSegment(cpu, gate.sel, cpu.cpl);
  }
  cpu.next = gate.offset;
  notifyPrivilege(cpu, from, 'far-call');
}

// EA cp: JMP ptr16:32
export function jmpAp(cpu: Cpu, i: Insn): void {
  farJump(cpu, i.imm2, i.os32 ? i.imm >>> 0 : i.imm & 0xffff);
}
// FF /5: JMP m16:32
export function jmpMp(cpu: Cpu, i: Insn): void {
  const off = ea(cpu, i);
  const target = i.os32 ? cpu.rd32(i.seg, off) >>> 0 : cpu.rd16(i.seg, off);
  const sel = cpu.rd16(i.seg, i.as32 ? (off + (i.os32 ? 4 : 2)) >>> 0 : (off + (i.os32 ? 4 : 2)) & 0xffff);
  farJump(cpu, sel, target);
}
// 9A cp: CALL ptr16:32
export function callAp(cpu: Cpu, i: Insn): void {
  farCall(cpu, i.imm2, i.os32 ? i.imm >>> 0 : i.imm & 0xffff, i.os32);
}
// FF /3: CALL m16:32
export function callMp(cpu: Cpu, i: Insn): void {
  const off = ea(cpu, i);
  const target = i.os32 ? cpu.rd32(i.seg, off) >>> 0 : cpu.rd16(i.seg, off);
  const sel = cpu.rd16(i.seg, i.as32 ? (off + (i.os32 ? 4 : 2)) >>> 0 : (off + (i.os32 ? 4 : 2)) & 0xffff);
  farCall(cpu, sel, target, i.os32);
}

/** Validates the CS selector popped by RET far or IRET (desc receives its descriptor). */
function checkReturnCs(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0) cpu.gp(0);
  const rpl = sel & 3;
  if (rpl < cpu.cpl) cpu.gp(sel & 0xfffc);
  fetchDescriptor(cpu, sel, GP_VECTOR, 0);
  if (!isCodeSeg(desc.hi)) cpu.gp(sel & 0xfffc);
  const dpl = descDpl(desc.hi);
  if (isConforming(desc.hi) ? dpl > rpl : dpl !== rpl) cpu.gp(sel & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
}

/** Validates the SS popped by a return to an outer level and loads it (with ESP). */
function loadOuterStack(cpu: Cpu, ss: number, esp: number, rpl: number, os32: boolean): void {
  if ((ss & 0xfffc) === 0) cpu.gp(0);
  if ((ss & 3) !== rpl) cpu.gp(ss & 0xfffc);
  fetchDescriptor(cpu, ss, GP_VECTOR, 0);
  if (descDpl(desc.hi) !== rpl || !isWritableData(desc.hi)) cpu.gp(ss & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(SS_VECTOR, ss & 0xfffc);
  setAccessed(cpu);
  loadCacheFromDesc(cpu, SS, ss);
  if (os32) cpu.regs[ESP] = esp;
  else cpu.regs16[ESP << 1] = esp;
}

/**
 * The common tail of RET far and IRET to an outer privilege level: the outer SS:ESP sit at
 * `stackAt` bytes above the stack pointer; CS (already checked, in desc) is loaded with the new
 * CPL, and data segment registers the new CPL may not use become null.
 */
function returnToOuterLevel(cpu: Cpu, sel: number, rpl: number, stackAt: number, os32: boolean): void {
  const size = os32 ? 4 : 2;
  const esp = cpu.peek(stackAt, os32);
  const ss = cpu.peek(stackAt + size, os32) & 0xffff;
  const lo = desc.lo, hi = desc.hi, addr = desc.addr;
  saved.save(cpu);
  try {
    loadOuterStack(cpu, ss, esp, rpl, os32);
  } catch (e) {
    saved.restore(cpu);
    throw e;
  }
  desc.lo = lo;
  desc.hi = hi;
  desc.addr = addr;
  loadCodeSegment(cpu, sel, rpl);
  nullInvalidDataSegments(cpu);
}

// CB, CA iw: RET far / RET far imm16
export function retfIw(cpu: Cpu, i: Insn): void {
  const pinned = cpu.pinOrigin();
  try {
    retfBody(cpu, i);
  } finally {
    if (pinned) cpu.atPinned = false;
  }
}

function retfBody(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const offset = i.os32 ? cpu.peek(0, true) >>> 0 : cpu.peek(0, false);
  const sel = cpu.peek(size, i.os32) & 0xffff;
  checkReturnCs(cpu, sel);
  if (offset > descLimit(desc.lo, desc.hi)) cpu.gp(0);
  const rpl = sel & 3;
  const from = cpu.cpl;
  if (rpl > cpu.cpl) {
    returnToOuterLevel(cpu, sel, rpl, 2 * size + i.imm, i.os32);
    cpu.setSp(cpu.spAdd(i.imm));
  } else {
    loadCodeSegment(cpu, sel, cpu.cpl);
    cpu.setSp(cpu.spAdd(2 * size + i.imm));
  }
  cpu.next = offset;
  notifyPrivilege(cpu, from, 'far-ret');
}

/**
 * CF: IRET / IRETD in protected mode. EFLAGS is restored with the privilege rules of POPF
 * judged at the CPL before the return: IOPL only at CPL 0, IF only when CPL <= IOPL.
 */
export function iret(cpu: Cpu, i: Insn): void {
  const pinned = cpu.pinOrigin();
  try {
    iretBody(cpu, i);
  } finally {
    if (pinned) cpu.atPinned = false;
  }
}

function iretBody(cpu: Cpu, i: Insn): void {
  if ((cpu.flagsReg & NT) !== 0) return taskReturn(cpu); // return to the task that called this one
  const size = i.os32 ? 4 : 2;
  const offset = i.os32 ? cpu.peek(0, true) >>> 0 : cpu.peek(0, false);
  const sel = cpu.peek(size, i.os32) & 0xffff;
  const newFlags = cpu.peek(2 * size, i.os32);
  if (i.os32 && (newFlags & VM) !== 0 && cpu.cpl === 0) cpu.gp(0); // return to virtual-8086: out of scope
  checkReturnCs(cpu, sel);
  if (offset > descLimit(desc.lo, desc.hi)) cpu.gp(0);
  const rpl = sel & 3;
  const from = cpu.cpl;
  const old = cpu.getFlags();
  let mask = FLAGS_IMPLEMENTED & ~VM;
  if (from > 0) {
    mask &= ~IOPL;
    if (from > cpu.iopl()) mask &= ~IF;
  }
  if (!i.os32) mask &= 0xffff;
  const flags = ((old & ~mask) | (newFlags & mask) | FIXED1) & ~(i.os32 ? 0 : RF);
  if (rpl > cpu.cpl) {
    returnToOuterLevel(cpu, sel, rpl, 3 * size, i.os32);
  } else {
    loadCodeSegment(cpu, sel, cpu.cpl);
    cpu.setSp(cpu.spAdd(3 * size));
  }
  cpu.setFlags(flags);
  cpu.nmiBlocked = false;
  cpu.next = offset;
  notifyPrivilege(cpu, from, 'iret');
  if (cpu.observer !== null && ((old ^ flags) & IF) !== 0) cpu.observer.interruptFlag((flags & IF) !== 0, 'iret', true);
}


/**
 * 0F 34: SYSENTER. #GP(0) when IA32_SYSENTER_CS is null. Loads flat ring-0 CS and SS
 * (SS = CS + 8) without reading the GDT, as the SDM specifies, clears VM, IF and RF.
 */
export function sysenter(cpu: Cpu): void {
  const cs = cpu.sysenterCs & 0xfffc;
  if (cs === 0) cpu.gp(0);
  const from = cpu.cpl;
  const pinned = cpu.pinOrigin();
  const oldIf = (cpu.flagsReg & IF) !== 0;
  // VM, IF and RF are never lazy: cleared in place, the arithmetic flags stay as they are.
  if ((cpu.flagsReg & VM) !== 0) cpu.setFlags(cpu.getFlags() & ~(VM | IF | RF));
  else cpu.flagsReg &= ~(IF | RF);
  cpu.setSegCache(CS, cs, 0, 0xffffffff, 0x00cf9b00); // 32-bit, 4 GiB, execute/read, accessed, DPL 0
  cpu.setSegCache(SS, (cs + 8) & 0xfffc, 0, 0xffffffff, 0x00cf9300); // 32-bit, 4 GiB, read/write, accessed, DPL 0
  cpu.setCpl(0);
  cpu.regs[ESP] = cpu.sysenterEsp;
  cpu.next = cpu.sysenterEip >>> 0;
  if (cpu.observer !== null) {
    cpu.observer.fastSyscall('sysenter', cs, cpu.next);
    if (from !== 0) cpu.observer.privilegeChange(from, 0, 'sysenter', cs, cpu.next);
    if (oldIf) cpu.observer.interruptFlag(false, 'sysenter', true);
  }
  if (pinned) cpu.atPinned = false;
}

/** 0F 35: SYSEXIT. #GP(0) at CPL > 0 or with a null IA32_SYSENTER_CS. Returns to flat ring 3. */
export function sysexit(cpu: Cpu): void {
  const cs = cpu.sysenterCs & 0xfffc;
  if (cs === 0 || cpu.cpl !== 0) cpu.gp(0);
  const pinned = cpu.pinOrigin();
  cpu.setSegCache(CS, ((cs + 16) & 0xfffc) | 3, 0, 0xffffffff, 0x00cffb00);
  cpu.setSegCache(SS, ((cs + 24) & 0xfffc) | 3, 0, 0xffffffff, 0x00cff300);
  cpu.setCpl(3);
  cpu.regs[ESP] = cpu.regs[ECX];
  cpu.next = cpu.regs[EDX] >>> 0;
  if (cpu.observer !== null) {
    cpu.observer.fastSyscall('sysexit', cpu.segSel[CS], cpu.next);
    cpu.observer.privilegeChange(0, 3, 'sysexit', cpu.segSel[CS], cpu.next);
  }
  if (pinned) cpu.atPinned = false;
}

