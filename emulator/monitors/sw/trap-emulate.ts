/**
 * Trap and emulate: what the software monitor does with a fault the deprivileged guest raised.
 * The faulting instruction is executed again on the virtual CPU (an emulation when it succeeds,
 * the guest's own fault when it faults again); a page fault is hidden (a shadow entry filled),
 * emulated (an access the shadows must not allow), or the guest's own; a fault that is the
 * guest's is reflected through the guest's IDT.
 */
import type { Insn } from '../../cpu/insn';
import { APIC_BASE_PHYS } from '../../cpu/cpu';
import { FAULT, hasErrorCode } from '../../cpu/fault';
import { EDX, TF, DB_VECTOR, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, CR4_SMEP, CR4_SMAP, AC, PFEC_P, PFEC_ID, PFEC_W, EXCEPTION_NAMES } from '../../cpu/constants';
import { deliverEvent, EVENT_EXCEPTION } from '../../cpu/interrupts';
import { ea } from '../../cpu/ops/operands';
import type { SoftwareMonitor } from './monitor';
import { note, type Intervention } from './interventions';
import { DT_PAGE, PT_PAGE, rebuildDescriptorTables, touchesDescriptorTables } from './descriptor-tables';
import { rootKey } from './world-switch';
import { MON_LINEAR } from './layout';

/** What an emulated memory access is called in monitor_emulation events. */
const ACCESS_TEXT: Partial<Record<Intervention, string>> = {
  apic: 'local apic access emulated',
  mmio: 'access outside guest ram emulated',
  'monitor-region': 'access to the monitor region emulated',
  'descriptor-write': 'write to a guest descriptor-table page emulated',
  'page-table-write': 'write to a guest page-table page emulated',
  'write-protect': 'write to a guest read-only page emulated (cr0.wp = 0)',
};
/** The reflected-exception texts, by vector. */
const REFLECT_TEXT = EXCEPTION_NAMES.map((n) => `${n} delivered through the guest idt`);

/** Re-executes the faulting instruction on the virtual CPU (see monitor.ts). */
export function emulate(m: SoftwareMonitor): void {
  const cpu = m.cpu;
  const ins: Insn = m.host.decodeCurrent();
  const intercept = ins.form === null ? '' : ins.form.intercept;
  // Anything else re-executes cleanly only because the virtual CPU's segments are the guest's
  // own: in sw-013, a limit cut below the monitor region.
  const kind: Intervention = ins.form !== null && ins.form.trap !== '' ? ins.form.trap : m.compressAll ? 'memory' : 'monitor-region';
  const invlpgAt = intercept === 'invlpg' ? (cpu.segBase[ins.seg] + ea(cpu, ins)) | 0 : 0;
  const mnemonic = ins.form === null ? '(bad)' : ins.form.mnemonic;
  const port = intercept === 'io' && ins.form!.imm === 'Ib' ? ins.imm & 0xff : cpu.regs[EDX] & 0xffff;
  const cr0 = cpu.cr0, cr4 = cpu.cr4, gdtBase = cpu.gdtrBase, gdtLimit = cpu.gdtrLimit, ldtr = cpu.ldtrSel, tr = cpu.trSel;
  if (!step(m, kind, mnemonic, kind === 'io' ? port : 0)) return;
  if ((cr0 ^ cpu.cr0) & (CR0_PG | CR0_WP) || (cr4 ^ cpu.cr4) & (CR4_PSE | CR4_PGE)) m.shadow.flushAll();
  if (intercept === 'invlpg') m.shadow.invalidate(invlpgAt);
  const tablesChanged = gdtBase !== cpu.gdtrBase || gdtLimit !== cpu.gdtrLimit || ldtr !== cpu.ldtrSel || tr !== cpu.trSel;
  if (tablesChanged || intercept === 'ltr') rebuildDescriptorTables(m); // LTR also sets the busy bit in the guest's GDT
}

/** A page fault: hidden (fill the shadow), emulated, or the guest's own (reflected). */
export function pageFault(m: SoftwareMonitor, lin: number, err: number): void {
  const cpu = m.cpu;
  const write = (err & PFEC_W) !== 0;
  if (lin >>> 0 >= MON_LINEAR) return interpret(m, 'monitor-region', lin);
  const w = m.walker;
  try {
    w.walk(cpu, cpu.cr0, cpu.cr3, cpu.cr4, lin, write, cpu.cpl === 3); // raises the guest's own #PF
  } catch (e) {
    // A fetch's fault reports I/D while the guest's SMEP is on (the real error code says fetch under sw-013).
    if (e === FAULT && (err & PFEC_ID) !== 0 && (cpu.cr4 & CR4_SMEP) !== 0) cpu.excCode |= PFEC_ID;
    throw e;
  }
  if (m.kernelRing === 1 && cpu.cpl < 3 && w.user && (cpu.cr0 & CR0_PG) !== 0) {
    // sw-013's ring 1 is a supervisor ring for paging: the guest's SMEP and SMAP are in the real
    // CR4 (leaveVirtual), and the fault they raise on a user page is the guest's own.
    if ((err & PFEC_ID) !== 0 && (cpu.cr4 & CR4_SMEP) !== 0) cpu.pageFault(lin, PFEC_P | PFEC_ID);
    if ((err & PFEC_ID) === 0 && (cpu.cr4 & CR4_SMAP) !== 0 && (cpu.flagsReg & AC) === 0) cpu.pageFault(lin, PFEC_P | (write ? PFEC_W : 0));
  }
  // Both pages must be protected now (no short circuit): a shadow filled below may map them.
  const freshPd = trackPageTable(m, w.pdPage);
  const freshPt = trackPageTable(m, w.ptPage);
  if (freshPd || freshPt) m.shadow.flushAll();
  const page = w.physPage;
  if (page >= m.guestPages) return interpret(m, page === APIC_BASE_PHYS >>> 12 ? 'apic' : 'mmio', lin);
  const tracked = m.tracked[page];
  const writable = w.writable && w.dirty && tracked === 0;
  if (write && !writable) {
    if ((tracked & DT_PAGE) !== 0) {
      interpret(m, 'descriptor-write', lin);
      if (touchesDescriptorTables(m, lin)) rebuildDescriptorTables(m);
    } else if ((tracked & PT_PAGE) !== 0) {
      interpret(m, 'page-table-write', lin);
      m.shadow.flushAll();
      if (m.unshadowFlooded) floodWrite(m, page);
    } else interpret(m, 'write-protect', lin);
    return;
  }
  const user = m.compressAll && !(m.split && cpu.cpl === 3) ? true : w.user;
  m.shadow.map(rootKey(m, cpu.cr0, cpu.cr3, cpu.cpl), lin, page, user, writable);
  note(m, 'hidden-page-fault', 'shadow page-table entry filled', lin);
}

/** Executes the faulting access on the virtual CPU (the guest's own view of memory). */
function interpret(m: SoftwareMonitor, kind: Intervention, lin: number): void {
  step(m, kind, ACCESS_TEXT[kind] ?? 'access emulated', lin);
}

/**
 * Executes the guest's instruction on the virtual CPU and notes it as `kind`; a fault goes to
 * the guest instead (false). With the guest's TF set, the single-step trap follows the emulated
 * instruction, as on hardware (SDM 17.3.1.4), and is delivered through the guest's IDT.
 */
function step(m: SoftwareMonitor, kind: Intervention, what: string, value: number): boolean {
  const cpu = m.cpu;
  const tf = (cpu.flagsReg & TF) !== 0;
  const tr = cpu.trSel;
  if (!m.host.stepOne()) {
    reflectPending(m);
    return false;
  }
  if (cpu.trSel !== tr && what !== 'ltr') note(m, 'task-switch', `task switch (${what}) emulated on the guest's tss and gdt`, cpu.trSel);
  else note(m, kind, what, value);
  if (tf && cpu.stopReason === '') {
    cpu.dr[6] |= 0x4000; // DR6.BS
    deliverEvent(cpu, DB_VECTOR, -1, EVENT_EXCEPTION, cpu.eip, 'reflected');
  }
  return true;
}

/** Delivers the fault left in cpu.excVector through the guest's IDT. */
export function reflectPending(m: SoftwareMonitor): void {
  const v = m.cpu.excVector;
  reflect(m, v, hasErrorCode(v) ? m.cpu.excCode : -1);
}

export function reflect(m: SoftwareMonitor, vector: number, code: number): void {
  note(m, 'exception', REFLECT_TEXT[vector] ?? 'exception delivered through the guest idt', code);
  const tr = m.cpu.trSel;
  deliverEvent(m.cpu, vector, code, EVENT_EXCEPTION, m.cpu.eip, 'reflected');
  afterDelivery(m, tr);
}

/** After an event went through the guest's IDT: a task gate switched the guest's tasks (new LDT, busy bits). */
export function afterDelivery(m: SoftwareMonitor, tr: number): void {
  const cpu = m.cpu;
  if (cpu.trSel === tr || cpu.stopReason !== '') return;
  note(m, 'task-switch', "task switch through a task gate of the guest's idt", cpu.trSel);
  rebuildDescriptorTables(m);
}

/**
 * Write flooding (machine revision 3), as KVM detects it: a page-table page the guest writes
 * FLOOD_WRITES times with no hidden page fault walking through it in between is most likely no
 * longer a page table (a kernel that freed it and now fills it as data, as xv6's kalloc does), so
 * the monitor stops tracking it and its writes stop trapping. That stays coherent: the write
 * that untracks it has just emptied the shadows, so no shadow entry comes from the page, and
 * the next walk through it (a hidden page fault) tracks it again, emptying the shadows of any
 * writable mapping of it. The count sits in `tracked`'s bits 2-7 while PT_PAGE is set.
 */
const FLOOD_WRITES = 3;
const FLOOD_UNIT = 4;

function floodWrite(m: SoftwareMonitor, page: number): void {
  const t = m.tracked[page] + FLOOD_UNIT;
  m.tracked[page] = t >>> 2 >= FLOOD_WRITES ? t & DT_PAGE : t;
}

/**
 * A walk went through `page`: it is a page table in use, write-protected from now on, its flood
 * count started again. True when it was not tracked yet.
 */
function trackPageTable(m: SoftwareMonitor, page: number): boolean {
  if (page < 0 || page >= m.guestPages) return false;
  const t = m.tracked[page];
  m.tracked[page] = (t & DT_PAGE) | PT_PAGE;
  return (t & PT_PAGE) === 0;
}
