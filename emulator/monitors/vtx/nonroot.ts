/**
 * VMX non-root operation (SDM vol. 3C chapter 25): what the processor does differently while a
 * guest runs under the current VMCS. The guest runs at its own privilege levels, with its own
 * descriptor tables and its whole linear address space; the VM-execution controls, latched at
 * VM entry, decide which of its instructions and events cause VM exits (25.1.2, 25.1.3, 25.2):
 *
 * - unconditionally: CPUID (and the VMX instructions, which this model's guests cannot execute);
 * - by primary control: HLT, INVLPG, RDPMC, RDTSC, MOV to/from CR3 (with the CR3-target list),
 *   MOV DR, I/O (unconditional or by the I/O bitmaps), RDMSR/WRMSR (the MSR bitmaps),
 *   interrupt-window exiting; by secondary control: descriptor-table exiting (LGDT, LIDT, LLDT,
 *   LTR, SGDT, SIDT, SLDT, STR), APIC accesses;
 * - MOV to CR0/CR4 exits when it would change a bit the guest/host mask owns to a value other
 *   than the read shadow's; MOV from CR0/CR4 reads the read shadow for owned bits (25.3);
 * - exceptions by the exception bitmap (#PF filtered by the error-code mask and match, 25.2);
 * - external interrupts by the pin-based control, acknowledged on exit when the VM-exit control
 *   says so (27.2.2);
 * - task switches, unconditionally (25.4.2; task-switch.ts).
 *
 * The controls are latched at VM entry into plain fields, so a check costs a load and a mask:
 * and natively (no VMX) the CPU's intercept points cost one null test each (monitor-hooks.ts).
 */
import { readTsc } from '../../cpu/ops/model';
import type { Cpu } from '../../cpu/cpu';
import type { Insn } from '../../cpu/insn';
import type { MonitorHooks, SensitiveOp } from '../../cpu/monitor-hooks';
import { GP_VECTOR, PF_VECTOR, DF_VECTOR, EDX, ECX, EAX, IF } from '../../cpu/constants';
import { hasErrorCode } from '../../cpu/fault';
import { EVENT_SOFTWARE, EVENT_EXTERNAL, becomesDoubleFault } from '../../cpu/interrupts';
import { ea } from '../../cpu/ops/operands';
import { writeControlRegister } from '../../cpu/ops/system';
import type { Vmx, ExitInfo } from './vmx';
import * as F from './encodings';
import * as X from './exit-reasons';
import * as C from './controls';
import * as Q from './qualifications';
import { APIC_TPR, type ApicVirtualization } from './apic-access';
import { Ept } from './ept';
import { taskSwitchExit } from './task-switch';

export class NonRoot implements MonitorHooks, ApicVirtualization {
  private readonly cpu: Cpu;
  private readonly vmx: Vmx;
  // Controls latched at VM entry.
  pin = 0;
  proc = 0;
  sec = 0;
  exitControls = 0;
  exceptionBitmap = 0;
  pfMask = 0;
  pfMatch = 0;
  cr0Mask = 0;
  cr4Mask = 0;
  cr0Shadow = 0;
  cr4Shadow = 0;
  private readonly cr3Targets: number[] = [];
  ioBitmapA = 0;
  ioBitmapB = 0;
  msrBitmap = 0;
  virtualApic = 0; // physical address of the virtual-APIC page
  tprThreshold = 0;
  tscOffset = 0;
  /** EPT, live in non-root operation with "enable EPT". */
  readonly ept: Ept;
  /** A fault-like exit raised inside a memory access, taken when the access's FAULT unwinds. */
  private pending: ExitInfo | null = null;
  /** A trap-like exit to take at the next instruction boundary (TPR below threshold). */
  trapPending = 0;
  reportVirtualTpr = false; // a VTPR write goes to the observer as the guest's TPR write (machine revision 4; VtxMonitor sets it)
  /** The monitor trap flag: where non-root operation started (an MTF exit comes once the guest moved on). */
  private mtfIcount = 0;
  private mtfEip = 0;

  constructor(cpu: Cpu, vmx: Vmx) {
    this.cpu = cpu;
    this.vmx = vmx;
    this.ept = new Ept(cpu, (e) => this.raiseExit(e));
  }

  /** A fault-like exit in the middle of an instruction: the access unwinds as a fault, whose delivery becomes the exit. */
  private raiseExit(e: ExitInfo): never {
    this.pending = e;
    return this.cpu.raise(GP_VECTOR, 0);
  }

  /** Latches the VM-execution controls of the current VMCS (at VM entry). */
  latch(): void {
    const v = this.vmx.vmcs;
    this.pin = v.get(F.PIN_BASED_VM_EXEC_CONTROL) | 0;
    this.proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL) | 0;
    this.sec = (this.proc & C.CPU_ACTIVATE_SECONDARY_CONTROLS) !== 0 ? v.get(F.SECONDARY_VM_EXEC_CONTROL) | 0 : 0;
    this.exitControls = v.get(F.VM_EXIT_CONTROLS) | 0;
    this.exceptionBitmap = v.get(F.EXCEPTION_BITMAP) | 0;
    this.pfMask = v.get(F.PAGE_FAULT_ERROR_CODE_MASK) | 0;
    this.pfMatch = v.get(F.PAGE_FAULT_ERROR_CODE_MATCH) | 0;
    this.cr0Mask = v.get(F.CR0_GUEST_HOST_MASK) | 0;
    this.cr4Mask = v.get(F.CR4_GUEST_HOST_MASK) | 0;
    this.cr0Shadow = v.get(F.CR0_READ_SHADOW) | 0;
    this.cr4Shadow = v.get(F.CR4_READ_SHADOW) | 0;
    this.cr3Targets.length = 0;
    const targets = [F.CR3_TARGET_VALUE0, F.CR3_TARGET_VALUE1, F.CR3_TARGET_VALUE2, F.CR3_TARGET_VALUE3];
    for (let k = 0; k < v.get(F.CR3_TARGET_COUNT); k++) this.cr3Targets.push(v.get(targets[k]) | 0);
    this.ioBitmapA = v.get(F.IO_BITMAP_A);
    this.ioBitmapB = v.get(F.IO_BITMAP_B);
    this.msrBitmap = v.get(F.MSR_BITMAPS);
    this.virtualApic = v.get(F.VIRTUAL_APIC_PAGE_ADDR);
    this.tprThreshold = v.get(F.TPR_THRESHOLD);
    this.tscOffset = (this.proc & C.CPU_USE_TSC_OFFSETTING) !== 0 ? v.get(F.TSC_OFFSET) : 0;
    this.pending = null;
    this.trapPending = 0;
    this.cpu.monitorTrap = (this.proc & C.CPU_MONITOR_TRAP_FLAG) !== 0;
    this.mtfIcount = this.cpu.icount;
    this.mtfEip = this.cpu.eip; // armMonitorTrap says more at a VM entry
    this.ept.root = Math.floor(v.get(F.EPT_POINTER) / 4096) * 4096;
    this.cpu.ept = (this.sec & C.SEC_ENABLE_EPT) !== 0 ? this.ept : null;
  }

  private exit(e: ExitInfo): true {
    this.vmx.vmExit(e);
    return true;
  }

  // ===========================================================================================
  // Instructions (25.1.2, 25.1.3)
  // ===========================================================================================

  instruction(op: SensitiveOp, i: Insn): boolean {
    const cpu = this.cpu;
    const len = i.len;
    switch (op) {
      case 'cpuid':
        return this.exit({ reason: X.EXIT_CPUID, instructionLength: len });
      case 'hlt':
        return (this.proc & C.CPU_HLT_EXITING) !== 0 && this.exit({ reason: X.EXIT_HLT, instructionLength: len });
      case 'rdtsc':
        if ((this.proc & C.CPU_RDTSC_EXITING) !== 0) return this.exit({ reason: X.EXIT_RDTSC, instructionLength: len });
        if (this.tscOffset === 0) return false;
        {
          const t = readTsc(cpu) + this.tscOffset; // 25.3: RDTSC adds the TSC offset
          cpu.regs[EAX] = t % 4294967296;
          cpu.regs[EDX] = Math.floor(t / 4294967296);
        }
        return true;
      case 'rdpmc':
        return (this.proc & C.CPU_RDPMC_EXITING) !== 0 && this.exit({ reason: X.EXIT_RDPMC, instructionLength: len });
      case 'mov-dr': {
        if ((this.proc & C.CPU_MOV_DR_EXITING) === 0) return false;
        const fromDr = i.form !== null && i.form.operands === 'Rd,Dd'; // MOV r32, DRn
        return this.exit({ reason: X.EXIT_MOV_DR, qualification: Q.movDrQualification(i.reg, fromDr, i.rm), instructionLength: len });
      }
      case 'invlpg': {
        if ((this.proc & C.CPU_INVLPG_EXITING) === 0) return false;
        const lin = (cpu.segBase[i.seg] + ea(cpu, i)) >>> 0;
        return this.exit({ reason: X.EXIT_INVLPG, qualification: lin, instructionLength: len });
      }
      case 'rdmsr':
      case 'wrmsr':
        if (!this.msrExits(op === 'wrmsr', cpu.regs[ECX] >>> 0)) return false;
        return this.exit({ reason: op === 'rdmsr' ? X.EXIT_RDMSR : X.EXIT_WRMSR, instructionLength: len });
      case 'mov-cr':
        return this.movCr(i);
      case 'io':
        return this.io(i);
      case 'lgdt': case 'lidt': case 'sgdt': case 'sidt': {
        if ((this.sec & C.SEC_DESCRIPTOR_TABLE_EXITING) === 0) return false;
        const identity = op === 'sgdt' ? Q.DT_SGDT : op === 'sidt' ? Q.DT_SIDT : op === 'lgdt' ? Q.DT_LGDT : Q.DT_LIDT;
        const lin = (cpu.segBase[i.seg] + ea(cpu, i)) >>> 0;
        const info = Q.descriptorTableInfo({ scale: i.scale, as32: i.as32, os32: i.os32, seg: i.seg, index: i.index, base: i.base, identity });
        return this.exit({ reason: X.EXIT_GDTR_IDTR_ACCESS, qualification: i.disp >>> 0, instructionLength: len, instructionInfo: info, guestLinear: lin });
      }
      case 'lldt': case 'ltr': case 'sldt': case 'str': {
        if ((this.sec & C.SEC_DESCRIPTOR_TABLE_EXITING) === 0) return false;
        const identity = op === 'sldt' ? Q.DT_SLDT : op === 'str' ? Q.DT_STR : op === 'lldt' ? Q.DT_LLDT : Q.DT_LTR;
        const lin = i.isMem ? (cpu.segBase[i.seg] + ea(cpu, i)) >>> 0 : 0;
        const info = Q.descriptorTableInfo({ scale: i.scale, as32: i.as32, os32: i.os32, seg: i.seg, index: i.isMem ? i.index : -1, base: i.isMem ? i.base : -1, identity, register: i.isMem ? undefined : i.rm });
        return this.exit({ reason: X.EXIT_LDTR_TR_ACCESS, qualification: i.isMem ? i.disp >>> 0 : 0, instructionLength: len, instructionInfo: info, guestLinear: lin });
      }
    }
    return false;
  }

  /** RDMSR/WRMSR exit unless the MSR bitmaps say otherwise (25.1.3; the bitmap layout of 24.6.9). */
  private msrExits(write: boolean, msr: number): boolean {
    if ((this.proc & C.CPU_USE_MSR_BITMAPS) === 0) return true;
    let base: number;
    if (msr <= 0x1fff) base = write ? 2048 : 0;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff) base = write ? 3072 : 1024;
    else return true;
    const bit = msr & 0x1fff;
    return ((this.cpu.ram[this.msrBitmap + base + (bit >>> 3)] >>> (bit & 7)) & 1) !== 0;
  }

  /** MOV to/from CR0, CR3, CR4 (25.1.3 and 25.3). */
  private movCr(i: Insn): boolean {
    const cpu = this.cpu;
    const toCr = i.form !== null && i.form.operands.startsWith('Cd'); // MOV CRn, r32
    const cr = i.reg, gpr = i.rm, len = i.len;
    const exitWith = (type: number) => this.exit({ reason: X.EXIT_CR_ACCESS, qualification: Q.crAccessQualification(cr, type, gpr), instructionLength: len });
    if (cr === 3) {
      if (toCr) {
        if ((this.proc & C.CPU_CR3_LOAD_EXITING) === 0 || this.cr3Targets.includes(cpu.regs[gpr])) return false;
        return exitWith(Q.CR_ACCESS_MOV_TO_CR);
      }
      return (this.proc & C.CPU_CR3_STORE_EXITING) !== 0 && exitWith(Q.CR_ACCESS_MOV_FROM_CR);
    }
    if (cr !== 0 && cr !== 4) return false;
    const mask = cr === 0 ? this.cr0Mask : this.cr4Mask;
    if (mask === 0) return false;
    const shadow = cr === 0 ? this.cr0Shadow : this.cr4Shadow;
    if (!toCr) {
      const v = ((cr === 0 ? cpu.cr0 : cpu.cr4) & ~mask) | (shadow & mask);
      cpu.regs[gpr] = v;
      if (cpu.observer !== null) cpu.observer.controlRegister(false, cr, v);
      return true;
    }
    const value = cpu.regs[gpr];
    if (((value ^ shadow) & mask) !== 0) return exitWith(Q.CR_ACCESS_MOV_TO_CR);
    // The owned bits keep the processor's values (25.3).
    writeControlRegister(cpu, cr, (value & ~mask) | ((cr === 0 ? cpu.cr0 : cpu.cr4) & mask));
    return true;
  }

  /** 25.3: SMSW (like MOV from CR0) reads the CR0 read shadow for the bits the guest/host mask owns. */
  readCr0(): number {
    return (this.cpu.cr0 & ~this.cr0Mask) | (this.cr0Shadow & this.cr0Mask);
  }

  /** IN, OUT, INS, OUTS (25.1.3): unconditional I/O exiting, or the I/O bitmaps A and B. */
  private io(i: Insn): boolean {
    const cpu = this.cpu;
    // The form's row says it: the port is an immediate byte, INS/OUTS repeat, IN/INS read.
    const f = i.form;
    const immediate = f !== null && f.imm === 'Ib';
    const string = f !== null && f.repeats;
    const input = f !== null && f.mnemonic.startsWith('in');
    const port = immediate ? i.imm & 0xff : cpu.regs16[EDX << 1];
    const size = string ? (i.arg !== 0 ? i.arg : i.os32 ? 4 : 2) : i.arg === 1 ? 1 : i.os32 ? 4 : 2;
    if ((this.proc & C.CPU_USE_IO_BITMAPS) !== 0) {
      let exits = false;
      for (let p = port; p < port + size; p++) {
        const q = p & 0xffff;
        if (p > 0xffff) exits = true; // wraps around: exits (25.1.3)
        const bitmap = q < 0x8000 ? this.ioBitmapA : this.ioBitmapB;
        const bit = q & 0x7fff;
        if (((cpu.ram[bitmap + (bit >>> 3)] >>> (bit & 7)) & 1) !== 0) exits = true;
      }
      if (!exits) return false;
    } else if ((this.proc & C.CPU_UNCONDITIONAL_IO_EXITING) === 0) return false;
    const qualification = Q.ioQualification(size, input, string, string && i.rep !== 0, immediate, port);
    if (!string) return this.exit({ reason: X.EXIT_IO_INSTRUCTION, qualification, instructionLength: i.len });
    const seg = input ? 0 /* ES */ : i.segPrefix >= 0 ? i.segPrefix : 3;
    const offset = input ? cpu.regs[7] : cpu.regs[6];
    const lin = (cpu.segBase[seg] + (i.as32 ? offset : offset & 0xffff)) >>> 0;
    return this.exit({ reason: X.EXIT_IO_INSTRUCTION, qualification, instructionLength: i.len, instructionInfo: Q.stringIoInfo(i.as32, seg), guestLinear: lin });
  }

  // ===========================================================================================
  // Events (25.2)
  // ===========================================================================================

  exception(vector: number, errorCode: number): boolean {
    return this.exceptionExit(vector, errorCode, 0, 0);
  }

  /**
   * 25.2: an exception exits by the exception bitmap (#PF: the error-code mask and match), or
   * because the access that raised it had a VM exit pending (EPT violation, APIC access).
   * `vectoring`: the IDT-vectoring information of an event being delivered (0: none).
   */
  private exceptionExit(vector: number, errorCode: number, vectoring: number, vectoringError: number): boolean {
    const p = this.pending;
    if (p !== null) {
      this.pending = null;
      if (vectoring !== 0) {
        p.idtVectoringInfo = vectoring;
        p.idtVectoringErrorCode = vectoringError;
        p.instructionLength = vectoringLength(vectoring, this.cpu);
      }
      return this.exit(p);
    }
    let exits = ((this.exceptionBitmap >>> vector) & 1) !== 0;
    if (vector === PF_VECTOR) {
      // 25.2: with bit 14 set, a #PF exits when (code AND mask) = match; clear: when it differs.
      const matches = (errorCode & this.pfMask) === this.pfMatch;
      exits = exits ? matches : !matches;
    }
    if (!exits) return false;
    const info = C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, vector, hasErrorCode(vector));
    return this.exit({
      reason: X.EXIT_EXCEPTION_OR_NMI, intrInfo: info, intrErrorCode: errorCode < 0 ? 0 : errorCode,
      qualification: vector === PF_VECTOR ? this.cpu.excAddr >>> 0 : 0, // 27.2.1: the faulting linear address; CR2 is not written
      idtVectoringInfo: vectoring, idtVectoringErrorCode: vectoringError,
      // 27.2.4: for an exit during the delivery of a software interrupt or exception, the instruction's length.
      instructionLength: vectoringLength(vectoring, this.cpu),
    });
  }

  /**
   * A fault raised while an event was being delivered through the guest's IDT (27.2.4): if it
   * exits, the exit's IDT-vectoring information describes the event, which the VMM re-injects.
   */
  deliveryFault(vector: number, errorCode: number, event: number, eventCode: number, eventKind: number): boolean {
    const type = eventKind === EVENT_SOFTWARE ? (event === 3 || event === 4 ? C.INTR_TYPE_SOFTWARE_EXCEPTION : C.INTR_TYPE_SOFTWARE_INTERRUPT)
      : eventKind === EVENT_EXTERNAL ? (event === 2 ? C.INTR_TYPE_NMI : C.INTR_TYPE_EXTERNAL)
        : C.INTR_TYPE_HARDWARE_EXCEPTION;
    const vectoring = C.intrInfo(type, event, eventCode >= 0);
    if (this.exceptionExit(vector, errorCode, vectoring, eventCode < 0 ? 0 : eventCode)) return true;
    // The two make a double fault: the #DF exits if its bitmap bit says so (25.2), with the
    // first event as the IDT-vectoring information. A fault delivering a #DF is a triple fault.
    if (event !== DF_VECTOR && becomesDoubleFault(event, eventKind, vector) && ((this.exceptionBitmap >>> DF_VECTOR) & 1) !== 0) {
      return this.exit({
        reason: X.EXIT_EXCEPTION_OR_NMI, intrInfo: C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, DF_VECTOR, true), intrErrorCode: 0,
        idtVectoringInfo: vectoring, idtVectoringErrorCode: eventCode < 0 ? 0 : eventCode,
      });
    }
    return false;
  }

  /** 25.2: a triple fault in non-root operation is a VM exit (basic reason 2), not a shutdown. */
  tripleFault(reason: string): boolean {
    this.vmx.lastCheck = reason;
    return this.exit({ reason: X.EXIT_TRIPLE_FAULT });
  }

  /**
   * 25.2: with NMI exiting an NMI causes a VM exit (exit reason 0, interruption type NMI) instead
   * of being delivered; with virtual NMIs, guest NMI blocking is virtual-NMI blocking and does not
   * hold the exit back. Without NMI exiting the NMI goes to the guest as natively.
   */
  nmi(): boolean {
    const cpu = this.cpu;
    if ((this.pin & C.PIN_NMI_EXITING) === 0) return false;
    if ((this.pin & C.PIN_VIRTUAL_NMIS) === 0 && cpu.nmiBlocked) return false;
    cpu.apic.nmiPending = false;
    cpu.halted = false;
    return this.exit({ reason: X.EXIT_EXCEPTION_OR_NMI, intrInfo: C.intrInfo(C.INTR_TYPE_NMI, 2, false) });
  }

  externalInterrupt(interruptible: boolean): boolean {
    const cpu = this.cpu;
    // 25.5.2: the monitor trap flag: a trap-like exit at the boundary after the first instruction
    // of non-root operation (or after the delivery of an event injected or raised there).
    if ((this.proc & C.CPU_MONITOR_TRAP_FLAG) !== 0 && (cpu.icount !== this.mtfIcount || cpu.eip !== this.mtfEip)) {
      return this.exit({ reason: X.EXIT_MONITOR_TRAP_FLAG, trapLike: true });
    }
    // 25.2: NMI-window exiting (with virtual NMIs): an exit at a boundary with no virtual-NMI
    // blocking and no blocking by STI or MOV SS.
    if ((this.proc & C.CPU_NMI_WINDOW_EXITING) !== 0 && !cpu.nmiBlocked && cpu.icount > cpu.irqShadow) {
      cpu.halted = false;
      return this.exit({ reason: X.EXIT_NMI_WINDOW });
    }
    if ((this.pin & C.PIN_EXTERNAL_INTERRUPT_EXITING) !== 0 && cpu.apic.pendingVector() >= 0) {
      // 25.2: RFLAGS.IF does not block external interrupts when they cause VM exits.
      let intrInfo = 0;
      if ((this.exitControls & C.EXIT_ACK_INTERRUPT_ON_EXIT) !== 0) intrInfo = C.intrInfo(C.INTR_TYPE_EXTERNAL, cpu.apic.acknowledge(), false);
      cpu.halted = false;
      return this.exit({ reason: X.EXIT_EXTERNAL_INTERRUPT, intrInfo });
    }
    // 25.2: an interrupt window exists at an instruction boundary with RFLAGS.IF = 1 and no
    // blocking by STI or MOV SS.
    if (interruptible && (this.proc & C.CPU_INTERRUPT_WINDOW_EXITING) !== 0 && (cpu.flagsReg & IF) !== 0) {
      cpu.halted = false;
      return this.exit({ reason: X.EXIT_INTERRUPT_WINDOW });
    }
    return false;
  }

  /**
   * Called at the end of a VM entry: the monitor trap flag arms at the guest's first instruction;
   * after an injected event (`injected`), the exit is due before the handler's first instruction.
   */
  armMonitorTrap(injected: boolean): void {
    this.mtfIcount = this.cpu.icount;
    this.mtfEip = injected ? -1 : this.cpu.eip;
  }

  /** A task switch past its checks: a VM exit with reason 9 instead (25.4.2). */
  taskSwitch(selector: number, source: number, vector: number, kind: number, errorCode: number, retEip: number): boolean {
    return this.exit(taskSwitchExit(this.cpu, selector, source, vector, kind, errorCode, retEip));
  }

  /** Takes the trap-like exit noted at the last instruction (at an instruction boundary). */
  takeTrap(): void {
    const reason = this.trapPending;
    this.trapPending = 0;
    this.vmx.vmExit({ reason, trapLike: true });
  }

  // ===========================================================================================
  // APIC accesses (29.4) and TPR virtualization (29.1.2)
  // ===========================================================================================

  private tprShadow(): boolean {
    return (this.proc & C.CPU_USE_TPR_SHADOW) !== 0;
  }

  apicRead(offset: number, size: number): number | null {
    if ((this.sec & C.SEC_VIRTUALIZE_APIC_ACCESSES) === 0) return null;
    if (this.tprShadow() && offset === APIC_TPR && size === 4) return this.cpu.ram[this.virtualApic + APIC_TPR];
    return this.raiseApicAccess(offset, Q.APIC_ACCESS_LINEAR_READ);
  }

  apicWrite(offset: number, value: number, size: number): boolean {
    if ((this.sec & C.SEC_VIRTUALIZE_APIC_ACCESSES) === 0) return false;
    if (this.tprShadow() && offset === APIC_TPR && size === 4) {
      // 29.4.3.1: the write goes to VTPR (bits 31:8 of the dword cleared); 29.1.2: TPR
      // virtualization then compares VTPR[7:4] with the TPR threshold (trap-like).
      const cpu = this.cpu;
      const at = this.virtualApic + APIC_TPR;
      const old = cpu.ram[at];
      cpu.ram[at] = value & 0xff;
      if (this.reportVirtualTpr && cpu.observer !== null) cpu.observer.virtualTprWrite(old, value & 0xff);
      cpu.ram[at + 1] = cpu.ram[at + 2] = cpu.ram[at + 3] = 0;
      cpu.pageWritten[at >>> 12] = 1;
      if (((value & 0xff) >>> 4) < this.tprThreshold) {
        this.trapPending = X.EXIT_TPR_BELOW_THRESHOLD;
        this.vmx.trapAtBoundary();
      }
      return true;
    }
    return this.raiseApicAccess(offset, Q.APIC_ACCESS_LINEAR_WRITE);
  }

  /** A fault-like APIC-access exit: the access unwinds as a fault, whose delivery becomes the exit. */
  private raiseApicAccess(offset: number, type: number): never {
    // The instruction-length field is not defined for APIC-access exits (27.2.4): the VMM decodes.
    return this.raiseExit({ reason: X.EXIT_APIC_ACCESS, qualification: Q.apicAccessQualification(offset, type) });
  }

  /** VTPR, byte 80H of the virtual-APIC page. */
  readVtpr(): number {
    return this.cpu.ram[this.vmx.vmcs.get(F.VIRTUAL_APIC_PAGE_ADDR) + APIC_TPR];
  }
}

/** The instruction length an exit during the delivery of a software interrupt or exception reports (27.2.4). */
function vectoringLength(vectoring: number, cpu: Cpu): number {
  if (vectoring === 0) return 0;
  const type = (vectoring >>> 8) & 7;
  if (type !== C.INTR_TYPE_SOFTWARE_INTERRUPT && type !== C.INTR_TYPE_SOFTWARE_EXCEPTION && type !== C.INTR_TYPE_PRIV_SOFTWARE_EXCEPTION) return 0;
  return (cpu.next - cpu.eip) >>> 0;
}
