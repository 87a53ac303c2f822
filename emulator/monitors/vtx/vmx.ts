/**
 * The VMX core: VM entry and VM exit between the processor and the current VMCS, as the SDM
 * describes them (vol. 3C chapters 26 and 27). Nothing here knows the built-in VMM: VMLAUNCH and
 * VMRESUME are vmEntry(), and a VM exit ends by handing the processor, in root operation with
 * the host state loaded, to whatever software the host-state area names; here that software
 * is TypeScript (`onExit`), later it can be guest code executing VMX instructions on the same
 * core.
 *
 * - VM entry (chapter 26): the checks of entry-checks.ts in the SDM's order (26.2 controls and
 *   host state: failure = VMfailValid with VM-instruction error 7 or 8, nothing loaded; 26.3.1
 *   guest state: failure = a VM exit with basic exit reason 33 and bit 31 set, host state
 *   loaded), then the guest state is loaded (26.3.2), then the event in the VM-entry
 *   interruption-information field is delivered through the guest's IDT (26.5).
 * - VM exit (chapter 27): the exit information is recorded (27.2), the guest state is saved,
 *   hidden parts of the segment registers included (27.3), and the host state is loaded (27.5).
 *
 * Segment access rights in the VMCS use the format of SDM table 24-2 (bits 7:0 type, S, DPL, P;
 * 12 AVL; 13 L; 14 D/B; 15 G; 16 unusable); the CPU keeps them in LAR layout (bits 8-23).
 */
import type { Cpu } from '../../cpu/cpu';
import { deliverEvent, EVENT_EXCEPTION, EVENT_EXTERNAL, EVENT_SOFTWARE } from '../../cpu/interrupts';
import { ESP, IF, CS, AR_P } from '../../cpu/constants';
import type { MonitorEntry } from '../../cpu/monitor-hooks';
import type { Vmcs } from './vmcs';
import { NonRoot } from './nonroot';
import type { ApicAccessPage } from './apic-access';
import * as F from './encodings';
import { CONTROL_CHECKS, HOST_CHECKS, GUEST_CHECKS } from './entry-checks';
import {
  EXIT_INVALID_GUEST_STATE, EXIT_REASON_ENTRY_FAILURE, VMXERR_ENTRY_INVALID_CONTROL_FIELD, VMXERR_ENTRY_INVALID_HOST_STATE_FIELD,
  VMXERR_VMLAUNCH_NONCLEAR_VMCS, VMXERR_VMRESUME_NONLAUNCHED_VMCS, exitReasonName,
} from './exit-reasons';
import {
  INTR_INFO_VALID, INTR_INFO_DELIVER_CODE, INTR_TYPE_EXTERNAL, INTR_TYPE_NMI, INTR_TYPE_SOFTWARE_INTERRUPT,
  INTR_TYPE_PRIV_SOFTWARE_EXCEPTION, INTR_TYPE_SOFTWARE_EXCEPTION, INTR_TYPE_NAMES, INTERRUPTIBILITY_STI,
  INTERRUPTIBILITY_MOV_SS, INTERRUPTIBILITY_NMI, ACTIVITY_HLT, ACTIVITY_ACTIVE,
} from './controls';

/** VMCS access rights (table 24-2) from the CPU's LAR-layout rights; null/not-present = unusable. */
export function vmcsRights(lar: number): number {
  if ((lar & AR_P) === 0) return 0x10000;
  return (lar >>> 8) & 0xf0ff;
}
/** The CPU's LAR-layout rights from VMCS access rights (an unusable segment: 0). */
export function cpuRights(ar: number): number {
  if ((ar & 0x10000) !== 0) return 0;
  return (ar & 0xf0ff) << 8;
}

/** The exit information a VM exit records (SDM 27.2); unset fields are written as 0. */
export interface ExitInfo {
  reason: number; // basic exit reason (bits 15:0); bit 31 for an entry failure
  qualification?: number;
  instructionLength?: number; // VM-exit instruction length (exits caused by an instruction)
  instructionInfo?: number; // VM-exit instruction information (27.2.5)
  guestLinear?: number; // guest-linear address (27.2.1)
  guestPhysical?: number; // guest-physical address (EPT violations and misconfigurations)
  intrInfo?: number; // VM-exit interruption information (exceptions, NMIs, acknowledged external interrupts)
  intrErrorCode?: number;
  idtVectoringInfo?: number; // IDT-vectoring information (27.2.4): the event a task gate of the IDT was delivering
  idtVectoringErrorCode?: number;
  trapLike?: boolean; // RIP saved is already past the instruction (TPR below threshold, monitor trap flag)
}

export type EntryResult =
  | { ok: true }
  | { ok: false; error: number; check: string } // VMfailValid: nothing changed, the VMCS holds the error number
  | { ok: false; exitReason: number; check: string }; // a VM exit (reason 33): host state loaded

/** The system registers a guest-state area holds beside the segment registers. */
export interface SystemRegisters {
  ldtrSel: number; ldtrBase: number; ldtrLimit: number; ldtrAR: number;
  trSel: number; trBase: number; trLimit: number; trAR: number;
  gdtrBase: number; gdtrLimit: number; idtrBase: number; idtrLimit: number;
  sysenterCs: number; sysenterEsp: number; sysenterEip: number;
}

/** LDTR, TR, GDTR, IDTR and the SYSENTER MSRs from the guest-state area (into the CPU, or a register file to show). */
export function readGuestSystemRegisters(v: Vmcs, into: SystemRegisters): void {
  into.ldtrSel = v.get(F.GUEST_LDTR_SELECTOR);
  into.ldtrBase = v.get(F.GUEST_LDTR_BASE) | 0;
  into.ldtrLimit = v.get(F.GUEST_LDTR_LIMIT);
  into.ldtrAR = cpuRights(v.get(F.GUEST_LDTR_AR_BYTES));
  into.trSel = v.get(F.GUEST_TR_SELECTOR);
  into.trBase = v.get(F.GUEST_TR_BASE) | 0;
  into.trLimit = v.get(F.GUEST_TR_LIMIT);
  into.trAR = cpuRights(v.get(F.GUEST_TR_AR_BYTES));
  into.gdtrBase = v.get(F.GUEST_GDTR_BASE) | 0;
  into.gdtrLimit = v.get(F.GUEST_GDTR_LIMIT);
  into.idtrBase = v.get(F.GUEST_IDTR_BASE) | 0;
  into.idtrLimit = v.get(F.GUEST_IDTR_LIMIT);
  into.sysenterCs = v.get(F.GUEST_SYSENTER_CS);
  into.sysenterEsp = v.get(F.GUEST_SYSENTER_ESP) | 0;
  into.sysenterEip = v.get(F.GUEST_SYSENTER_EIP) | 0;
}

export class Vmx implements MonitorEntry {
  readonly cpu: Cpu;
  readonly vmcs: Vmcs;
  readonly exec: NonRoot; // non-root operation: the intercepts the controls ask for
  private readonly apicPage: ApicAccessPage; // the processor's view of its local APIC
  nonRoot = false; // VMX non-root operation
  lastExit = -1; // the last basic exit reason (-1: none yet)
  lastCheck = ''; // the failed check of the last failed entry
  /** The host's software (at host RIP), run at the instruction boundary after a VM exit. */
  onExit: () => void = () => {};
  /** Called after a successful VM entry, before the injected event is delivered. */
  onEntry: (launch: boolean, injected: string) => void = () => {};

  constructor(cpu: Cpu, vmcs: Vmcs, apicPage: ApicAccessPage) {
    this.cpu = cpu;
    this.vmcs = vmcs;
    this.apicPage = apicPage;
    this.exec = new NonRoot(cpu, this);
  }

  /**
   * The dispatch loop calls this at an instruction boundary while cpu.vmm is this core: after a
   * VM exit (the host's software runs), or when a trap-like exit is due (it is taken first).
   */
  enter(): void {
    if (this.nonRoot && this.exec.trapPending !== 0) this.exec.takeTrap();
    if (this.nonRoot) {
      this.cpu.vmm = null;
      return;
    }
    this.onExit();
    if (!this.nonRoot && this.cpu.stopReason === '') this.cpu.shutdown(`vmx: the host did not resume a guest after exit reason ${this.lastExit} (${this.lastCheck})`);
  }

  /** Restores the operation a snapshot was taken in (the VMCS already holds its fields). */
  restoreOperation(nonRoot: boolean, trapPending: number): void {
    if (nonRoot) this.goNonRoot();
    else this.goRoot();
    this.exec.trapPending = trapPending;
    if (trapPending !== 0) this.cpu.vmm = this;
  }

  /** A trap-like VM exit is due after the current instruction. */
  trapAtBoundary(): void {
    this.cpu.vmm = this;
    this.cpu.brk = true;
  }

  /** Enters non-root operation: the intercepts and the APIC virtualization go live. */
  private goNonRoot(): void {
    this.nonRoot = true;
    this.exec.latch();
    this.cpu.monitor = this.exec;
    this.apicPage.virtualization = this.exec;
    this.cpu.vmm = null;
  }

  /** Back in root operation (a VM exit): the host's software runs at the next boundary. */
  private goRoot(): void {
    this.nonRoot = false;
    this.cpu.monitor = null;
    this.cpu.ept = null;
    this.apicPage.virtualization = null;
    this.cpu.vmm = this;
  }

  // ===========================================================================================
  // VM entry (chapter 26)
  // ===========================================================================================

  /** VMLAUNCH (launch) or VMRESUME: the checks, the guest state, the event injection. */
  vmEntry(launch: boolean): EntryResult {
    const v = this.vmcs;
    if (launch && v.launched) return this.fail(VMXERR_VMLAUNCH_NONCLEAR_VMCS, '30.3 VMLAUNCH: the VMCS launch state is not clear');
    if (!launch && !v.launched) return this.fail(VMXERR_VMRESUME_NONLAUNCHED_VMCS, '30.3 VMRESUME: the VMCS launch state is not launched');
    for (const check of CONTROL_CHECKS) {
      const why = check(v, () => this.exec.readVtpr());
      if (why !== null) return this.fail(VMXERR_ENTRY_INVALID_CONTROL_FIELD, why);
    }
    for (const check of HOST_CHECKS) {
      const why = check(v);
      if (why !== null) return this.fail(VMXERR_ENTRY_INVALID_HOST_STATE_FIELD, why);
    }
    for (const check of GUEST_CHECKS) {
      const why = check(v);
      if (why !== null) {
        // 26.7: a VM-entry failure after the checks on the host state: a VM exit, with the
        // host state loaded and nothing of the guest's.
        this.lastCheck = why;
        this.recordExit({ reason: (EXIT_INVALID_GUEST_STATE | EXIT_REASON_ENTRY_FAILURE) >>> 0 });
        v.set(F.VM_ENTRY_INTR_INFO, v.get(F.VM_ENTRY_INTR_INFO) & ~INTR_INFO_VALID >>> 0); // 26.7 bullet: valid bit cleared
        this.lastExit = EXIT_INVALID_GUEST_STATE;
        this.loadHostState();
        this.goRoot();
        return { ok: false, exitReason: EXIT_INVALID_GUEST_STATE, check: why };
      }
    }
    this.loadGuestState();
    v.launched = true;
    this.goNonRoot();
    const info = v.get(F.VM_ENTRY_INTR_INFO) | 0;
    v.set(F.VM_ENTRY_INTR_INFO, 0); // 24.8.3: the valid bit is cleared on every VM exit; cleared here once consumed
    this.onEntry(launch, (info & INTR_INFO_VALID) !== 0 ? describeInjection(info) : '');
    if ((info & INTR_INFO_VALID) !== 0) this.inject(info);
    return { ok: true };
  }

  private fail(error: number, check: string): EntryResult {
    this.vmcs.set(F.VM_INSTRUCTION_ERROR, error);
    this.lastCheck = check;
    return { ok: false, error, check };
  }

  /** 26.3.2 Loading guest state (also used to execute one guest instruction from root operation). */
  loadGuestState(): void {
    const cpu = this.cpu;
    const v = this.vmcs;
    const observer = cpu.observer;
    cpu.observer = null; // a state load, not guest segment loads
    try {
      cpu.cr0 = v.get(F.GUEST_CR0) | 0;
      cpu.cr3 = v.get(F.GUEST_CR3) | 0;
      cpu.cr4 = v.get(F.GUEST_CR4) | 0;
      cpu.dr[7] = v.get(F.GUEST_DR7) | 0;
      for (let s = 0; s < 6; s++) {
        cpu.setSegCache(s, v.get(F.GUEST_SEG_SELECTOR[s]), v.get(F.GUEST_SEG_BASE[s]) | 0, v.get(F.GUEST_SEG_LIMIT[s]), cpuRights(v.get(F.GUEST_SEG_AR[s])));
      }
      readGuestSystemRegisters(v, cpu);
      cpu.regs[ESP] = v.get(F.GUEST_RSP) | 0;
      cpu.eip = cpu.next = v.get(F.GUEST_RIP) | 0;
      cpu.setFlags(v.get(F.GUEST_RFLAGS) | 0);
      cpu.setCpl((v.get(F.GUEST_SS_AR_BYTES) >>> 5) & 3); // 26.3.2.1: CPL = SS.DPL
      const intr = v.get(F.GUEST_INTERRUPTIBILITY_INFO);
      cpu.irqShadow = (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) !== 0 ? cpu.icount : -1;
      cpu.nmiBlocked = (intr & INTERRUPTIBILITY_NMI) !== 0;
      cpu.halted = v.get(F.GUEST_ACTIVITY_STATE) === ACTIVITY_HLT;
      cpu.flushTlb(true); // no VPID: every VM transition flushes the linear translations (28.3.3.3)
    } finally {
      cpu.observer = observer;
    }
  }

  /** Delivers the injected event through the guest's IDT (26.5.1), as if it had happened now. */
  private inject(info: number): void {
    const cpu = this.cpu;
    const v = this.vmcs;
    const vector = info & 0xff, type = (info >>> 8) & 7;
    const code = (info & INTR_INFO_DELIVER_CODE) !== 0 ? v.get(F.VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
    cpu.halted = false; // 26.6.2: event injection wakes a HLT activity state
    if (type === INTR_TYPE_EXTERNAL || type === INTR_TYPE_NMI) {
      if (type === INTR_TYPE_NMI) cpu.nmiBlocked = true;
      deliverEvent(cpu, vector, -1, EVENT_EXTERNAL, cpu.eip, 'injected');
    } else if (type === INTR_TYPE_SOFTWARE_INTERRUPT || type === INTR_TYPE_PRIV_SOFTWARE_EXCEPTION || type === INTR_TYPE_SOFTWARE_EXCEPTION) {
      const len = v.get(F.VM_ENTRY_INSTRUCTION_LEN);
      deliverEvent(cpu, vector, -1, EVENT_SOFTWARE, (cpu.eip + len) | 0, 'injected');
    } else {
      cpu.excCode = code;
      deliverEvent(cpu, vector, code, EVENT_EXCEPTION, cpu.eip, 'injected');
    }
    cpu.next = cpu.eip;
  }

  // ===========================================================================================
  // VM exit (chapter 27)
  // ===========================================================================================

  /**
   * A VM exit from non-root operation: records the exit information, saves the guest state,
   * loads the host state; the host's software (onExit) runs at the next instruction boundary. For an exit caused by an instruction
   * (fault-like), the saved RIP is the instruction's; for a trap-like exit, the next one.
   */
  vmExit(e: ExitInfo): void {
    const cpu = this.cpu;
    if (cpu.observer !== null) cpu.observer.monitorExit(exitReasonName(e.reason & 0xffff), e.reason & 0xffff, e.qualification ?? 0);
    this.recordExit(e);
    // An exit caused by an instruction is fault-like: the instruction has not retired, though
    // the dispatch loop counts it when its handler returns; the host retires it, or not.
    if ((e.instructionLength ?? 0) > 0 && e.trapLike !== true) cpu.icount--;
    this.saveGuestState();
    this.lastExit = e.reason & 0xffff;
    this.loadHostState();
    this.goRoot();
  }

  /** 27.2 Recording VM-exit information. */
  private recordExit(e: ExitInfo): void {
    const v = this.vmcs;
    v.set(F.VM_EXIT_REASON, e.reason);
    v.set(F.EXIT_QUALIFICATION, e.qualification ?? 0);
    v.set(F.VM_EXIT_INSTRUCTION_LEN, e.instructionLength ?? 0);
    v.set(F.VMX_INSTRUCTION_INFO, e.instructionInfo ?? 0);
    v.set(F.GUEST_LINEAR_ADDRESS, e.guestLinear ?? 0);
    v.set(F.GUEST_PHYSICAL_ADDRESS, e.guestPhysical ?? 0);
    v.set(F.VM_EXIT_INTR_INFO, e.intrInfo ?? 0);
    v.set(F.VM_EXIT_INTR_ERROR_CODE, e.intrErrorCode ?? 0);
    // 27.2.4: IDT-vectoring information: this model takes no exit during event delivery
    // through the IDT except a triple fault and a task switch through a task gate (task-switch.ts).
    v.set(F.IDT_VECTORING_INFO, e.idtVectoringInfo ?? 0);
    v.set(F.IDT_VECTORING_ERROR_CODE, e.idtVectoringErrorCode ?? 0);
  }

  /** 27.3 Saving guest state (the hidden parts of the segment registers included). */
  saveGuestState(): void {
    const cpu = this.cpu;
    const v = this.vmcs;
    v.set(F.GUEST_CR0, cpu.cr0);
    v.set(F.GUEST_CR3, cpu.cr3);
    v.set(F.GUEST_CR4, cpu.cr4);
    v.set(F.GUEST_DR7, cpu.dr[7]);
    for (let s = 0; s < 6; s++) {
      v.set(F.GUEST_SEG_SELECTOR[s], cpu.segSel[s]);
      v.set(F.GUEST_SEG_BASE[s], cpu.segBase[s]);
      v.set(F.GUEST_SEG_LIMIT[s], cpu.segLimit[s]);
      // 27.3.2: a null selector in a data segment register is unusable; CS and SS keep their rights.
      const ar = vmcsRights(cpu.segAR[s]);
      v.set(F.GUEST_SEG_AR[s], s === CS ? ar & 0xffff : ar);
    }
    v.set(F.GUEST_LDTR_SELECTOR, cpu.ldtrSel);
    v.set(F.GUEST_LDTR_BASE, cpu.ldtrBase);
    v.set(F.GUEST_LDTR_LIMIT, cpu.ldtrLimit);
    v.set(F.GUEST_LDTR_AR_BYTES, (cpu.ldtrSel & 0xfffc) === 0 ? 0x10000 : vmcsRights(cpu.ldtrAR | AR_P));
    v.set(F.GUEST_TR_SELECTOR, cpu.trSel);
    v.set(F.GUEST_TR_BASE, cpu.trBase);
    v.set(F.GUEST_TR_LIMIT, cpu.trLimit);
    v.set(F.GUEST_TR_AR_BYTES, vmcsRights(cpu.trAR | AR_P));
    v.set(F.GUEST_GDTR_BASE, cpu.gdtrBase);
    v.set(F.GUEST_GDTR_LIMIT, cpu.gdtrLimit);
    v.set(F.GUEST_IDTR_BASE, cpu.idtrBase);
    v.set(F.GUEST_IDTR_LIMIT, cpu.idtrLimit);
    v.set(F.GUEST_RSP, cpu.regs[ESP]);
    v.set(F.GUEST_RIP, cpu.eip);
    v.set(F.GUEST_RFLAGS, cpu.getFlags());
    v.set(F.GUEST_SYSENTER_CS, cpu.sysenterCs);
    v.set(F.GUEST_SYSENTER_ESP, cpu.sysenterEsp);
    v.set(F.GUEST_SYSENTER_EIP, cpu.sysenterEip);
    // 27.3.4: non-register state.
    let intr = 0;
    if (cpu.icount <= cpu.irqShadow) intr |= (cpu.flagsReg & IF) !== 0 ? INTERRUPTIBILITY_STI : INTERRUPTIBILITY_MOV_SS;
    if (cpu.nmiBlocked) intr |= INTERRUPTIBILITY_NMI;
    v.set(F.GUEST_INTERRUPTIBILITY_INFO, intr);
    v.set(F.GUEST_ACTIVITY_STATE, cpu.halted ? ACTIVITY_HLT : ACTIVITY_ACTIVE);
    v.set(F.GUEST_PENDING_DBG_EXCEPTIONS, 0);
  }

  /**
   * 27.5 Loading host state: control registers, RSP, RIP, RFLAGS = 2, flat segments from the
   * host selectors (base 0 except FS, GS, TR; limit 4 GiB; 27.5.2), GDTR/IDTR limits FFFFH, the
   * SYSENTER MSRs, and no interrupt shadow. The host runs at CPL 0.
   */
  loadHostState(): void {
    const cpu = this.cpu;
    const v = this.vmcs;
    const observer = cpu.observer;
    cpu.observer = null;
    try {
      cpu.cr0 = v.get(F.HOST_CR0) | 0;
      cpu.cr3 = v.get(F.HOST_CR3) | 0;
      cpu.cr4 = v.get(F.HOST_CR4) | 0;
      cpu.dr[7] = 0x400; // 27.5.1: DR7 = 400H
      for (let s = 0; s < 6; s++) {
        const sel = v.get(F.HOST_SEG_SELECTOR[s]);
        const base = s === 4 ? v.get(F.HOST_FS_BASE) | 0 : s === 5 ? v.get(F.HOST_GS_BASE) | 0 : 0;
        if (s === CS) cpu.setSegCache(s, sel, 0, 0xffffffff, 0x00cf9b00); // 27.5.2: type 11, S, P, D/B, G
        else if (sel === 0 && s !== 2) cpu.setSegCache(s, 0, base, 0, 0); // unusable
        else cpu.setSegCache(s, sel, base, 0xffffffff, 0x00cf9300); // type 3, S, P, D/B, G
      }
      cpu.trSel = v.get(F.HOST_TR_SELECTOR);
      cpu.trBase = v.get(F.HOST_TR_BASE) | 0;
      cpu.trLimit = 0x67;
      cpu.trAR = 0x8b00;
      cpu.ldtrSel = 0; // 27.5.2: LDTR unusable
      cpu.ldtrBase = cpu.ldtrLimit = cpu.ldtrAR = 0;
      cpu.gdtrBase = v.get(F.HOST_GDTR_BASE) | 0;
      cpu.gdtrLimit = 0xffff;
      cpu.idtrBase = v.get(F.HOST_IDTR_BASE) | 0;
      cpu.idtrLimit = 0xffff;
      cpu.sysenterCs = v.get(F.HOST_IA32_SYSENTER_CS);
      cpu.sysenterEsp = v.get(F.HOST_IA32_SYSENTER_ESP) | 0;
      cpu.sysenterEip = v.get(F.HOST_IA32_SYSENTER_EIP) | 0;
      cpu.regs[ESP] = v.get(F.HOST_RSP) | 0;
      cpu.eip = cpu.next = v.get(F.HOST_RIP) | 0;
      cpu.setFlags(0x2);
      cpu.setCpl(0);
      cpu.irqShadow = -1;
      cpu.halted = false;
      cpu.flushTlb(true);
    } finally {
      cpu.observer = observer;
    }
  }
}

/** "vector 32 external interrupt" and the like, for monitor_entry events. */
export function describeInjection(info: number): string {
  const vector = info & 0xff, type = (info >>> 8) & 7;
  return `injected vector ${vector} (${INTR_TYPE_NAMES[type]})`;
}
