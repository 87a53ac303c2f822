/**
 * Interrupt and exception delivery through the IDT (SDM vol. 3 ch. 6): interrupt and trap
 * gates (16- and 32-bit), the DPL check of software interrupts, the stack switch through the
 * TSS on a privilege change, error codes, CR2, the double-fault rules and the triple fault.
 * A task gate switches tasks (ops/task-switch.ts).
 */
import type { Cpu } from './cpu';
import { FAULT, hasErrorCode, isContributory } from './fault';
import {
  CS, SS, ESP, GP_VECTOR, NP_VECTOR, SS_VECTOR, TS_VECTOR, DF_VECTOR, PF_VECTOR, AR_P,
  IF, TF, NT, RF, VM, DB_VECTOR, EXCEPTION_NAMES,
} from './constants';
import {
  desc, fetchDescriptor, descDpl, isCodeSeg, isConforming, isWritableData, descLimit,
  loadCacheFromDesc, loadCodeSegment, setAccessed, StackState,
} from './segments';
import type { InterruptSource } from './observer';
import { deliverThroughTaskGate, SWITCHED, SWITCHED_TRAP, TAKEN_BY_MONITOR } from './ops/task-switch';

/** How an event was raised: decides the EXT bit and the gate DPL check. */
export const EVENT_EXCEPTION = 0; // a fault or trap raised by the CPU
export const EVENT_SOFTWARE = 1; // INT n, INT3, INTO: the gate's DPL is checked
export const EVENT_EXTERNAL = 2; // an interrupt from the APIC (or NMI)

const saved = new StackState();
/** Values to push with pushFrame, outermost first (shared by interrupts and far calls). */
export const frame = new Int32Array(40);

/** Reads the ring-`dpl` stack pointer from the current TSS into tssSs/tssEsp. */
export const tssStack = { ss: 0, esp: 0 };
export function readTssStack(cpu: Cpu, dpl: number, ext: number): void {
  const type = (cpu.trAR >> 8) & 0xf;
  const is32 = (type & 8) !== 0;
  const off = is32 ? 4 + dpl * 8 : 2 + dpl * 4;
  const size = is32 ? 4 : 2;
  if ((cpu.trSel & 0xfffc) === 0 || off + size * 2 - 1 > cpu.trLimit) cpu.raise(TS_VECTOR, (cpu.trSel & 0xfffc) | ext);
  if (is32) {
    tssStack.esp = cpu.readSys32((cpu.trBase + off) | 0);
    tssStack.ss = cpu.readSys16((cpu.trBase + off + 4) | 0);
  } else {
    tssStack.esp = cpu.readSys16((cpu.trBase + off) | 0);
    tssStack.ss = cpu.readSys16((cpu.trBase + off + 2) | 0);
  }
}

/** Validates the new stack segment named by the TSS for privilege `dpl` and loads it (SS:ESP). */
export function switchToTssStack(cpu: Cpu, dpl: number, ext: number): void {
  readTssStack(cpu, dpl, ext);
  const ss = tssStack.ss;
  if ((ss & 0xfffc) === 0) cpu.raise(TS_VECTOR, ext);
  fetchDescriptor(cpu, ss, TS_VECTOR, ext);
  if ((ss & 3) !== dpl || descDpl(desc.hi) !== dpl || !isWritableData(desc.hi)) cpu.raise(TS_VECTOR, (ss & 0xfffc) | ext);
  if ((desc.hi & AR_P) === 0) cpu.raise(SS_VECTOR, (ss & 0xfffc) | ext);
  setAccessed(cpu);
  loadCacheFromDesc(cpu, SS, ss);
  cpu.regs[ESP] = tssStack.esp;
}

/**
 * Pushes frame[0..n) (outermost first) on the current stack, `size` bytes each, after checking
 * that every push fits the segment and that every page is writable: all or nothing.
 */
export function pushFrame(cpu: Cpu, n: number, size: number, errVector: number, errCode: number): void {
  const total = n * size;
  const top = cpu.spAdd(-total);
  const lo = cpu.segWLo[SS], hi = cpu.segWHi[SS];
  const mask = cpu.ss32 ? 0xffffffff : 0xffff;
  // The frame occupies [top, top + total): it must not wrap and must be inside the limits.
  if (top < lo || top + total - 1 > hi || top + total - 1 > mask) cpu.raise(errVector, errCode);
  const lin = (cpu.segBase[SS] + top) | 0;
  cpu.probeWrite(lin, total);
  let off = top + total;
  for (let k = 0; k < n; k++) {
    off -= size;
    const a = (cpu.segBase[SS] + off) | 0;
    if (size === 4) cpu.writeL32(a, frame[k]);
    else cpu.writeL16(a, frame[k]);
  }
  cpu.setSp(top);
}

/**
 * Delivers one event through the IDT. `retEip` is the EIP pushed (the faulting instruction for
 * a fault, the next one for a trap or INT n). Raises (via FAULT) what goes wrong. Returns
 * SWITCHED, or for a task gate what the task switch returned (ops/task-switch.ts).
 */
function deliverOnce(cpu: Cpu, vector: number, code: number, kind: number, retEip: number): number {
  const ext = kind === EVENT_SOFTWARE ? 0 : 1;
  const idtCode = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) cpu.gp(idtCode);
  const lo = cpu.readSys32((cpu.idtrBase + vector * 8) | 0);
  const hi = cpu.readSys32((cpu.idtrBase + vector * 8 + 4) | 0);
  const type = (hi >> 8) & 0x1f;
  if (type !== 0x05 && type !== 0x06 && type !== 0x07 && type !== 0x0e && type !== 0x0f) cpu.gp(idtCode);
  if (kind === EVENT_SOFTWARE && descDpl(hi) < cpu.cpl) cpu.gp(vector * 8 + 2);
  if ((hi & AR_P) === 0) cpu.raise(NP_VECTOR, idtCode);
  if (type === 0x05) return deliverThroughTaskGate(cpu, lo, vector, code, kind, retEip);
  const gate32 = (type & 8) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) cpu.gp(ext);
  fetchDescriptor(cpu, sel, GP_VECTOR, ext);
  const dpl = descDpl(desc.hi);
  if (!isCodeSeg(desc.hi) || dpl > cpu.cpl) cpu.gp((sel & 0xfffc) | ext);
  if ((desc.hi & AR_P) === 0) cpu.raise(NP_VECTOR, (sel & 0xfffc) | ext);
  if ((offset >>> 0) > descLimit(desc.lo, desc.hi)) cpu.gp(ext);
  const codeLo = desc.lo, codeHi = desc.hi, codeAddr = desc.addr;
  const oldFlags = cpu.getFlags();
  if (oldFlags & VM) cpu.gp(0); // virtual-8086 mode is out of scope
  const oldCs = cpu.segSel[CS];
  const oldCpl = cpu.cpl;
  const size = gate32 ? 4 : 2;
  const withCode = code >= 0 ? 1 : 0;
  saved.save(cpu);
  try {
    let n = 0;
    const newCpl = isConforming(codeHi) ? oldCpl : dpl;
    if (newCpl < oldCpl) {
      const oldSs = cpu.segSel[SS];
      const oldEsp = cpu.regs[ESP];
      switchToTssStack(cpu, newCpl, ext);
      cpu.setCpl(newCpl);
      frame[n++] = oldSs;
      frame[n++] = oldEsp;
    }
    frame[n++] = oldFlags;
    frame[n++] = oldCs;
    frame[n++] = retEip;
    if (withCode) frame[n++] = code;
    pushFrame(cpu, n, size, SS_VECTOR, newCpl < oldCpl ? (cpu.segSel[SS] & 0xfffc) | ext : 0);
    desc.lo = codeLo;
    desc.hi = codeHi;
    desc.addr = codeAddr;
    loadCodeSegment(cpu, sel, newCpl);
  } catch (e) {
    saved.restore(cpu);
    throw e;
  }
  cpu.eip = cpu.next = offset >>> 0;
  let f = oldFlags & ~(TF | NT | RF | VM);
  if ((type & 1) === 0) f &= ~IF;
  cpu.setFlags(f);
  cpu.halted = false;
  cpu.brk = true;
  if (cpu.observer !== null) {
    if (oldCpl !== cpu.cpl) cpu.observer.privilegeChange(oldCpl, cpu.cpl, kind === EVENT_EXTERNAL ? 'interrupt' : kind === EVENT_SOFTWARE ? 'int' : 'exception', sel, cpu.eip);
    if ((oldFlags & IF) !== 0 && (type & 1) === 0) cpu.observer.interruptFlag(false, 'interrupt-gate', true);
  }
  return SWITCHED;
}

const SOURCES: InterruptSource[] = ['exception', 'software', 'apic'];

/**
 * The events one delivery went through, in order (the first event, then each fault raised
 * while delivering the previous one): what a triple fault reports as its cause.
 */
const chain = { n: 0, vector: new Int32Array(8), code: new Int32Array(8), kind: new Int32Array(8) };
function chainAdd(vector: number, code: number, kind: number): void {
  const k = chain.n < chain.vector.length ? chain.n++ : chain.vector.length - 1;
  chain.vector[k] = vector;
  chain.code[k] = code;
  chain.kind[k] = kind;
}

/** One event as a triple-fault report names it: `#GP(0x6b)`, `#DF`, `interrupt 0x20`. */
export function describeVector(vector: number, code: number, kind: number): string {
  const hex = (n: number) => (n >= 0 && n < 10 ? String(n) : '0x' + (n >>> 0).toString(16));
  if (kind === EVENT_EXTERNAL) return vector === 2 ? 'NMI' : `interrupt ${hex(vector)}`;
  if (kind === EVENT_SOFTWARE) return `INT ${hex(vector)}`;
  const name = vector < EXCEPTION_NAMES.length ? EXCEPTION_NAMES[vector] : `vector ${vector}`;
  return code < 0 || vector === DF_VECTOR ? name : `${name}(${hex(code)})`;
}

/**
 * Delivers an event with the SDM's rules for faults during delivery: benign and contributory
 * classes, #DF, and the triple fault that shuts the machine down. The events it causes are
 * stamped with the instruction at which it happened (the faulting or interrupted one).
 */
export function deliverEvent(cpu: Cpu, vector: number, code: number, kind: number, retEip: number, source?: InterruptSource): void {
  const pinned = cpu.pinOrigin();
  try {
    deliverWithRules(cpu, vector, code, kind, retEip, source);
  } finally {
    if (pinned) cpu.atPinned = false;
  }
}

function deliverWithRules(cpu: Cpu, vector: number, code: number, kind: number, retEip: number, source?: InterruptSource): void {
  chain.n = 0;
  for (;;) {
    chainAdd(vector, code, kind);
    if (vector === PF_VECTOR && kind === EVENT_EXCEPTION) cpu.cr2 = cpu.excAddr;
    if (cpu.observer !== null && kind === EVENT_EXCEPTION) cpu.observer.exception(vector, code, vector === PF_VECTOR ? cpu.cr2 : 0);
    let r: number;
    try {
      r = deliverOnce(cpu, vector, code, kind, retEip);
    } catch (e) {
      if (e !== FAULT) throw e;
      // INT n, INT3 and INTO fault like any instruction: the caller's fault path delivers it.
      if (kind === EVENT_SOFTWARE) throw e;
      const second = cpu.excVector;
      const secondCode = hasErrorCode(second) ? cpu.excCode : -1;
      if (vector === DF_VECTOR) {
        chainAdd(second, secondCode, EVENT_EXCEPTION);
        cpu.shutdown(tripleFaultReason());
        return;
      }
      // Only an exception can be the first of a double fault; INT n and external interrupts are benign.
      const df =
        kind === EVENT_EXCEPTION &&
        ((isContributory(vector) && isContributory(second)) ||
          (vector === PF_VECTOR && (second === PF_VECTOR || isContributory(second))));
      kind = EVENT_EXCEPTION;
      retEip = cpu.eip;
      if (df) {
        // The second exception is not delivered: it is named in the chain all the same.
        chainAdd(second, secondCode, EVENT_EXCEPTION);
        vector = DF_VECTOR;
        code = 0;
      } else {
        vector = second;
        code = secondCode;
      }
      continue;
    }
    if (r === TAKEN_BY_MONITOR) return; // a VM exit instead of the task switch
    if (cpu.observer !== null) cpu.observer.interruptDelivered(vector, source ?? SOURCES[kind], cpu.segSel[CS], cpu.eip, cpu.cpl);
    if (r !== SWITCHED_TRAP) return;
    // The new task's TSS has its T bit set: a #DB before its first instruction (a trap, benign).
    chain.n = 0;
    vector = DB_VECTOR;
    code = -1;
    kind = EVENT_EXCEPTION;
    retEip = cpu.eip;
    source = undefined;
  }
}

/** "triple fault: #UD -> #GP(0x33) -> #GP(0x6b) -> #DF -> #GP(0x43) -> shutdown". */
function tripleFaultReason(): string {
  const parts: string[] = [];
  for (let k = 0; k < chain.n; k++) parts.push(describeVector(chain.vector[k], chain.code[k], chain.kind[k]));
  parts.push('shutdown');
  return `triple fault: ${parts.join(' -> ')}`;
}

/** Delivers the exception that the last FAULT carried (a fault: EIP points at the instruction). */
export function deliverPendingException(cpu: Cpu): void {
  const v = cpu.excVector;
  if (cpu.monitor !== null && cpu.monitor.exception(v, hasErrorCode(v) ? cpu.excCode : -1)) return;
  deliverEvent(cpu, v, hasErrorCode(v) ? cpu.excCode : -1, EVENT_EXCEPTION, cpu.eip);
}

