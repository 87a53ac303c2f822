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
import type { Cpu } from '../../cpu/cpu';
import type { MonitorEntry } from '../../cpu/monitor-hooks';
import type { Monitor, MonitorHost } from '../monitor';
import { FAULT, hasErrorCode } from '../../cpu/fault';
import {
  CS, SS, ESP, IF, IOPL, CR0_PE, CR0_ET, CR0_PG, CR0_WP, GP_VECTOR, NP_VECTOR, SS_VECTOR, TS_VECTOR, PF_VECTOR, UD_VECTOR, NMI_VECTOR, EXCEPTION_NAMES,
} from '../../cpu/constants';
import { deliverEvent, EVENT_EXTERNAL } from '../../cpu/interrupts';
import { sysenter } from '../../cpu/ops/far';
import { sealState, openState } from '../../state/codec';
import type { ShadowPolicy } from '../modes';
import { RegisterFile, DATA_SEGS } from './virtual-cpu';
import { GuestWalk } from './guest-walk';
import { ShadowPaging } from './shadow-paging';
import { INTERVENTIONS, note } from './interventions';
import { lin, monW32, writeDescriptor } from './region';
import { rebuildDescriptorTables } from './descriptor-tables';
import { installVirtual, leaveVirtual, exit, fail } from './world-switch';
import { emulate, pageFault, reflect, reflectPending, afterDelivery } from './trap-emulate';
import { guestView } from './guest-view';
import {
  MON_SIZE, OFF_PT, OFF_IDT, OFF_TSS, OFF_STUBS, OFF_SYSENTER, OFF_STACK_TOP, OFF_GDT_KERNEL,
  OFF_GDT_USER, STUB_SIZE, MON_CS, MON_SS, MON_TSS, GUEST_GDT_ENTRIES,
} from './layout';

export { INTERVENTIONS, type Intervention } from './interventions';

const SYSENTER_ENTRY = 256; // the "vector" of an entry through SYSENTER

export interface SoftwareMonitorOptions {
  kernelRing: 1 | 3; // the ring the guest kernel runs at
  shadow: ShadowPolicy; // split or shared shadow page tables (sw-033; sw-013 always has one)
  /** Stop tracking a page-table page written FLOOD_WRITES times without a walk through it (machine revision 3; default off). */
  unshadowFlooded?: boolean;
}

/**
 * The monitor: its state, its start, its entry and dispatch, its snapshots. Its other parts are
 * functions of the monitor in this folder, named after what they do: trap-emulate.ts (trap and
 * emulate, reflection through the guest's IDT), descriptor-tables.ts (shadow descriptor tables),
 * world-switch.ts (the virtual CPU on and off the processor, the return to the guest),
 * region.ts (writes to the monitor region), guest-view.ts (the guest as it sees itself),
 * interventions.ts (the counts). Its fields are theirs too; outside this folder the monitor is
 * seen only through `Monitor` and `MonitorEntry` (the machine also constructs and boots it).
 */
export class SoftwareMonitor implements MonitorEntry, Monitor {
  readonly host: MonitorHost; // the processor, and the executor's decode and single step
  readonly cpu: Cpu;
  readonly kernelRing: number; // 1 (sw-013) or 3 (sw-033)
  readonly compressAll: boolean; // sw-033: every guest ring is 3
  readonly split: boolean; // separate shadows for the guest's kernel and user modes
  readonly monPhys: number; // physical base of the monitor region (= guest RAM size)
  readonly guestPages: number; // pages of guest RAM
  readonly v = new RegisterFile(); // the guest's virtual CPU
  readonly real = new RegisterFile(); // the monitor's own context while the guest's is installed
  inView = false; // the virtual CPU is on the processor
  readonly walker = new GuestWalk();
  readonly shadow: ShadowPaging;
  readonly tracked: Uint8Array; // per guest page: DT_PAGE | PT_PAGE when write-protected in the shadows, and the flood count (trap-emulate.ts)
  readonly unshadowFlooded: boolean; // see SoftwareMonitorOptions
  dtPages: number[] = []; // pages now tracked as descriptor tables
  readonly gdtCopy = new Int32Array(GUEST_GDT_ENTRIES * 2); // the guest's descriptors (lo, hi) as last read
  gdtEntries = 0;
  readonly ldtCopy = new Int32Array(8192 * 2);
  ldtEntries = 0;
  resumeInMonitor = false; // the guest's EIP is in the monitor region: its next instruction is interpreted
  readonly counts = new Float64Array(INTERVENTIONS.length); // interventions by kind
  exits = 0; // entries into the monitor (traps, interrupts, SYSENTER)
  cr3Switches = 0; // real CR3 loads to another shadow

  constructor(host: MonitorHost, opts: SoftwareMonitorOptions) {
    this.host = host;
    this.cpu = host.cpu;
    this.kernelRing = opts.kernelRing;
    this.compressAll = opts.kernelRing === 3;
    this.split = this.compressAll && opts.shadow === 'split';
    this.monPhys = this.cpu.ramSize - MON_SIZE;
    this.guestPages = this.monPhys >>> 12;
    this.tracked = new Uint8Array(this.guestPages);
    this.unshadowFlooded = opts.unshadowFlooded === true;
    this.shadow = new ShadowPaging(this.cpu, this.monPhys);
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
    for (let k = 0; k < 1024; k++) monW32(this, OFF_PT + k * 4, (this.monPhys + k * 4096) | 3); // supervisor, writable
    for (let vec = 0; vec < 256; vec++) {
      const target = lin(OFF_STUBS + vec * STUB_SIZE);
      monW32(this, OFF_IDT + vec * 8, (MON_CS << 16) | (target & 0xffff));
      monW32(this, OFF_IDT + vec * 8 + 4, (target & 0xffff0000) | 0x8e00); // present, DPL 0, 32-bit interrupt gate
    }
    // The entry stubs hold INT3s: the CPU never executes them (the monitor is entered on arrival).
    cpu.ram.fill(0xcc, this.monPhys + OFF_STUBS, this.monPhys + OFF_SYSENTER + STUB_SIZE);
    monW32(this, OFF_TSS + 4, lin(OFF_STACK_TOP)); // ESP0
    monW32(this, OFF_TSS + 8, MON_SS); // SS0
    monW32(this, OFF_TSS + 0x64, 104 << 16); // I/O map base beyond the limit: no bitmap, all I/O traps
    for (const gdt of [OFF_GDT_KERNEL, OFF_GDT_USER]) {
      writeDescriptor(this, gdt, MON_CS, 0, 0xfffff, 0x00c09b00); // ring-0 code, 4 GiB
      writeDescriptor(this, gdt, MON_SS, 0, 0xfffff, 0x00c09300); // ring-0 data, 4 GiB
      writeDescriptor(this, gdt, MON_TSS, lin(OFF_TSS), 103, 0x00008b00); // busy 32-bit TSS
    }
    // The real CPU: the monitor's tables, paging always on, the monitor's SYSENTER entry.
    const r = this.real;
    r.capture(cpu);
    r.cpl = 0;
    r.eip = lin(OFF_SYSENTER);
    r.esp = lin(OFF_STACK_TOP);
    r.flags = 0x2;
    r.cr0 = CR0_PE | CR0_ET | CR0_PG | CR0_WP;
    r.cr2 = 0;
    r.cr4 = 0;
    r.gdtrBase = lin(OFF_GDT_KERNEL);
    r.gdtrLimit = 0xffff;
    r.idtrBase = lin(OFF_IDT);
    r.idtrLimit = 256 * 8 - 1;
    r.trSel = MON_TSS;
    r.trBase = lin(OFF_TSS);
    r.trLimit = 103;
    r.trAR = 0x8b00;
    r.sysenterCs = MON_CS;
    r.sysenterEsp = lin(OFF_STACK_TOP);
    r.sysenterEip = lin(OFF_SYSENTER);
    r.physLimit = cpu.ramSize;
    r.segSel.set([MON_SS, MON_CS, MON_SS, MON_SS, MON_SS, MON_SS]);
    r.segBase.fill(0);
    r.segLimit.fill(0xffffffff);
    r.segAR.set([0x00c09300, 0x00c09b00, 0x00c09300, 0x00c09300, 0x00c09300, 0x00c09300]);
    // Shadow descriptor tables from the loader's GDT, then the first entry into the guest.
    this.v.physLimit = this.monPhys;
    installVirtual(this);
    rebuildDescriptorTables(this);
    leaveVirtual(this);
    exit(this);
  }

  // ===========================================================================================
  // Entry: the CPU arrived at an entry point at CPL 0
  // ===========================================================================================

  enter(): void {
    const cpu = this.cpu;
    const at = cpu.eip >>> 0;
    let vector: number;
    if (at === lin(OFF_SYSENTER)) vector = SYSENTER_ENTRY;
    else {
      const off = at - lin(OFF_STUBS);
      if (off < 0 || off >= 256 * STUB_SIZE || off % STUB_SIZE !== 0) return fail(this, 'the CPU is at CPL 0 outside the monitor');
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
      if ((cs & 3) === 0) return fail(this, `${this.reason(vector)} inside the monitor`);
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
    cpu.regs[ESP] = lin(OFF_STACK_TOP);
    this.real.capture(cpu);
    installVirtual(this);
    // Stamped with the guest's CS:EIP: the instruction that trapped (or that an interrupt or a
    // SYSENTER interrupted), and the guest's virtual CPL.
    if (cpu.observer !== null) cpu.observer.monitorExit(this.reason(vector), vector, vector === PF_VECTOR ? cr2 : err);
    try {
      this.dispatch(vector, err, cr2);
    } catch (e) {
      if (e !== FAULT) throw e;
      reflectPending(this);
    }
    leaveVirtual(this);
    if (cpu.stopReason === 'shutdown') return; // the guest triple-faulted
    exit(this);
  }

  private reason(vector: number): string {
    if (vector === SYSENTER_ENTRY) return 'sysenter';
    if (vector >= 32) return 'interrupt';
    return EXCEPTION_NAMES[vector] ?? `vector ${vector}`;
  }

  private dispatch(vector: number, err: number, cr2: number): void {
    const cpu = this.cpu;
    if (vector === SYSENTER_ENTRY) {
      if ((cpu.sysenterCs & 0xfffc) === 0) return fail(this, 'the guest executed SYSENTER with a null IA32_SYSENTER_CS');
      const obs = cpu.observer;
      cpu.observer = null; // the real SYSENTER already reported itself
      sysenter(cpu);
      cpu.observer = obs;
      cpu.eip = cpu.next;
      note(this, 'sysenter', 'sysenter into the guest kernel', cpu.eip);
    } else if (vector >= 32 || vector === NMI_VECTOR) {
      note(this, 'interrupt', 'interrupt delivered through the guest idt', vector);
      const tr = cpu.trSel;
      deliverEvent(cpu, vector, -1, EVENT_EXTERNAL, cpu.eip, 'reflected');
      afterDelivery(this, tr);
    } else if (vector === PF_VECTOR) pageFault(this, cr2, err);
    else if (vector === GP_VECTOR || vector === NP_VECTOR || vector === SS_VECTOR || vector === TS_VECTOR) emulate(this);
    // STAC and CLAC raise #UD outside ring 0: the guest kernel's are emulated (any other #UD faults again and is the guest's).
    else if (vector === UD_VECTOR && cpu.cpl === 0) emulate(this);
    else reflect(this, vector, err);
  }

  // ===========================================================================================
  // The guest as it sees itself (debuggers): see guest-view.ts
  // ===========================================================================================

  guestView(out: RegisterFile): boolean {
    return guestView(this, out);
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

const STATE_TAG = 'RSWM';
const STATE_VERSION = 3;
