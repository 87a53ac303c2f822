/**
 * Hardware task switching (SDM vol. 3A chapter 7, "Task Management"): far JMP and CALL to a
 * TSS descriptor or a task gate, task gates in the IDT for exceptions and interrupts, and IRET
 * with EFLAGS.NT set returning through the previous-task link.
 *
 * Every path first makes the checks its instruction's pseudo-code lists (SDM "JMP", "CALL",
 * "INT n", "IRET"): the gate's and the TSS's DPL, type, busy bit and present bit. Then
 * switchTasks() runs the steps of SDM 7.3 with the conditions of table 7-2:
 *
 * - before the commit point, nothing changes: the new TSS's limit (>= 67H, else #TS), the old
 *   TSS's limit, the whole new TSS read and both TSSes probed for writing (a #PF here leaves
 *   the old task intact); a VMX monitor takes its VM exit here (SDM vol. 3C 25.4.2);
 * - the commit: the old task's busy bit cleared (JMP, IRET), NT cleared in its saved EFLAGS
 *   (IRET), its state written to its TSS (EIP, EFLAGS, general and segment registers; CR3 and
 *   the LDT selector are static fields), the previous-task link and NT set for a nested task
 *   (CALL, exception, interrupt), the new TSS marked busy, CR0.TS set, TR loaded, then CR3
 *   (with paging), EFLAGS, EIP, the general registers, the selectors and LDTR;
 * - after the commit, the descriptors are loaded and checked in the order of table 7-2; a fault
 *   here is raised in the context of the new task (its EIP, its CPL);
 * - last, the error code of an exception through a task gate is pushed on the new task's
 *   stack, EIP is checked against the new CS limit, and the TSS's T bit asks for a #DB (DR6.BT)
 *   before the new task's first instruction.
 *
 * Only 32-bit TSSes are modelled: a 16-bit TSS (types 1 and 3) raises #TS(selector), and a TSS
 * whose EFLAGS image has VM set (a virtual-8086 task) raises #TS(selector), both before the
 * commit point. The I/O permission bitmap offset is not read here: I/O checks read it from TR.
 */
import type { Cpu } from '../cpu';
import {
  CS, SS, DS, ES, FS, GS, NT, VM, IF, CR0_TS, CR0_PG, AR_P, AR_S,
  GP_VECTOR, NP_VECTOR, SS_VECTOR, TS_VECTOR, DB_VECTOR,
} from '../constants';
import { desc, fetchDescriptor, descBase, descLimit, descRights, descDpl, isConforming, setAccessed } from '../segments';
import { deliverEvent, pushFrame, frame, EVENT_EXCEPTION, EVENT_SOFTWARE } from '../interrupts';
import type { TaskSwitchCause } from '../observer';

/** What started a task switch, numbered as the source field of the VT-x exit qualification for task switches (SDM vol. 3C 27.2.1). */
export const TASK_CALL = 0;
export const TASK_IRET = 1;
export const TASK_JMP = 2;
export const TASK_GATE_IDT = 3;

/** What switchTasks() reports to its caller. */
export const SWITCHED = 0; // the new task runs
export const SWITCHED_TRAP = 1; // the new task runs and its TSS's T bit asks for a #DB first
export const TAKEN_BY_MONITOR = 2; // a VMX monitor took a VM exit instead (nothing changed)

// Descriptor types (S = 0), as (hi >> 8) & 0x1f.
const TSS16_AVAILABLE = 0x01, TSS16_BUSY = 0x03, TASK_GATE = 0x05, TSS32_AVAILABLE = 0x09, TSS32_BUSY = 0x0b;
const BUSY_BIT = 0x200; // in the high dword

/** The smallest limit of a 32-bit TSS (SDM 7.2.2). */
export const TSS32_MIN_LIMIT = 0x67;

// 32-bit TSS layout (SDM figure 7-2), byte offsets.
const TSS_LINK = 0x00, TSS_CR3 = 0x1c, TSS_EIP = 0x20, TSS_EFLAGS = 0x24, TSS_EAX = 0x28, TSS_ES = 0x48, TSS_LDT = 0x60, TSS_T = 0x64;
const TSS_DWORDS = 26; // 0x00..0x67
const image = new Int32Array(TSS_DWORDS); // the new task's TSS as read before the commit point

/** Whether a descriptor (high dword) names a task: a TSS (16- or 32-bit, available or busy) or a task gate. */
export function isTaskDescriptor(hi: number): boolean {
  const type = (hi >> 8) & 0x1f;
  return type === TSS16_AVAILABLE || type === TSS16_BUSY || type === TASK_GATE || type === TSS32_AVAILABLE || type === TSS32_BUSY;
}

function isAvailableTss(hi: number): boolean {
  const type = (hi >> 8) & 0x1f;
  return type === TSS16_AVAILABLE || type === TSS32_AVAILABLE;
}

function isBusyTss(hi: number): boolean {
  const type = (hi >> 8) & 0x1f;
  return type === TSS16_BUSY || type === TSS32_BUSY;
}

/**
 * Far JMP or CALL to the TSS descriptor or task gate in `desc` (selector `sel`): the checks of
 * SDM "JMP" and "CALL" (TASK-GATE, TASK-STATE-SEGMENT), then the switch. The instruction's
 * next EIP (cpu.next) is the old task's saved EIP. With the T bit, the #DB is delivered here.
 */
export function farTransferToTask(cpu: Cpu, sel: number, source: number): void {
  const dpl = descDpl(desc.hi);
  if (dpl < cpu.cpl || dpl < (sel & 3)) cpu.gp(sel & 0xfffc);
  let tss = sel;
  if (((desc.hi >> 8) & 0x1f) === TASK_GATE) {
    if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, sel & 0xfffc);
    tss = desc.lo >>> 16;
    fetchTss(cpu, tss, GP_VECTOR, 0);
  } else if ((sel & 4) !== 0) cpu.gp(sel & 0xfffc); // a TSS descriptor lives in the GDT only
  if (!isAvailableTss(desc.hi)) cpu.gp(tss & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, tss & 0xfffc);
  const r = switchTasks(cpu, tss, source, cpu.next, -1, EVENT_SOFTWARE, -1);
  if (r === TAKEN_BY_MONITOR) return;
  if (r === SWITCHED_TRAP) debugTrap(cpu);
}

/** IRET with EFLAGS.NT set (SDM "IRET", TASK-RETURN): back to the task named by the TSS's previous-task link. */
export function taskReturn(cpu: Cpu): void {
  const link = cpu.readSys16((cpu.trBase + TSS_LINK) | 0) & 0xffff;
  if ((link & 4) !== 0) cpu.raise(TS_VECTOR, link & 0xfffc);
  fetchDescriptor(cpu, link, TS_VECTOR, 0);
  if (!isBusyTss(desc.hi) || (desc.hi & AR_S) !== 0) cpu.raise(TS_VECTOR, link & 0xfffc);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, link & 0xfffc);
  const r = switchTasks(cpu, link, TASK_IRET, cpu.next, -1, EVENT_SOFTWARE, -1);
  if (r === TAKEN_BY_MONITOR) return;
  cpu.nmiBlocked = false; // every IRET ends NMI blocking
  if (r === SWITCHED_TRAP) debugTrap(cpu);
}

/**
 * An event through a task gate of the IDT (SDM "INT n", TASK-GATE); the gate's DPL (software
 * interrupts) and present bit were checked by the caller. `retEip` is the EIP saved in the old
 * TSS; `code` the error code to push on the new task's stack (-1: none).
 */
export function deliverThroughTaskGate(cpu: Cpu, gateLo: number, vector: number, code: number, kind: number, retEip: number): number {
  const ext = kind === EVENT_SOFTWARE ? 0 : 1;
  const tss = gateLo >>> 16;
  fetchTss(cpu, tss, GP_VECTOR, ext);
  if (!isAvailableTss(desc.hi)) cpu.gp((tss & 0xfffc) | ext);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, (tss & 0xfffc) | ext);
  return switchTasks(cpu, tss, TASK_GATE_IDT, retEip, vector, kind, code);
}

/**
 * A task switch a VMM performs for its guest after a task-switch VM exit (the checks before the
 * exit were made by the processor): fetches the TSS descriptor and switches. Returns SWITCHED or
 * SWITCHED_TRAP (the VMM then injects the #DB); raises what the switch raises.
 */
export function performTaskSwitch(cpu: Cpu, tss: number, source: number, retEip: number, vector: number, kind: number, code: number): number {
  fetchTss(cpu, tss, GP_VECTOR, source === TASK_GATE_IDT && kind !== EVENT_SOFTWARE ? 1 : 0);
  return switchTasks(cpu, tss, source, retEip, vector, kind, code);
}

/** Reads a TSS selector's descriptor into `desc`: it must name the GDT, within its limit (else `vector`(selector)). */
function fetchTss(cpu: Cpu, sel: number, vector: number, ext: number): void {
  if ((sel & 4) !== 0) cpu.raise(vector, (sel & 0xfffc) | ext);
  fetchDescriptor(cpu, sel, vector, ext);
  if ((desc.hi & AR_S) !== 0) cpu.raise(vector, (sel & 0xfffc) | ext);
}

/** DR6.BT and the #DB the T bit asks for, before the new task's first instruction (an instruction's task switch). */
function debugTrap(cpu: Cpu): void {
  cpu.eip = cpu.next;
  deliverEvent(cpu, DB_VECTOR, -1, EVENT_EXCEPTION, cpu.eip);
  cpu.next = cpu.eip;
}

/** The cause of a task switch as a task_switch event names it. */
function causeOf(source: number, kind: number): TaskSwitchCause {
  if (source === TASK_JMP) return 'jmp';
  if (source === TASK_CALL) return 'call';
  if (source === TASK_IRET) return 'iret';
  return kind === EVENT_SOFTWARE ? 'int' : kind === EVENT_EXCEPTION ? 'exception' : 'interrupt';
}

/** Checks that `size` bytes at linear `lin` can be written with supervisor rights (faults before any change). */
function probeSys(cpu: Cpu, lin: number, size: number): void {
  cpu.physOf(lin, true, false);
  if (((lin & 0xfff) + size) > 0x1000) cpu.physOf((lin + size - 1) | 0, true, false);
}

/** Writes the busy bit of the TSS descriptor at linear `addr` (a write by the processor itself). */
function writeBusy(cpu: Cpu, addr: number, busy: boolean): void {
  const b = cpu.readSlow((addr + 5) | 0, 1, false);
  const v = busy ? b | 0x02 : b & ~0x02;
  if (v === b) return;
  cpu.implicitDescriptorWrite = true;
  try {
    cpu.writeSys8((addr + 5) | 0, v);
  } finally {
    cpu.implicitDescriptorWrite = false;
  }
}

/**
 * SDM 7.3 steps 3 to 14 for the TSS descriptor in `desc` (selector `tss`). `vector` and `kind`
 * name the event of a task gate (vector -1 for JMP, CALL, IRET); `code` is its error code.
 */
export function switchTasks(cpu: Cpu, tss: number, source: number, retEip: number, vector: number, kind: number, code: number): number {
  const ext = source === TASK_GATE_IDT && kind !== EVENT_SOFTWARE ? 1 : 0;
  const sel = tss & 0xffff;
  const lo = desc.lo, hi = desc.hi, addr = desc.addr;
  const limit = descLimit(lo, hi);
  const base = descBase(lo, hi);
  // Before the commit point (table 7-2 rows 1-2, and what this model does not implement).
  if ((hi & 0x800) === 0) cpu.raise(TS_VECTOR, (sel & 0xfffc) | ext); // a 16-bit TSS
  if (limit < TSS32_MIN_LIMIT) cpu.raise(TS_VECTOR, (sel & 0xfffc) | ext);
  if (cpu.monitor !== null && cpu.monitor.taskSwitch !== undefined && cpu.monitor.taskSwitch(sel, source, vector, kind, code, retEip)) return TAKEN_BY_MONITOR;
  if (cpu.trLimit < TSS32_MIN_LIMIT) cpu.raise(TS_VECTOR, (cpu.trSel & 0xfffc) | ext);
  for (let k = 0; k < TSS_DWORDS; k++) image[k] = cpu.readSys32((base + 4 * k) | 0);
  if ((image[TSS_EFLAGS >> 2] & VM) !== 0) cpu.raise(TS_VECTOR, (sel & 0xfffc) | ext); // a virtual-8086 task
  probeSys(cpu, (cpu.trBase + TSS_EIP) | 0, TSS_LDT - TSS_EIP);
  const nesting = source === TASK_CALL || source === TASK_GATE_IDT;
  if (nesting) probeSys(cpu, base, 2);
  const oldSel = cpu.trSel;
  const oldAddr = (cpu.gdtrBase + (oldSel & 0xfff8)) | 0;
  if (source !== TASK_CALL && source !== TASK_GATE_IDT) probeSys(cpu, (oldAddr + 5) | 0, 1);
  if (source !== TASK_IRET) probeSys(cpu, (addr + 5) | 0, 1);

  // The commit point: the old task's state goes to its TSS.
  const oldCpl = cpu.cpl;
  if (cpu.observer !== null) cpu.observer.taskSwitch(oldSel, sel, causeOf(source, kind), vector);
  if (source === TASK_JMP || source === TASK_IRET) writeBusy(cpu, oldAddr, false);
  let oldFlags = cpu.getFlags();
  if (source === TASK_IRET) oldFlags &= ~NT;
  const t = cpu.trBase;
  cpu.writeSlow((t + TSS_EIP) | 0, 4, retEip, false);
  cpu.writeSlow((t + TSS_EFLAGS) | 0, 4, oldFlags, false);
  for (let r = 0; r < 8; r++) cpu.writeSlow((t + TSS_EAX + 4 * r) | 0, 4, cpu.regs[r], false);
  for (let s = 0; s < 6; s++) cpu.writeSlow((t + TSS_ES + 4 * s) | 0, 2, cpu.segSel[s], false);
  let newFlags = image[TSS_EFLAGS >> 2];
  if (nesting) {
    cpu.writeSlow((base + TSS_LINK) | 0, 2, oldSel, false);
    newFlags |= NT;
  }
  if (source !== TASK_IRET) writeBusy(cpu, addr, true);
  cpu.cr0 |= CR0_TS;
  cpu.trSel = sel;
  cpu.trBase = base;
  cpu.trLimit = limit;
  cpu.trAR = descRights(hi | BUSY_BIT);
  cpu.dr[7] &= ~0x155; // L0-L3 and LE: local breakpoints belong to the old task (SDM 17.2.4)

  // The new task's registers.
  if ((cpu.cr0 & CR0_PG) !== 0 && cpu.cr3 !== image[TSS_CR3 >> 2]) {
    cpu.cr3 = image[TSS_CR3 >> 2];
    cpu.flushTlb(false);
  }
  cpu.setFlags(newFlags);
  cpu.eip = cpu.next = image[TSS_EIP >> 2] >>> 0;
  for (let r = 0; r < 8; r++) cpu.regs[r] = image[(TSS_EAX >> 2) + r];
  // The selectors first; each hidden cache keeps the old task's descriptor until its own is
  // loaded, so a fault raised while they are checked is delivered with the new selectors, the
  // new ESP and the new CPL on the caches of the old task (the state the SDM calls corrupt).
  const obs = cpu.observer;
  for (let s = 0; s < 6; s++) cpu.segSel[s] = image[(TSS_ES >> 2) + s] & 0xffff;
  cpu.setCpl(cpu.segSel[CS] & 3);
  const ldt = image[TSS_LDT >> 2] & 0xffff;
  cpu.ldtrSel = ldt;
  cpu.ldtrBase = cpu.ldtrLimit = cpu.ldtrAR = 0;
  cpu.halted = false;
  cpu.brk = true;
  cpu.invalidateLinks();
  if (obs !== null) {
    if (oldCpl !== cpu.cpl) obs.privilegeChange(oldCpl, cpu.cpl, 'task-switch', cpu.segSel[CS], cpu.eip);
    if (((oldFlags ^ newFlags) & IF) !== 0) obs.interruptFlag((newFlags & IF) !== 0, 'task-switch', true);
  }

  // After the commit point: faults belong to the new task.
  loadTaskSegments(cpu, ldt, ext);
  if (code >= 0) {
    frame[0] = code;
    pushFrame(cpu, 1, 4, SS_VECTOR, ext);
  }
  if (cpu.eip > cpu.segLimit[CS]) cpu.gp(ext);
  if ((image[TSS_T >> 2] & 1) !== 0) {
    cpu.dr[6] |= 0x8000; // DR6.BT
    return SWITCHED_TRAP;
  }
  return SWITCHED;
}

// The descriptors of the new task's segment registers, as read (one slot per register).
const segLo = new Int32Array(6), segHi = new Int32Array(6), segAddr = new Int32Array(6);
const segOk = new Uint8Array(6); // 1: the selector is non-null and within its table
const DATA_ORDER = [DS, ES, FS, GS] as const; // the order table 7-2 names them in
const LOAD_ORDER = [CS, SS, DS, ES, FS, GS] as const;

/** Reads the descriptor for `sel` into slot `seg` without faulting; false when null or outside its table. */
function readSegDescriptor(cpu: Cpu, seg: number, sel: number): boolean {
  segOk[seg] = 0;
  if ((sel & 0xfffc) === 0) return false;
  let tBase: number, tLimit: number;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtrSel & 0xfffc) === 0) return false;
    tBase = cpu.ldtrBase;
    tLimit = cpu.ldtrLimit;
  } else {
    tBase = cpu.gdtrBase;
    tLimit = cpu.gdtrLimit;
  }
  if ((sel & 0xfff8) + 7 > tLimit) return false;
  const a = (tBase + (sel & 0xfff8)) | 0;
  segAddr[seg] = a;
  segLo[seg] = cpu.readSys32(a);
  segHi[seg] = cpu.readSys32((a + 4) | 0);
  segOk[seg] = 1;
  return true;
}

/** Loads LDTR and the six segment registers of the new task with the checks of SDM table 7-2, in its order (rows 4 to 16). */
function loadTaskSegments(cpu: Cpu, ldt: number, ext: number): void {
  const ts = (sel: number): never => cpu.raise(TS_VECTOR, (sel & 0xfffc) | ext);
  const cpl = cpu.cpl;
  // 4. The LDT selector is valid (GDT, within its limit, an LDT descriptor).
  let ldtPresent = true;
  if ((ldt & 0xfffc) !== 0) {
    if ((ldt & 4) !== 0) ts(ldt);
    fetchDescriptor(cpu, ldt, TS_VECTOR, ext);
    if (((desc.hi >> 8) & 0x1f) !== 0x02) ts(ldt);
    ldtPresent = (desc.hi & AR_P) !== 0;
    cpu.ldtrBase = descBase(desc.lo, desc.hi);
    cpu.ldtrLimit = descLimit(desc.lo, desc.hi);
    cpu.ldtrAR = descRights(desc.hi);
  }
  const cs = cpu.segSel[CS], ss = cpu.segSel[SS];
  const csOk = readSegDescriptor(cpu, CS, cs);
  const csCode = csOk && (segHi[CS] & AR_S) !== 0 && (segHi[CS] & 0x800) !== 0;
  // 5. The code segment's DPL matches the selector's RPL (equal; at most RPL when conforming).
  if (csCode) {
    const dpl = descDpl(segHi[CS]);
    if (isConforming(segHi[CS]) ? dpl > (cs & 3) : dpl !== (cs & 3)) ts(cs);
  }
  // 6. The stack segment selector is valid: a writable data segment.
  if (!readSegDescriptor(cpu, SS, ss) || (segHi[SS] & (AR_S | 0x800 | 0x200)) !== (AR_S | 0x200)) ts(ss);
  // 7. The stack segment is present.
  if ((segHi[SS] & AR_P) === 0) cpu.raise(SS_VECTOR, (ss & 0xfffc) | ext);
  // 8. The stack segment's DPL is the CPL.
  if (descDpl(segHi[SS]) !== cpl) ts(ss);
  // 9. The LDT is present.
  if (!ldtPresent) ts(ldt);
  // 10. The code segment selector is valid; 11. the code segment is present.
  if (!csCode) ts(cs);
  if ((segHi[CS] & AR_P) === 0) cpu.raise(NP_VECTOR, (cs & 0xfffc) | ext);
  // 12. The stack segment's DPL matches the selector's RPL.
  if (descDpl(segHi[SS]) !== (ss & 3)) ts(ss);
  // 13-16. DS, ES, FS, GS: valid, readable, present, DPL >= CPL and RPL unless conforming code.
  for (const s of DATA_ORDER) {
    const sel = cpu.segSel[s];
    if (!readSegDescriptor(cpu, s, sel)) {
      if ((sel & 0xfffc) !== 0) ts(sel);
    } else if ((segHi[s] & AR_S) === 0) ts(sel);
  }
  for (const s of DATA_ORDER) {
    if (segOk[s] !== 0 && (segHi[s] & 0xa00) === 0x800) ts(cpu.segSel[s]); // execute-only code
  }
  for (const s of DATA_ORDER) {
    if (segOk[s] !== 0 && (segHi[s] & AR_P) === 0) cpu.raise(NP_VECTOR, (cpu.segSel[s] & 0xfffc) | ext);
  }
  for (const s of DATA_ORDER) {
    if (segOk[s] === 0 || isConforming(segHi[s])) continue;
    const dpl = descDpl(segHi[s]);
    if (dpl < cpl || dpl < (cpu.segSel[s] & 3)) ts(cpu.segSel[s]);
  }
  // Every check passed: the hidden caches are loaded (and the accessed bits set).
  for (const s of LOAD_ORDER) {
    const sel = cpu.segSel[s];
    if (segOk[s] === 0) {
      cpu.setSegNull(s, sel);
      continue;
    }
    desc.lo = segLo[s];
    desc.hi = segHi[s];
    desc.addr = segAddr[s];
    setAccessed(cpu);
    cpu.setSegCache(s, sel, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descRights(desc.hi));
  }
}
