/**
 * A software VMM with ring deprivileging (SPEC section 3): `sw-013` runs the guest kernel at
 * ring 1, `sw-033` at ring 3; guest user code runs at ring 3 in both.
 *
 * The guest runs on the real (emulated) CPU. The monitor owns ring 0, the real GDT, IDT, TSS
 * and SYSENTER MSRs, all in its region at the top of the linear address space (layout.ts).
 * Whatever the deprivileged guest cannot do reaches the monitor as a real fault, interrupt or
 * SYSENTER delivered by the CPU through the monitor's IDT, with a real privilege change to
 * ring 0; the dispatch loop then calls enter() (the monitor's logic is TypeScript). The monitor
 * decides what the event means for the guest:
 *
 * - a page fault is first checked against the guest's own page tables: a "hidden" fault fills
 *   a shadow page-table entry; an access the shadows must not allow (the monitor region, the
 *   APIC page, which is never mapped so that every TPR access traps, a write-protected guest
 *   page table or descriptor table) is emulated; a fault the guest's tables call for is
 *   reflected to the guest with its own error code and CR2;
 * - a #GP, #NP, #SS or #TS (or a #UD from the guest kernel: STAC and CLAC): the monitor swaps the guest's virtual CPU onto the processor (the
 *   virtual CPL 0 of the guest kernel, the guest's own descriptor tables and control registers,
 *   its virtual IF; see virtual-cpu.ts) and executes the instruction again there. If it
 *   succeeds, it was a privileged or sensitive instruction that trapped only because the guest
 *   is deprivileged (CLI, STI, HLT, I/O, LGDT, MOV CR, IRET, SYSEXIT, INT n...): emulated. If it
 *   faults again, the fault is the guest's own and is delivered through the guest's IDT;
 * - an external interrupt reaches the monitor only when the guest's virtual IF is set (the
 *   real IF mirrors it) and is delivered through the guest's IDT;
 * - SYSENTER lands in the monitor (the real MSRs are the monitor's) and is re-executed with
 *   the guest's own MSRs.
 * - a hardware task switch: the shadow tables hold no TSS descriptor or gate of the guest, and
 *   the real TR is the monitor's (its back link null), so a far JMP or CALL to a guest TSS or
 *   task gate and an IRET with NT set fault (#GP or #TS); the instruction is executed again on
 *   the virtual CPU, where it switches the guest's tasks (its TSSes, its GDT, its CR3); an
 *   exception or interrupt the monitor delivers through a task gate of the guest's IDT switches
 *   there too. Either is counted as `task-switch`.
 *
 * On the way back the monitor reloads the guest's data segment registers by selector from the
 * shadow GDT (a software VMM cannot save the hidden part of a segment register), and returns
 * with a real IRET to the ring the guest's virtual CPL maps to.
 *
 * Instructions that are sensitive but do not trap (SGDT, SIDT, SLDT, STR, SMSW, PUSHF, POPF,
 * PUSH CS, LAR...) never reach the monitor: they execute on the real CPU, as on real hardware.
 * The exception is UMIP: while the guest's own (virtual) CR4.UMIP is set, the monitor sets
 * UMIP in the real CR4 too, so SGDT, SIDT, SLDT, STR and SMSW from the deprivileged guest raise
 * #GP and are emulated on the virtual CPU, with the guest's own values (its virtual CPL 0
 * executes them; from its ring 3 they fault again and the #GP is the guest's). The guest's view
 * of CR4 stays virtual: MOV from CR4 is emulated too.
 *
 * Time is guest time: only guest instructions count (an emulated instruction retires once);
 * the monitor's own work is counted in exits and emulations.
 */
import type { Machine } from '../../machine';
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../../cpu/insn';
import { APIC_BASE_PHYS } from '../../cpu/cpu';
import type { MonitorEntry } from '../../cpu/monitor-hooks';
import type { Monitor } from '../monitor';
import { FAULT, hasErrorCode } from '../../cpu/fault';
import {
  CS, SS, ESP, EDX, IF, TF, DB_VECTOR, IOPL, RF, VM, NT, CR0_PE, CR0_ET, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, CR4_UMIP, CR4_SMEP, CR4_SMAP, AC, PFEC_P, PFEC_ID, PFEC_W,
  GP_VECTOR, NP_VECTOR, SS_VECTOR, TS_VECTOR, PF_VECTOR, UD_VECTOR, NMI_VECTOR, EXCEPTION_NAMES, AR_P,
} from '../../cpu/constants';
import { deliverEvent, EVENT_EXCEPTION, EVENT_EXTERNAL } from '../../cpu/interrupts';
import { loadSegment, descBase, descLimit, descRights } from '../../cpu/segments';
import { probeTranslate } from '../../cpu/paging';
import { ea } from '../../cpu/ops/operands';
import { iret, sysenter } from '../../cpu/ops/far';
import { Insn as InsnRecord } from '../../cpu/insn';
import { sealState, openState } from '../../state/codec';
import type { ShadowPolicy } from '../modes';
import { RegisterFile, SEGS, DATA_SEGS } from './virtual-cpu';
import { GuestWalk } from './guest-walk';
import { ShadowPaging } from './shadow-paging';
import { shadowDescriptor, shadowOut } from './descriptors';
import {
  MON_LINEAR, MON_SIZE, OFF_PT, OFF_IDT, OFF_TSS, OFF_STUBS, OFF_SYSENTER, OFF_STACK_TOP, OFF_GDT_KERNEL,
  OFF_GDT_USER, OFF_LDT_KERNEL, OFF_LDT_USER, STUB_SIZE, MON_CS, MON_SS, MON_TSS, MON_LDT, GUEST_GDT_ENTRIES,
} from './layout';

/** What the monitor did, by kind (the matrix and the bench count these). */
export const INTERVENTIONS = [
  'interrupt', 'exception', 'hidden-page-fault', 'monitor-region', 'apic', 'mmio', 'descriptor-write',
  'page-table-write', 'write-protect', 'iflag', 'io', 'privileged', 'control-register', 'descriptor-table',
  'msr', 'int', 'iret', 'sysenter', 'sysexit', 'segment', 'far-transfer', 'memory', 'task-switch',
] as const;
export type Intervention = (typeof INTERVENTIONS)[number];
const KIND_INDEX = new Map<string, number>(INTERVENTIONS.map((k, n) => [k, n]));

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

const SYSENTER_ENTRY = 256; // the "vector" of an entry through SYSENTER
const DT_PAGE = 1, PT_PAGE = 2; // why a guest page is write-protected in the shadows
const IRET32 = new InsnRecord(); // the monitor's exit instruction: IRETD

export interface SoftwareMonitorOptions {
  kernelRing: 1 | 3; // the ring the guest kernel runs at
  shadow: ShadowPolicy; // split or shared shadow page tables (sw-033; sw-013 always has one)
}

export class SoftwareMonitor implements MonitorEntry, Monitor {
  private readonly machine: Machine;
  private readonly cpu: Cpu;
  readonly kernelRing: number; // 1 (sw-013) or 3 (sw-033)
  private readonly compressAll: boolean; // sw-033: every guest ring is 3
  private readonly split: boolean; // separate shadows for the guest's kernel and user modes
  private readonly monPhys: number; // physical base of the monitor region (= guest RAM size)
  private readonly guestPages: number; // pages of guest RAM
  private readonly v = new RegisterFile(); // the guest's virtual CPU
  private readonly real = new RegisterFile(); // the monitor's own context while the guest's is installed
  private inView = false; // the virtual CPU is on the processor
  private readonly walker = new GuestWalk();
  readonly shadow: ShadowPaging;
  private readonly tracked: Uint8Array; // per guest page: DT_PAGE | PT_PAGE when write-protected in the shadows
  private dtPages: number[] = []; // pages now tracked as descriptor tables
  private readonly gdtCopy = new Int32Array(GUEST_GDT_ENTRIES * 2); // the guest's descriptors (lo, hi) as last read
  private gdtEntries = 0;
  private readonly ldtCopy = new Int32Array(8192 * 2);
  private ldtEntries = 0;
  private resumeInMonitor = false; // the guest's EIP is in the monitor region: its next instruction is interpreted
  readonly counts = new Float64Array(INTERVENTIONS.length); // interventions by kind
  exits = 0; // entries into the monitor (traps, interrupts, SYSENTER)
  cr3Switches = 0; // real CR3 loads to another shadow

  constructor(machine: Machine, opts: SoftwareMonitorOptions) {
    this.machine = machine;
    this.cpu = machine.cpu;
    this.kernelRing = opts.kernelRing;
    this.compressAll = opts.kernelRing === 3;
    this.split = this.compressAll && opts.shadow === 'split';
    this.monPhys = this.cpu.ramSize - MON_SIZE;
    this.guestPages = this.monPhys >>> 12;
    this.tracked = new Uint8Array(this.guestPages);
    this.shadow = new ShadowPaging(this.cpu, this.monPhys);
    IRET32.os32 = true;
  }

  /** The guest's virtual IF (what it believes EFLAGS.IF is). */
  get virtualIf(): boolean {
    return ((this.inView ? this.cpu.flagsReg : this.v.flags) & IF) !== 0;
  }

  /** The guest's virtual CPL. */
  get virtualCpl(): number {
    return this.inView ? this.cpu.cpl : this.v.cpl;
  }

  /** The guest's virtual CPU as of the last return to the guest (registers the swap does not touch are the CPU's). */
  get virtualCpu(): Readonly<RegisterFile> {
    return this.v;
  }

  /** Nothing beyond the virtual CPU and the counts (describe-state.ts prints those). */
  describe(): string[] {
    return [];
  }

  /** Interventions by kind, non-zero ones only. */
  interventions(): Record<string, number> {
    const out: Record<string, number> = {};
    INTERVENTIONS.forEach((k, n) => {
      if (this.counts[n] > 0) out[k] = this.counts[n];
    });
    return out;
  }

  // ===========================================================================================
  // Start: the Multiboot entry state becomes the virtual CPU; the monitor takes the real one.
  // ===========================================================================================

  boot(): void {
    const cpu = this.cpu;
    this.v.capture(cpu); // the state `qemu -kernel` would start the kernel in
    cpu.ram.fill(0, this.monPhys, this.monPhys + MON_SIZE);
    for (let p = this.monPhys >>> 12; p < cpu.ramSize >>> 12; p++) cpu.pageWritten[p] = 1;
    for (let k = 0; k < 1024; k++) this.monW32(OFF_PT + k * 4, (this.monPhys + k * 4096) | 3); // supervisor, writable
    for (let vec = 0; vec < 256; vec++) {
      const target = this.lin(OFF_STUBS + vec * STUB_SIZE);
      this.monW32(OFF_IDT + vec * 8, (MON_CS << 16) | (target & 0xffff));
      this.monW32(OFF_IDT + vec * 8 + 4, (target & 0xffff0000) | 0x8e00); // present, DPL 0, 32-bit interrupt gate
    }
    // The entry stubs hold INT3s: the CPU never executes them (the monitor is entered on arrival).
    cpu.ram.fill(0xcc, this.monPhys + OFF_STUBS, this.monPhys + OFF_SYSENTER + STUB_SIZE);
    this.monW32(OFF_TSS + 4, this.lin(OFF_STACK_TOP)); // ESP0
    this.monW32(OFF_TSS + 8, MON_SS); // SS0
    this.monW32(OFF_TSS + 0x64, 104 << 16); // I/O map base beyond the limit: no bitmap, all I/O traps
    for (const gdt of [OFF_GDT_KERNEL, OFF_GDT_USER]) {
      this.writeDescriptor(gdt, MON_CS, 0, 0xfffff, 0x00c09b00); // ring-0 code, 4 GiB
      this.writeDescriptor(gdt, MON_SS, 0, 0xfffff, 0x00c09300); // ring-0 data, 4 GiB
      this.writeDescriptor(gdt, MON_TSS, this.lin(OFF_TSS), 103, 0x00008b00); // busy 32-bit TSS
    }
    // The real CPU: the monitor's tables, paging always on, the monitor's SYSENTER entry.
    const r = this.real;
    r.capture(cpu);
    r.cpl = 0;
    r.eip = this.lin(OFF_SYSENTER);
    r.esp = this.lin(OFF_STACK_TOP);
    r.flags = 0x2;
    r.cr0 = CR0_PE | CR0_ET | CR0_PG | CR0_WP;
    r.cr2 = 0;
    r.cr4 = 0;
    r.gdtrBase = this.lin(OFF_GDT_KERNEL);
    r.gdtrLimit = 0xffff;
    r.idtrBase = this.lin(OFF_IDT);
    r.idtrLimit = 256 * 8 - 1;
    r.trSel = MON_TSS;
    r.trBase = this.lin(OFF_TSS);
    r.trLimit = 103;
    r.trAR = 0x8b00;
    r.sysenterCs = MON_CS;
    r.sysenterEsp = this.lin(OFF_STACK_TOP);
    r.sysenterEip = this.lin(OFF_SYSENTER);
    r.physLimit = cpu.ramSize;
    r.segSel.set([MON_SS, MON_CS, MON_SS, MON_SS, MON_SS, MON_SS]);
    r.segBase.fill(0);
    r.segLimit.fill(0xffffffff);
    r.segAR.set([0x00c09300, 0x00c09b00, 0x00c09300, 0x00c09300, 0x00c09300, 0x00c09300]);
    // Shadow descriptor tables from the loader's GDT, then the first entry into the guest.
    this.v.physLimit = this.monPhys;
    this.installVirtual();
    this.rebuildDescriptorTables();
    this.leaveVirtual();
    this.exit();
  }

  // ===========================================================================================
  // Entry: the CPU arrived at an entry point at CPL 0
  // ===========================================================================================

  enter(): void {
    const cpu = this.cpu;
    const at = cpu.eip >>> 0;
    let vector: number;
    if (at === this.lin(OFF_SYSENTER)) vector = SYSENTER_ENTRY;
    else {
      const off = at - this.lin(OFF_STUBS);
      if (off < 0 || off >= 256 * STUB_SIZE || off % STUB_SIZE !== 0) return this.fail('the CPU is at CPL 0 outside the monitor');
      vector = off / STUB_SIZE;
    }
    this.exits++;
    const v = this.v;
    let err = -1;
    if (vector !== SYSENTER_ENTRY) {
      // The frame the CPU pushed on the monitor stack (always from an outer ring).
      let sp = cpu.regs[ESP] >>> 0;
      if (vector < 32 && hasErrorCode(vector)) {
        err = cpu.readSys32(sp);
        sp += 4;
      }
      v.eip = cpu.readSys32(sp);
      const cs = cpu.readSys32(sp + 4) & 0xffff;
      const flags = cpu.readSys32(sp + 8);
      v.esp = cpu.readSys32(sp + 12);
      const ss = cpu.readSys32(sp + 16) & 0xffff;
      if ((cs & 3) === 0) return this.fail(`${this.reason(vector)} inside the monitor`);
      v.flags = (flags & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
      v.segSel[CS] = (cs & ~3) | v.cpl;
      v.segSel[SS] = (ss & ~3) | v.cpl;
    } else {
      v.flags = (cpu.getFlags() & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
    }
    const cr2 = cpu.cr2;
    if (!this.resumeInMonitor) for (const s of DATA_SEGS) v.segSel[s] = cpu.segSel[s];
    this.resumeInMonitor = false;
    // The monitor's context, to return to after the guest's is swapped out.
    cpu.regs[ESP] = this.lin(OFF_STACK_TOP);
    this.real.capture(cpu);
    this.installVirtual();
    // Stamped with the guest's CS:EIP: the instruction that trapped (or that an interrupt or a
    // SYSENTER interrupted), and the guest's virtual CPL.
    if (cpu.observer !== null) cpu.observer.monitorExit(this.reason(vector), vector, vector === PF_VECTOR ? cr2 : err);
    try {
      this.dispatch(vector, err, cr2);
    } catch (e) {
      if (e !== FAULT) throw e;
      this.reflectPending();
    }
    this.leaveVirtual();
    if (cpu.stopReason === 'shutdown') return; // the guest triple-faulted
    this.exit();
  }

  private reason(vector: number): string {
    if (vector === SYSENTER_ENTRY) return 'sysenter';
    if (vector >= 32) return 'interrupt';
    return EXCEPTION_NAMES[vector] ?? `vector ${vector}`;
  }

  private dispatch(vector: number, err: number, cr2: number): void {
    const cpu = this.cpu;
    if (vector === SYSENTER_ENTRY) {
      if ((cpu.sysenterCs & 0xfffc) === 0) return this.fail('the guest executed SYSENTER with a null IA32_SYSENTER_CS');
      const obs = cpu.observer;
      cpu.observer = null; // the real SYSENTER already reported itself
      sysenter(cpu);
      cpu.observer = obs;
      cpu.eip = cpu.next;
      this.note('sysenter', 'sysenter into the guest kernel', cpu.eip);
    } else if (vector >= 32 || vector === NMI_VECTOR) {
      this.note('interrupt', 'interrupt delivered through the guest idt', vector);
      const tr = cpu.trSel;
      deliverEvent(cpu, vector, -1, EVENT_EXTERNAL, cpu.eip, 'reflected');
      this.afterDelivery(tr);
    } else if (vector === PF_VECTOR) this.pageFault(cr2, err);
    else if (vector === GP_VECTOR || vector === NP_VECTOR || vector === SS_VECTOR || vector === TS_VECTOR) this.emulate();
    // STAC and CLAC raise #UD outside ring 0: the guest kernel's are emulated (any other #UD faults again and is the guest's).
    else if (vector === UD_VECTOR && cpu.cpl === 0) this.emulate();
    else this.reflect(vector, err);
  }

  // ===========================================================================================
  // Trap and emulate
  // ===========================================================================================

  /** Re-executes the faulting instruction on the virtual CPU (see the file comment). */
  private emulate(): void {
    const cpu = this.cpu;
    const ins: Insn = this.machine.executor.decodeCurrent();
    const intercept = ins.form === null ? '' : ins.form.intercept;
    // Anything else re-executes cleanly only because the virtual CPU's segments are the guest's
    // own: in sw-013, a limit cut below the monitor region.
    const kind: Intervention = ins.form !== null && ins.form.trap !== '' ? ins.form.trap : this.compressAll ? 'memory' : 'monitor-region';
    const invlpgAt = intercept === 'invlpg' ? (cpu.segBase[ins.seg] + ea(cpu, ins)) | 0 : 0;
    const mnemonic = ins.form === null ? '(bad)' : ins.form.mnemonic;
    const port = intercept === 'io' && ins.form!.imm === 'Ib' ? ins.imm & 0xff : cpu.regs[EDX] & 0xffff;
    const cr0 = cpu.cr0, cr4 = cpu.cr4, gdtBase = cpu.gdtrBase, gdtLimit = cpu.gdtrLimit, ldtr = cpu.ldtrSel, tr = cpu.trSel;
    if (!this.step(kind, mnemonic, kind === 'io' ? port : 0)) return;
    if ((cr0 ^ cpu.cr0) & (CR0_PG | CR0_WP) || (cr4 ^ cpu.cr4) & (CR4_PSE | CR4_PGE)) this.shadow.flushAll();
    if (intercept === 'invlpg') this.shadow.invalidate(invlpgAt);
    const tablesChanged = gdtBase !== cpu.gdtrBase || gdtLimit !== cpu.gdtrLimit || ldtr !== cpu.ldtrSel || tr !== cpu.trSel;
    if (tablesChanged || intercept === 'ltr') this.rebuildDescriptorTables(); // LTR also sets the busy bit in the guest's GDT
  }

  /** A page fault: hidden (fill the shadow), emulated, or the guest's own (reflected). */
  private pageFault(lin: number, err: number): void {
    const cpu = this.cpu;
    const write = (err & PFEC_W) !== 0;
    if (lin >>> 0 >= MON_LINEAR) return this.interpret('monitor-region', lin);
    const w = this.walker;
    try {
      w.walk(cpu, cpu.cr0, cpu.cr3, cpu.cr4, lin, write, cpu.cpl === 3); // raises the guest's own #PF
    } catch (e) {
      // A fetch's fault reports I/D while the guest's SMEP is on (the real error code says fetch under sw-013).
      if (e === FAULT && (err & PFEC_ID) !== 0 && (cpu.cr4 & CR4_SMEP) !== 0) cpu.excCode |= PFEC_ID;
      throw e;
    }
    if (this.kernelRing === 1 && cpu.cpl < 3 && w.user && (cpu.cr0 & CR0_PG) !== 0) {
      // sw-013's ring 1 is a supervisor ring for paging: the guest's SMEP and SMAP are in the real
      // CR4 (leaveVirtual), and the fault they raise on a user page is the guest's own.
      if ((err & PFEC_ID) !== 0 && (cpu.cr4 & CR4_SMEP) !== 0) cpu.pageFault(lin, PFEC_P | PFEC_ID);
      if ((err & PFEC_ID) === 0 && (cpu.cr4 & CR4_SMAP) !== 0 && (cpu.flagsReg & AC) === 0) cpu.pageFault(lin, PFEC_P | (write ? PFEC_W : 0));
    }
    // Both pages must be protected now (no short circuit): a shadow filled below may map them.
    const freshPd = this.trackPageTable(w.pdPage);
    const freshPt = this.trackPageTable(w.ptPage);
    if (freshPd || freshPt) this.shadow.flushAll();
    const page = w.physPage;
    if (page >= this.guestPages) return this.interpret(page === APIC_BASE_PHYS >>> 12 ? 'apic' : 'mmio', lin);
    const tracked = this.tracked[page];
    const writable = w.writable && w.dirty && tracked === 0;
    if (write && !writable) {
      if ((tracked & DT_PAGE) !== 0) {
        this.interpret('descriptor-write', lin);
        if (this.touchesDescriptorTables(lin)) this.rebuildDescriptorTables();
      } else if ((tracked & PT_PAGE) !== 0) {
        this.interpret('page-table-write', lin);
        this.shadow.flushAll();
      } else this.interpret('write-protect', lin);
      return;
    }
    const user = this.compressAll && !(this.split && cpu.cpl === 3) ? true : w.user;
    this.shadow.map(this.rootKey(cpu.cr0, cpu.cr3, cpu.cpl), lin, page, user, writable);
    this.note('hidden-page-fault', 'shadow page-table entry filled', lin);
  }

  /** Executes the faulting access on the virtual CPU (the guest's own view of memory). */
  private interpret(kind: Intervention, lin: number): void {
    this.step(kind, ACCESS_TEXT[kind] ?? 'access emulated', lin);
  }

  /**
   * Executes the guest's instruction on the virtual CPU and notes it as `kind`; a fault goes to
   * the guest instead (false). With the guest's TF set, the single-step trap follows the emulated
   * instruction, as on hardware (SDM 17.3.1.4), and is delivered through the guest's IDT.
   */
  private step(kind: Intervention, what: string, value: number): boolean {
    const cpu = this.cpu;
    const tf = (cpu.flagsReg & TF) !== 0;
    const tr = cpu.trSel;
    if (!this.machine.executor.stepOne()) {
      this.reflectPending();
      return false;
    }
    if (cpu.trSel !== tr && what !== 'ltr') this.note('task-switch', `task switch (${what}) emulated on the guest's tss and gdt`, cpu.trSel);
    else this.note(kind, what, value);
    if (tf && cpu.stopReason === '') {
      cpu.dr[6] |= 0x4000; // DR6.BS
      deliverEvent(cpu, DB_VECTOR, -1, EVENT_EXCEPTION, cpu.eip, 'reflected');
    }
    return true;
  }

  /** Delivers the fault left in cpu.excVector through the guest's IDT. */
  private reflectPending(): void {
    const v = this.cpu.excVector;
    this.reflect(v, hasErrorCode(v) ? this.cpu.excCode : -1);
  }

  private reflect(vector: number, code: number): void {
    this.note('exception', REFLECT_TEXT[vector] ?? 'exception delivered through the guest idt', code);
    const tr = this.cpu.trSel;
    deliverEvent(this.cpu, vector, code, EVENT_EXCEPTION, this.cpu.eip, 'reflected');
    this.afterDelivery(tr);
  }

  /** After an event went through the guest's IDT: a task gate switched the guest's tasks (new LDT, busy bits). */
  private afterDelivery(tr: number): void {
    const cpu = this.cpu;
    if (cpu.trSel === tr || cpu.stopReason !== '') return;
    this.note('task-switch', "task switch through a task gate of the guest's idt", cpu.trSel);
    this.rebuildDescriptorTables();
  }

  private note(kind: Intervention, what: string, value: number): void {
    this.counts[KIND_INDEX.get(kind)!]++;
    if (this.cpu.observer !== null) this.cpu.observer.monitorEmulation(what, value);
  }

  /** Marks a guest page-table page write-protected; true when it was not yet. */
  private trackPageTable(page: number): boolean {
    if (page < 0 || page >= this.guestPages || (this.tracked[page] & PT_PAGE) !== 0) return false;
    this.tracked[page] |= PT_PAGE;
    return true;
  }

  // ===========================================================================================
  // Shadow descriptor tables
  // ===========================================================================================

  /**
   * Copies the guest's GDT and LDT (virtual GDTR/LDTR, read through the guest's page tables
   * without touching them) into both shadow copies, and write-protects the pages they occupy.
   * Runs with the virtual CPU installed.
   */
  private rebuildDescriptorTables(): void {
    const cpu = this.cpu;
    const n = Math.min((cpu.gdtrLimit + 1) >>> 3, GUEST_GDT_ENTRIES);
    this.copyTable(cpu.gdtrBase, n, this.gdtEntries, this.gdtCopy, OFF_GDT_KERNEL, OFF_GDT_USER);
    this.gdtEntries = n;
    const m = (cpu.ldtrSel & 0xfffc) === 0 ? 0 : Math.min((cpu.ldtrLimit + 1) >>> 3, 8192);
    this.copyTable(cpu.ldtrBase, m, this.ldtEntries, this.ldtCopy, OFF_LDT_KERNEL, OFF_LDT_USER);
    this.ldtEntries = m;
    this.writeDescriptor(OFF_GDT_KERNEL, MON_LDT, this.lin(OFF_LDT_KERNEL), cpu.ldtrLimit, m > 0 ? 0x8200 : 0);
    this.writeDescriptor(OFF_GDT_USER, MON_LDT, this.lin(OFF_LDT_USER), cpu.ldtrLimit, m > 0 ? 0x8200 : 0);
    // Write-protect the pages under both tables (and only those).
    for (const p of this.dtPages) this.tracked[p] &= ~DT_PAGE;
    const pages: number[] = [];
    let fresh = false;
    const cover = (base: number, bytes: number) => {
      for (let off = 0; off < bytes; off += 4096) {
        const last = Math.min(off + 4095, bytes - 1);
        for (const o of off === 0 ? [0, last] : [off, last]) {
          const phys = probeTranslate(cpu, (base + o) | 0);
          const page = phys >>> 12;
          if (phys < 0 || page >= this.guestPages || (this.tracked[page] & DT_PAGE) !== 0) continue;
          if (!this.dtPages.includes(page)) fresh = true;
          this.tracked[page] |= DT_PAGE;
          pages.push(page);
        }
      }
    };
    cover(cpu.gdtrBase, n * 8);
    if (m > 0) cover(cpu.ldtrBase, m * 8);
    this.dtPages = pages;
    if (fresh) this.shadow.flushAll(); // a newly protected page may be mapped writable
  }

  /**
   * Copies `entries` guest descriptors at linear `base` into `copy` and into the kernel-mode and
   * user-mode shadow tables; entries up to `before` (the previous size) are cleared.
   */
  private copyTable(base: number, entries: number, before: number, copy: Int32Array, kernelTable: number, userTable: number): void {
    for (let k = 0; k < Math.max(entries, before); k++) {
      const lo = k < entries ? this.readGuest32(base + k * 8) : 0;
      const hi = k < entries ? this.readGuest32(base + k * 8 + 4) : 0;
      copy[2 * k] = lo;
      copy[2 * k + 1] = hi;
      this.writeShadow(kernelTable, userTable, k, lo, hi);
    }
  }

  /** Whether a write at `lin` (at most 16 bytes) may have changed the guest's GDT or LDT. */
  private touchesDescriptorTables(lin: number): boolean {
    const cpu = this.cpu;
    return overlaps(lin, cpu.gdtrBase, cpu.gdtrLimit) || ((cpu.ldtrSel & 0xfffc) !== 0 && overlaps(lin, cpu.ldtrBase, cpu.ldtrLimit));
  }

  private writeShadow(kernelTable: number, userTable: number, index: number, lo: number, hi: number): void {
    const truncate = !this.compressAll;
    shadowDescriptor(lo, hi, this.kernelRing, this.compressAll, truncate, false);
    this.monW32(kernelTable + index * 8, shadowOut.lo);
    this.monW32(kernelTable + index * 8 + 4, shadowOut.hi);
    shadowDescriptor(lo, hi, this.kernelRing, this.compressAll, truncate, true);
    this.monW32(userTable + index * 8, shadowOut.lo);
    this.monW32(userTable + index * 8 + 4, shadowOut.hi);
  }

  /** A dword of guest linear memory, through the guest's page tables, without side effects (0 if unmapped). */
  private readGuest32(lin: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const phys = probeTranslate(this.cpu, (lin + k) | 0);
      v |= (phys < 0 ? 0 : this.cpu.physRead8(phys)) << (8 * k);
    }
    return v;
  }

  /** Loads a virtual segment cache from the guest's own descriptor for `sel`. */
  private loadGuestCache(seg: number, sel: number): void {
    const f = this.v;
    f.segSel[seg] = sel;
    const index = sel >>> 3;
    const inLdt = (sel & 4) !== 0;
    const table = inLdt ? this.ldtCopy : this.gdtCopy;
    const entries = inLdt ? this.ldtEntries : this.gdtEntries;
    if (!inLdt && index >= GUEST_GDT_ENTRIES && (seg === CS || seg === SS)) {
      // A selector of the monitor's slots in CS or SS: only SYSENTER or SYSEXIT on the virtual
      // CPU loads one (they do not read the GDT), and the cache they gave stays what it is.
      f.segSel[seg] = sel;
      return;
    }
    if ((sel & 0xfffc) === 0 || index >= entries) {
      f.segBase[seg] = 0;
      f.segLimit[seg] = 0;
      f.segAR[seg] = 0;
      return;
    }
    const lo = table[2 * index], hi = table[2 * index + 1];
    f.segBase[seg] = descBase(lo, hi);
    f.segLimit[seg] = descLimit(lo, hi);
    f.segAR[seg] = descRights(hi) | 0x100;
  }

  // ===========================================================================================
  // World switches
  // ===========================================================================================

  /** Puts the guest's virtual CPU on the processor. */
  private installVirtual(): void {
    const f = this.v;
    for (const s of SEGS) this.loadGuestCache(s, f.segSel[s]);
    f.physLimit = this.monPhys;
    f.install(this.cpu);
    this.inView = true;
  }

  /** Captures the virtual CPU and puts the monitor's context (with the shadows it now needs) back. */
  private leaveVirtual(): void {
    const cpu = this.cpu;
    const f = this.v;
    f.capture(cpu);
    this.inView = false;
    const r = this.real;
    const user = f.cpl === 3;
    const root = this.shadow.root(this.rootKey(f.cr0, f.cr3, f.cpl));
    if (root !== r.cr3) this.cr3Switches++; // r.cr3: the shadow the guest ran on until this exit
    r.cr3 = root;
    r.gdtrBase = this.lin(user ? OFF_GDT_USER : OFF_GDT_KERNEL);
    if (this.ldtEntries > 0) {
      r.ldtrSel = MON_LDT;
      r.ldtrBase = this.lin(user ? OFF_LDT_USER : OFF_LDT_KERNEL);
      r.ldtrLimit = f.ldtrLimit;
      r.ldtrAR = 0x8200;
    } else r.ldtrSel = r.ldtrBase = r.ldtrLimit = r.ldtrAR = 0;
    // The guest's UMIP (its stores of privileged state trap), and under sw-013, whose ring 1 is a
    // supervisor ring for paging, its SMEP and SMAP.
    const follow = CR4_UMIP | (this.kernelRing === 1 ? CR4_SMEP | CR4_SMAP : 0);
    r.cr4 = (r.cr4 & ~(CR4_UMIP | CR4_SMEP | CR4_SMAP)) | (f.cr4 & follow);
    r.install(cpu);
  }

  /** Which shadow serves this guest state: its address space, and its mode under the split policy. */
  private rootKey(cr0: number, cr3: number, cpl: number): number {
    const space = (cr0 & CR0_PG) !== 0 ? (cr3 & 0xfffff000) >>> 0 : 1;
    return space + (this.split && cpl === 3 ? 2 : 0);
  }

  /** The ring a virtual privilege level really runs at. */
  private ring(vcpl: number): number {
    return vcpl === 0 ? this.kernelRing : this.compressAll ? 3 : vcpl;
  }

  /**
   * Returns to the guest: the monitor reloads the guest's data segment registers by selector
   * (what a software VMM can do: their hidden parts are re-read from the shadow GDT), then a
   * real IRET to the guest's ring, with the real IF set to the virtual IF and IOPL 0, so that
   * CLI, STI and I/O keep trapping.
   */
  private exit(): void {
    const cpu = this.cpu;
    const f = this.v;
    const ring = this.ring(f.cpl);
    if ((!this.compressAll && (f.segBase[CS] + f.eip) >>> 0 >= MON_LINEAR) || isMonitorSlot(f.segSel[CS]) || isMonitorSlot(f.segSel[SS])) {
      // sw-013: the guest's code continues inside the monitor region, beyond its cut CS limit,
      // where the IRET cannot go; or (both modes) the guest's CS or SS is a selector of the
      // monitor's own GDT slots (a SYSENTER through an IA32_SYSENTER_CS that names them loads
      // them without reading any table), which the IRET would load as the monitor's. The monitor
      // stays in control and handles that instruction as the #GP its fetch would raise
      // (interpreted on the virtual CPU, one per dispatch, so the instruction count still bounds
      // the run), until the guest's CS and SS are its own again.
      const sp = this.writeFrame(ring) - 4;
      this.monW32(sp, 0); // the error code of the #GP
      cpu.regs[ESP] = this.lin(sp);
      cpu.eip = cpu.next = this.lin(OFF_STUBS + GP_VECTOR * STUB_SIZE);
      this.resumeInMonitor = true;
      return;
    }
    cpu.regs[ESP] = this.lin(this.writeFrame(ring));
    cpu.setFlags(cpu.getFlags() & ~NT);
    for (const s of DATA_SEGS) {
      try {
        loadSegment(cpu, s, f.segSel[s]);
      } catch (e) {
        if (e !== FAULT) throw e;
        cpu.setSegNull(s, 0);
        this.note('segment', 'data segment reload failed: loaded null', f.segSel[s]);
      }
    }
    if (cpu.observer !== null) cpu.observer.monitorEntry(ring === 3 ? 'iret to ring 3' : 'iret to ring 1');
    cpu.next = cpu.eip;
    try {
      iret(cpu, IRET32);
    } catch (e) {
      if (e !== FAULT) throw e;
      return this.fail(`cannot resume the guest at ${(f.segSel[CS] & 0xffff).toString(16)}:${(f.eip >>> 0).toString(16)} (fault ${cpu.excVector})`);
    }
    cpu.eip = cpu.next;
  }

  /**
   * Writes the guest's interrupt frame (EIP, CS, EFLAGS, ESP, SS of the virtual CPU, at `ring`,
   * with the real IOPL 0) at the top of the monitor stack; returns its offset.
   */
  private writeFrame(ring: number): number {
    const f = this.v;
    const sp = OFF_STACK_TOP - 20;
    this.monW32(sp, f.eip);
    this.monW32(sp + 4, (f.segSel[CS] & ~3) | ring);
    this.monW32(sp + 8, f.flags & ~(IOPL | RF | VM));
    this.monW32(sp + 12, f.esp);
    this.monW32(sp + 16, (f.segSel[SS] & ~3) | ring);
    return sp;
  }

  /** A state the monitor cannot handle: the machine stops with a shutdown naming it. */
  private fail(why: string): void {
    const cpu = this.cpu;
    cpu.shutdown(`monitor: ${why}`);
  }

  // ===========================================================================================
  // Memory of the monitor region
  // ===========================================================================================

  private lin(off: number): number {
    return (MON_LINEAR + off) >>> 0;
  }

  /** Writes a dword of the monitor region (unchanged values are not rewritten: no spurious stale-descriptor events). */
  private monW32(off: number, v: number): void {
    const cpu = this.cpu;
    const phys = this.monPhys + off;
    if (cpu.ram32[phys >>> 2] === (v | 0)) return;
    const limit = cpu.physLimit;
    cpu.physLimit = cpu.ramSize; // the monitor reaches its own memory even with the guest's view installed
    cpu.physWrite32(phys, v);
    cpu.physLimit = limit;
  }

  /** Writes a descriptor (base, 20-bit limit, rights in the high-dword layout) into a monitor GDT slot. */
  private writeDescriptor(table: number, sel: number, base: number, limit: number, rights: number): void {
    let lo = 0, hi = 0;
    if ((rights & AR_P) !== 0) {
      lo = ((base & 0xffff) << 16) | (limit & 0xffff);
      hi = (base & 0xff000000) | ((base >>> 16) & 0xff) | (limit & 0xf0000) | rights;
    }
    this.monW32(table + sel, lo);
    this.monW32(table + sel + 4, hi);
  }

  // ===========================================================================================
  // The guest as it sees itself (debuggers): read only, between two instructions
  // ===========================================================================================

  /**
   * Fills `out` with the guest's registers as the guest believes they are: its virtual CPL,
   * EIP, ESP, EFLAGS with the virtual IF and IOPL, CS and SS with the virtual RPL, its own
   * control and descriptor-table registers. Segment caches are the ones the CPU holds. The
   * general registers other than ESP are the CPU's (shared). Wherever the CPU stopped (in the
   * guest, or at a monitor entry point the dispatch loop has not run yet), nothing changes.
   * At an entry point, the view is the guest's state when the event happened: after its
   * SYSENTER, in its own handler; for a trap after an instruction (TF), before the guest's
   * handler is entered (the monitor reflects it when it runs).
   * Returns false when the guest's EIP, ESP and EFLAGS are not on the processor (a debugger
   * must not write them there).
   */
  guestView(out: RegisterFile): boolean {
    const cpu = this.cpu;
    const v = this.v;
    if (this.inView) {
      out.capture(cpu);
      return true;
    }
    out.copyFrom(v);
    for (const s of SEGS) {
      out.segBase[s] = cpu.segBase[s];
      out.segLimit[s] = cpu.segLimit[s];
      out.segAR[s] = cpu.segAR[s];
    }
    if (cpu.cpl !== 0) {
      out.eip = cpu.eip;
      out.esp = cpu.regs[ESP];
      out.flags = (cpu.getFlags() & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
      for (const s of SEGS) out.segSel[s] = cpu.segSel[s];
      out.segSel[CS] = (cpu.segSel[CS] & ~3) | v.cpl;
      out.segSel[SS] = (cpu.segSel[SS] & ~3) | v.cpl;
      return true;
    }
    if (this.resumeInMonitor) return false; // the guest's state is the virtual file itself
    const at = cpu.eip >>> 0;
    if (at === this.lin(OFF_SYSENTER)) {
      // The guest's SYSENTER retired into the monitor's entry; for the guest it entered its own
      // handler (what enter() will make true): CPL 0 at its SYSENTER MSRs, IF, VM and RF clear.
      out.cpl = 0;
      out.eip = v.sysenterEip;
      out.esp = v.sysenterEsp;
      out.segSel[CS] = v.sysenterCs & 0xfffc;
      out.segSel[SS] = (v.sysenterCs + 8) & 0xfffc;
      out.flags = (cpu.getFlags() & ~(IF | IOPL | VM | RF)) | (v.flags & IOPL);
      for (const s of DATA_SEGS) out.segSel[s] = cpu.segSel[s];
      return false;
    }
    // At an entry stub: the frame the CPU pushed (as enter() reads it), without reading it twice.
    const vector = (at - this.lin(OFF_STUBS)) / STUB_SIZE;
    let sp = cpu.regs[ESP] >>> 0;
    if (Number.isInteger(vector) && vector >= 0 && vector < 32 && hasErrorCode(vector)) sp += 4;
    const word = (lin: number) => {
      const p = probeTranslate(cpu, lin);
      return p < 0 ? 0 : cpu.physRead32(p);
    };
    out.eip = word(sp);
    out.segSel[CS] = (word(sp + 4) & 0xfffc) | v.cpl;
    out.flags = (word(sp + 8) & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
    out.esp = word(sp + 12);
    out.segSel[SS] = (word(sp + 16) & 0xfffc) | v.cpl;
    for (const s of DATA_SEGS) out.segSel[s] = cpu.segSel[s];
    return false;
  }

  // ===========================================================================================
  // State (snapshots)
  // ===========================================================================================

  saveState(): Uint8Array {
    return sealState(STATE_TAG, STATE_VERSION, (w) => {
      this.v.save(w);
      w.f64(this.gdtEntries);
      w.i32s(this.gdtCopy.subarray(0, this.gdtEntries * 2));
      w.f64(this.ldtEntries);
      w.i32s(this.ldtCopy.subarray(0, this.ldtEntries * 2));
      const tracked: number[] = [];
      for (let p = 0; p < this.tracked.length; p++) if (this.tracked[p] !== 0) tracked.push(p, this.tracked[p]);
      for (const list of [tracked, this.dtPages, this.shadow.keys, this.shadow.roots]) {
        w.u32(list.length);
        w.u32s(list);
      }
      w.u32(this.shadow.poolUsed);
      w.u32(this.shadow.flushes);
      w.bool(this.resumeInMonitor);
      w.f64(this.exits);
      w.f64(this.cr3Switches);
      w.u32(this.counts.length);
      for (const c of this.counts) w.f64(c);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState(STATE_TAG, STATE_VERSION, bytes, 'monitor state');
    const f = new RegisterFile();
    f.load(r);
    const gdtEntries = r.int('gdt entries', 0, GUEST_GDT_ENTRIES) as number;
    const gdt = r.i32s(gdtEntries * 2, 'gdt copy');
    const ldtEntries = r.int('ldt entries', 0, 8192) as number;
    const ldt = r.i32s(ldtEntries * 2, 'ldt copy');
    const list = (name: string) => r.u32s(r.u32(), name);
    const tracked = list('tracked pages');
    const dtPages = list('descriptor-table pages');
    const keys = list('shadow keys');
    const roots = list('shadow roots');
    const poolUsed = r.u32();
    const flushes = r.u32();
    const resumeInMonitor = r.bool();
    const exits = r.f64();
    const cr3Switches = r.f64();
    const n = r.u32();
    if (n !== this.counts.length) r.fail('monitor state does not match this build');
    const counts: number[] = [];
    for (let k = 0; k < n; k++) counts.push(r.f64());
    r.end();
    this.v.copyFrom(f);
    this.gdtEntries = gdtEntries;
    this.gdtCopy.fill(0).set(gdt);
    this.ldtEntries = ldtEntries;
    this.ldtCopy.fill(0).set(ldt);
    this.tracked.fill(0);
    for (let k = 0; k < tracked.length; k += 2) this.tracked[tracked[k]] = tracked[k + 1];
    this.dtPages = Array.from(dtPages);
    this.shadow.keys = Array.from(keys);
    this.shadow.roots = Array.from(roots);
    this.shadow.poolUsed = poolUsed;
    this.shadow.flushes = flushes;
    this.resumeInMonitor = resumeInMonitor;
    this.exits = exits;
    this.cr3Switches = cr3Switches;
    this.counts.set(counts);
    this.inView = false;
  }
}

/** Whether `sel` names one of the monitor's own GDT slots (MON_CS and above). */
function isMonitorSlot(sel: number): boolean {
  return (sel & 4) === 0 && sel >>> 3 >= GUEST_GDT_ENTRIES;
}

/** Whether a write of up to 16 bytes at `lin` overlaps the table [base, base + limit]. */
function overlaps(lin: number, base: number, limit: number): boolean {
  return ((lin - base) >>> 0) <= limit || ((base - lin) >>> 0) < 16;
}

const STATE_TAG = 'RSWM';
const STATE_VERSION = 3;
