/**
 * The built-in VMM of mode `vtx`: host software, written in TypeScript, that the VMX core runs
 * in root operation after every VM exit (vmx.ts `onExit`, the model's host RIP). It sets up a
 * VMCS for the guest image as the Multiboot loader left it, launches it, and on each exit reads
 * the basic exit reason and qualification from the VMCS, does what the exit asks, and resumes:
 *
 * - CPUID: the processor's leaves, executed for the guest; HLT: the guest's activity state
 *   becomes HLT; I/O: the port access on the machine's devices, from the exit qualification
 *   (string I/O is executed on the guest's state); RDMSR/WRMSR of MSRs outside the MSR bitmap
 *   (every MSR but the SYSENTER ones) and control-register accesses it asked for: executed on
 *   the guest's state with no intercept active; APIC accesses: executed on the guest's state
 *   against the local APIC, TPR and PPR reads answered from VTPR; EPT violations: the access
 *   executed on the guest's state, where it reaches no RAM.
 * - Task switches (exit reason 9): performed on the guest's state (task-switch.ts).
 * - External interrupts exit (not acknowledged on exit). At the VM entry that follows, the VMM
 *   acknowledges the interrupt and injects it when the guest can take it (RFLAGS.IF = 1, no
 *   interrupt shadow, above VTPR's priority class). Blocked by IF or a shadow, it leaves the
 *   interrupt pending in the APIC and turns external-interrupt exiting off and interrupt-window
 *   exiting on; blocked by VTPR, it acknowledges and holds the vector and sets the TPR threshold
 *   to its priority class, so that only a TPR write that drops below it exits (TPR below
 *   threshold), and the held vector is injected then.
 *
 * Generations: 2 (default) uses EPT, the TPR shadow and APIC-access virtualization; 1 models
 * the first VT-x processors: no EPT and no TPR shadow, so every TPR access is an APIC-access exit.
 * (Shadow page tables with CR3-load and #PF exiting are the other half of generation 1; see
 * the README for what this model runs instead.)
 */
import type { Cpu } from '../../cpu/cpu';
import { cpuidLeaf } from '../../cpu/ops/model';
import { EAX, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, IF } from '../../cpu/constants';
import { hasErrorCode } from '../../cpu/fault';
import { sealState, openState } from '../../state/codec';
import type { Monitor, MonitorHost } from '../monitor';
import { RegisterFile, SEGS } from '../sw/virtual-cpu';
import { Vmcs } from './vmcs';
import { Vmx, cpuRights, readGuestSystemRegisters } from './vmx';
import * as F from './encodings';
import * as X from './exit-reasons';
import * as C from './controls';
import * as Q from './qualifications';
import { LINK_POINTER_NONE } from './entry-checks';
import { performGuestTaskSwitch } from './task-switch';
import { installApicAccessPage, APIC_TPR, type ApicAccessPage, type ApicVirtualization } from './apic-access';

/** Host memory above the guest's RAM: the VMCS region and the VMM's pages. */
export const VMX_HOST_SIZE = 0x10000;
const OFF_VMCS = 0x0000;
const OFF_HOST_PD = 0x1000;
const OFF_MSR_BITMAP = 0x2000;
const OFF_IO_BITMAP_A = 0x3000;
const OFF_IO_BITMAP_B = 0x4000;
const OFF_VIRTUAL_APIC = 0x5000;
const OFF_HOST_STACK_TOP = 0x7000;
const OFF_HOST_GDT = 0x7000;
const OFF_HOST_TSS = 0x7100;
const OFF_EPT_PML4 = 0x8000;
const OFF_EPT_PDPT = 0x9000;
const OFF_EPT_PD = 0xa000; // four pages: 4 GiB of 2-MiB entries
const OFF_EPT_PT_APIC = 0xe000; // the 4-KiB page table holding the APIC-access page's mapping
const HOST_CS = 0x08, HOST_SS = 0x10, HOST_TR = 0x18;
const APIC_PPR = 0xa0;
const HOST_RIP_VALUE = 0xffff_f000; // where the host "runs": the VMM is TypeScript, never fetched

export type VtxGeneration = 1 | 2;

export class VtxMonitor implements Monitor {
  private readonly host: MonitorHost;
  private readonly cpu: Cpu;
  readonly generation: VtxGeneration;
  readonly vmx: Vmx;
  private readonly apicPage: ApicAccessPage;
  private readonly guestRam: number; // bytes of guest-physical RAM
  private readonly hostBase: number; // host-physical base of the VMM's memory
  private held: number[] = []; // external-interrupt vectors acknowledged on exit, not yet injected
  readonly counts = new Map<number, number>(); // exits by basic reason
  exits = 0;
  readonly cr3Switches = 0;
  private readonly view = new RegisterFile();
  private readonly apicEmulation: ApicVirtualization;

  constructor(host: MonitorHost, opts: { generation: VtxGeneration; guestRam: number }) {
    this.host = host;
    this.cpu = host.cpu;
    this.generation = opts.generation;
    this.guestRam = opts.guestRam;
    this.hostBase = opts.guestRam;
    this.apicPage = installApicAccessPage(this.cpu);
    this.vmx = new Vmx(this.cpu, new Vmcs(this.hostBase + OFF_VMCS), this.apicPage);
    this.vmx.onExit = () => this.handleExit();
    this.vmx.onEntry = (launch, injected) => {
      if (this.cpu.observer !== null) this.cpu.observer.monitorEntry(`${launch ? 'vmlaunch' : 'vmresume'}${injected ? ': ' + injected : ''}`);
    };
    // While the VMM emulates an APIC access with the TPR shadow on, TPR and PPR are the guest's.
    this.apicEmulation = {
      apicRead: (offset, size) => {
        if (!this.tprShadow() || size !== 4) return null;
        const vtpr = this.vtpr();
        if (offset === APIC_TPR) return vtpr;
        if (offset === APIC_PPR) {
          const isrv = this.apicPpr();
          return vtpr >>> 4 >= isrv >>> 4 ? vtpr : isrv & 0xf0;
        }
        return null;
      },
      apicWrite: (offset, value, size) => {
        if (!this.tprShadow() || offset !== APIC_TPR || size !== 4) return false;
        this.cpu.ram[this.hostBase + OFF_VIRTUAL_APIC + APIC_TPR] = value & 0xff;
        return true;
      },
    };
  }

  private apicPpr(): number {
    // The local APIC's own PPR: its TPR stays 0 under the TPR shadow, so this is ISRV's class.
    return this.apicPage.mmioReadThrough(APIC_PPR) & 0xff;
  }

  private tprShadow(): boolean {
    return this.generation === 2;
  }

  private vtpr(): number {
    return this.cpu.ram[this.hostBase + OFF_VIRTUAL_APIC + APIC_TPR];
  }

  // ===========================================================================================
  // Start: a VMCS for the guest as the loader left it, then VMLAUNCH
  // ===========================================================================================

  boot(): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    const h = this.hostBase;
    cpu.ram.fill(0, h, h + VMX_HOST_SIZE);
    for (let p = h >>> 12; p < (h + VMX_HOST_SIZE) >>> 12; p++) cpu.pageWritten[p] = 1;
    cpu.ram32[(h + OFF_VMCS) >>> 2] = C.VMCS_REVISION_ID; // 24.2: the revision identifier
    // The host's page directory: 4-MiB identity pages over the host's physical memory.
    for (let k = 0; k < 1024; k++) cpu.ram32[(h + OFF_HOST_PD + 4 * k) >>> 2] = (k << 22) | 0x83;
    // The host GDT: flat ring-0 code and data, and a busy 32-bit TSS.
    const gdt = (h + OFF_HOST_GDT) >>> 2;
    cpu.ram32[gdt + 2] = 0x0000ffff; cpu.ram32[gdt + 3] = 0x00cf9b00;
    cpu.ram32[gdt + 4] = 0x0000ffff; cpu.ram32[gdt + 5] = 0x00cf9300;
    const tss = h + OFF_HOST_TSS;
    cpu.ram32[gdt + 6] = ((tss & 0xffff) << 16) | 0x67;
    cpu.ram32[gdt + 7] = (tss & 0xff000000) | ((tss >>> 16) & 0xff) | 0x8b00;
    // MSR bitmap: every MSR exits but the SYSENTER ones (24.6.9); I/O bitmaps: every port exits.
    cpu.ram.fill(0xff, h + OFF_MSR_BITMAP, h + OFF_MSR_BITMAP + 4096);
    for (const msr of [MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP]) {
      for (const base of [0, 2048]) cpu.ram[h + OFF_MSR_BITMAP + base + (msr >>> 3)] &= ~(1 << (msr & 7));
    }
    cpu.ram.fill(0xff, h + OFF_IO_BITMAP_A, h + OFF_IO_BITMAP_B + 4096);
    // EPT: identity 2-MiB pages over the guest's RAM, read/write/execute, write-back (28.2.2).
    const pml4 = h + OFF_EPT_PML4, pdpt = h + OFF_EPT_PDPT;
    cpu.ram32[pml4 >>> 2] = pdpt | 7;
    for (let k = 0; k < 4; k++) cpu.ram32[(pdpt >>> 2) + 2 * k] = (h + OFF_EPT_PD + k * 4096) | 7;
    for (let gpa = 0; gpa < this.guestRam; gpa += 0x200000) {
      cpu.ram32[(h + OFF_EPT_PD + (gpa >>> 21) * 8) >>> 2] = gpa | 0x80 | (6 << 3) | 7;
    }
    // The APIC page: guest-physical FEE00000H maps to the APIC-access page (read/write, UC).
    cpu.ram32[(h + OFF_EPT_PD + (0xfee00000 >>> 21) * 8) >>> 2] = (h + OFF_EPT_PT_APIC) | 7;
    cpu.ram32[(h + OFF_EPT_PT_APIC + ((0xfee00000 >>> 12) & 511) * 8) >>> 2] = 0xfee00000 | 3;

    // Controls.
    const gen2 = this.generation === 2;
    v.set(F.PIN_BASED_VM_EXEC_CONTROL, C.PIN_DEFAULT1 | C.PIN_EXTERNAL_INTERRUPT_EXITING);
    v.set(F.CPU_BASED_VM_EXEC_CONTROL, C.CPU_DEFAULT1 & ~(C.CPU_CR3_LOAD_EXITING | C.CPU_CR3_STORE_EXITING) | C.CPU_HLT_EXITING |
      C.CPU_USE_IO_BITMAPS | C.CPU_USE_MSR_BITMAPS | C.CPU_ACTIVATE_SECONDARY_CONTROLS | (gen2 ? C.CPU_USE_TPR_SHADOW : 0));
    v.set(F.SECONDARY_VM_EXEC_CONTROL, C.SEC_VIRTUALIZE_APIC_ACCESSES | (gen2 ? C.SEC_ENABLE_EPT : 0));
    v.set(F.VM_EXIT_CONTROLS, C.EXIT_DEFAULT1);
    v.set(F.VM_ENTRY_CONTROLS, C.ENTRY_DEFAULT1);
    v.set(F.EXCEPTION_BITMAP, 0);
    v.set(F.IO_BITMAP_A, h + OFF_IO_BITMAP_A);
    v.set(F.IO_BITMAP_B, h + OFF_IO_BITMAP_B);
    v.set(F.MSR_BITMAPS, h + OFF_MSR_BITMAP);
    v.set(F.APIC_ACCESS_ADDR, 0xfee00000);
    if (gen2) {
      v.set(F.VIRTUAL_APIC_PAGE_ADDR, h + OFF_VIRTUAL_APIC);
      v.set(F.TPR_THRESHOLD, 0);
      v.set(F.EPT_POINTER, (h + OFF_EPT_PML4) | (3 << 3) | 6);
    }
    v.set(F.VMCS_LINK_POINTER, LINK_POINTER_NONE);
    // Host state: the VMM's flat ring-0 world in its own memory.
    v.set(F.HOST_CR0, 0x80000033);
    v.set(F.HOST_CR3, h + OFF_HOST_PD);
    v.set(F.HOST_CR4, 0x10); // PSE
    for (let s = 0; s < 6; s++) v.set(F.HOST_SEG_SELECTOR[s], s === 1 ? HOST_CS : HOST_SS);
    v.set(F.HOST_TR_SELECTOR, HOST_TR);
    v.set(F.HOST_TR_BASE, tss);
    v.set(F.HOST_GDTR_BASE, h + OFF_HOST_GDT);
    v.set(F.HOST_IDTR_BASE, 0);
    v.set(F.HOST_RSP, h + OFF_HOST_STACK_TOP);
    v.set(F.HOST_RIP, HOST_RIP_VALUE);
    v.set(F.HOST_IA32_SYSENTER_CS, 0);
    // Guest state: the processor as the Multiboot loader left it.
    this.vmx.saveGuestState();
    // The loader's segment caches may lack the accessed bit, which a processor sets on every
    // segment load and 26.3.1.2 requires: the VMM sets it, as loading them would.
    for (let s = 0; s < 6; s++) {
      const ar = v.get(F.GUEST_SEG_AR[s]);
      if ((ar & 0x10000) === 0 && (ar & 0x10) !== 0) v.set(F.GUEST_SEG_AR[s], ar | 1);
    }
    if ((cpu.trSel & 0xfffc) === 0) {
      // 26.3.1.2 wants a usable, busy TSS in TR even for a guest that never loads one.
      v.set(F.GUEST_TR_AR_BYTES, 0x8b);
      v.set(F.GUEST_TR_LIMIT, 0xffff);
    }
    this.resume(true);
  }

  // ===========================================================================================
  // Exits
  // ===========================================================================================

  private handleExit(): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    cpu.physLimit = cpu.ramSize; // root operation: the host's physical memory
    const reason = v.get(F.VM_EXIT_REASON) & 0xffff;
    this.exits++;
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    // What the VMM does is stamped with the guest instruction at which the exit happened.
    cpu.atPinned = true;
    cpu.atCs = v.get(F.GUEST_CS_SELECTOR);
    cpu.atEip = v.get(F.GUEST_RIP);
    cpu.atCpl = (v.get(F.GUEST_SS_AR_BYTES) >>> 5) & 3;
    try {
      this.dispatch(reason);
    } finally {
      cpu.atPinned = false;
    }
    if (cpu.stopReason !== '') return;
    this.resume(false);
  }

  private dispatch(reason: number): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    const q = v.get(F.EXIT_QUALIFICATION);
    const len = v.get(F.VM_EXIT_INSTRUCTION_LEN);
    switch (reason) {
      case X.EXIT_EXTERNAL_INTERRUPT:
        this.note('external interrupt pending', this.apicPage.pendingVector());
        break;
      case X.EXIT_INTERRUPT_WINDOW:
        this.note('interrupt window open', 0);
        break;
      case X.EXIT_TPR_BELOW_THRESHOLD:
        this.note('vtpr dropped below the tpr threshold', this.vtpr());
        break;
      case X.EXIT_CPUID: {
        const leaf = cpu.regs[EAX];
        cpuidLeaf(cpu, leaf); // the guest's general registers are the processor's
        this.note('cpuid executed for the guest', leaf >>> 0);
        this.advance(len);
        break;
      }
      case X.EXIT_HLT:
        v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_HLT);
        this.note('guest halted (activity state hlt)', 0);
        this.advance(len);
        if (cpu.observer !== null) cpu.observer.halt();
        break;
      case X.EXIT_IO_INSTRUCTION:
        this.io(q, len);
        break;
      case X.EXIT_RDMSR:
      case X.EXIT_WRMSR:
        this.emulate(reason === X.EXIT_RDMSR ? 'rdmsr executed for the guest' : 'wrmsr executed for the guest', cpu.regs[1] >>> 0);
        break;
      case X.EXIT_CR_ACCESS:
        this.emulate('control-register access executed for the guest', q);
        break;
      case X.EXIT_APIC_ACCESS:
        this.emulate('apic access executed against the local apic', q);
        break;
      case X.EXIT_EPT_VIOLATION:
      case X.EXIT_EPT_MISCONFIG:
        this.emulate('access outside guest ram executed (no ram behind it)', v.get(F.GUEST_PHYSICAL_ADDRESS));
        break;
      case X.EXIT_TASK_SWITCH:
        performGuestTaskSwitch(cpu, this.vmx, this.guestRam, (what, value) => this.note(what, value));
        break;
      case X.EXIT_INVALID_GUEST_STATE:
        cpu.shutdown(`vmx: VM entry failed with invalid guest state (${this.vmx.lastCheck})`);
        return;
      default:
        cpu.shutdown(`vmx: unexpected VM exit, reason ${reason} (${X.exitReasonName(reason)})`);
        return;
    }
  }

  /** The guest's RIP past the exiting instruction, which retires (the guest's clock counts it). */
  private advance(len: number): void {
    const v = this.vmx.vmcs;
    v.set(F.GUEST_RIP, (v.get(F.GUEST_RIP) + len) >>> 0);
    // 24.4.2: completing an instruction ends blocking by STI or MOV SS.
    v.set(F.GUEST_INTERRUPTIBILITY_INFO, v.get(F.GUEST_INTERRUPTIBILITY_INFO) & ~3);
    this.cpu.icount++;
  }

  /** IN and OUT from the exit qualification alone; INS and OUTS executed on the guest's state. */
  private io(q: number, len: number): void {
    const cpu = this.cpu;
    const d = Q.decodeIo(q);
    if (d.string) return this.emulate('string i/o executed for the guest', d.port);
    const size = d.size as 1 | 2 | 4;
    if (d.input) {
      const value = this.host.io.portIn(d.port, size);
      if (size === 1) cpu.regs8[0] = value;
      else if (size === 2) cpu.regs16[0] = value;
      else cpu.regs[EAX] = value;
      if (cpu.observer !== null) cpu.observer.io(false, d.port, size, value);
    } else {
      const value = size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[EAX] >>> 0;
      if (cpu.observer !== null) cpu.observer.io(true, d.port, size, value);
      this.host.io.portOut(d.port, value, size);
    }
    this.note(d.input ? 'in executed on the device' : 'out executed on the device', d.port);
    this.advance(len);
  }

  /**
   * Executes the guest's instruction at its RIP on its own register file with no intercept
   * active (APIC accesses reach the local APIC, with TPR and PPR answered from VTPR); a fault
   * it raises is injected into the guest at the VM entry that follows.
   */
  private emulate(what: string, value: number): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    this.vmx.loadGuestState();
    cpu.physLimit = this.guestRam;
    this.apicPage.virtualization = this.apicEmulation;
    const ok = this.host.stepOne();
    this.apicPage.virtualization = null;
    if (!ok) {
      const vector = cpu.excVector;
      const code = hasErrorCode(vector) ? cpu.excCode : -1;
      if (vector === 14) cpu.cr2 = cpu.excAddr; // CR2 is the processor's, not part of the VMCS
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, vector, code >= 0));
      v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, code < 0 ? 0 : code & 0x7fff);
      this.note('the guest instruction faulted: exception injected', vector);
    } else this.note(what, value);
    if (cpu.halted) {
      cpu.halted = false;
    }
    this.vmx.saveGuestState();
    this.vmx.loadHostState();
    cpu.physLimit = cpu.ramSize;
  }

  private note(what: string, value: number): void {
    if (this.cpu.observer !== null) this.cpu.observer.monitorEmulation(what, value);
  }

  // ===========================================================================================
  // Entry: event injection, interrupt window, TPR threshold, VMRESUME
  // ===========================================================================================

  private resume(launch: boolean): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    let pin = v.get(F.PIN_BASED_VM_EXEC_CONTROL) | C.PIN_EXTERNAL_INTERRUPT_EXITING;
    let proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL) & ~C.CPU_INTERRUPT_WINDOW_EXITING;
    let threshold = 0;
    const interruptible = (v.get(F.GUEST_RFLAGS) & IF) !== 0 && (v.get(F.GUEST_INTERRUPTIBILITY_INFO) & 3) === 0;
    const inject = (vector: number) => {
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_EXTERNAL, vector, false));
      if (v.get(F.GUEST_ACTIVITY_STATE) === C.ACTIVITY_HLT) v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_ACTIVE);
    };
    if ((v.get(F.VM_ENTRY_INTR_INFO) & C.INTR_INFO_VALID) === 0) {
      if (this.held.length > 0) {
        // A vector acknowledged while VTPR blocked it: injected once VTPR and IF allow.
        const vector = this.held[0];
        if (this.tprShadow() && vector >>> 4 <= this.vtpr() >>> 4) threshold = vector >>> 4;
        else if (interruptible) inject(this.held.shift()!);
        else proc |= C.CPU_INTERRUPT_WINDOW_EXITING;
      } else {
        const vector = this.apicPage.pendingVector();
        if (vector >= 0) {
          if (this.tprShadow() && vector >>> 4 <= this.vtpr() >>> 4) {
            // Blocked by the guest's (virtual) TPR: the VMM takes it from the APIC and holds it;
            // a TPR write below the threshold will exit.
            this.held.push(this.apicPage.acknowledge());
            this.held.sort((a, b) => b - a);
            threshold = vector >>> 4;
          } else if (interruptible) inject(this.apicPage.acknowledge());
          else {
            // Blocked by IF or a shadow: the interrupt stays pending in the APIC (the guest sees
            // it in IRR, as natively) until the interrupt window opens.
            pin &= ~C.PIN_EXTERNAL_INTERRUPT_EXITING;
            proc |= C.CPU_INTERRUPT_WINDOW_EXITING;
          }
        }
      }
    }
    v.set(F.PIN_BASED_VM_EXEC_CONTROL, pin);
    v.set(F.CPU_BASED_VM_EXEC_CONTROL, proc);
    if (this.tprShadow()) v.set(F.TPR_THRESHOLD, threshold);
    const r = this.vmx.vmEntry(launch);
    if (r.ok) {
      // The injected event met a task gate: a VM exit during the entry (task switch); the VMM handles it now.
      if (!this.vmx.nonRoot) return this.handleExit();
      cpu.physLimit = this.guestRam; // the guest's physical address space: its RAM (EPT maps nothing else)
      return;
    }
    if ('error' in r) cpu.shutdown(`vmx: ${launch ? 'VMLAUNCH' : 'VMRESUME'} failed, VM-instruction error ${r.error} (${X.VM_INSTRUCTION_ERROR_NAMES[r.error] ?? ''}): ${r.check}`);
    else cpu.shutdown(`vmx: VM entry failed with exit reason 33 (${X.exitReasonName(33)}): ${r.check}`);
  }

  // ===========================================================================================
  // Monitor
  // ===========================================================================================

  interventions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [reason, n] of [...this.counts].sort((a, b) => a[0] - b[0])) out[X.exitReasonName(reason)] = n;
    return out;
  }

  get virtualIf(): boolean {
    return ((this.vmx.nonRoot ? this.cpu.getFlags() : this.vmx.vmcs.get(F.GUEST_RFLAGS)) & IF) !== 0;
  }

  /** The guest's CPU from the VMCS guest-state area (as of the last VM exit). */
  get virtualCpu(): Readonly<RegisterFile> {
    const f = this.view;
    const v = this.vmx.vmcs;
    f.cpl = (v.get(F.GUEST_SS_AR_BYTES) >>> 5) & 3;
    f.eip = v.get(F.GUEST_RIP) | 0;
    f.esp = v.get(F.GUEST_RSP) | 0;
    f.flags = v.get(F.GUEST_RFLAGS) | 0;
    f.cr0 = v.get(F.GUEST_CR0) | 0;
    f.cr2 = this.cpu.cr2;
    f.cr3 = v.get(F.GUEST_CR3) | 0;
    f.cr4 = v.get(F.GUEST_CR4) | 0;
    readGuestSystemRegisters(v, f);
    f.physLimit = this.guestRam;
    for (const s of SEGS) {
      f.segSel[s] = v.get(F.GUEST_SEG_SELECTOR[s]);
      f.segBase[s] = v.get(F.GUEST_SEG_BASE[s]) | 0;
      f.segLimit[s] = v.get(F.GUEST_SEG_LIMIT[s]);
      f.segAR[s] = cpuRights(v.get(F.GUEST_SEG_AR[s]));
    }
    return f;
  }

  guestView(out: RegisterFile): boolean {
    if (this.vmx.nonRoot) {
      out.capture(this.cpu);
      out.physLimit = this.guestRam;
      return true;
    }
    out.copyFrom(this.virtualCpu);
    return false;
  }

  describe(): string[] {
    const v = this.vmx.vmcs;
    const last = this.vmx.lastExit;
    const lines = [
      `vmx ${this.vmx.nonRoot ? 'non-root operation (the guest runs)' : 'root operation (the VMM runs)'}, generation ${this.generation}; VMCS at ${hex(this.vmx.vmcs.address)}`,
    ];
    if (last >= 0) {
      lines.push(`  last exit: reason ${last} (${X.exitReasonName(last)}) qualification=${hex(v.get(F.EXIT_QUALIFICATION))} length=${v.get(F.VM_EXIT_INSTRUCTION_LEN)} info=${hex(v.get(F.VMX_INSTRUCTION_INFO))} linear=${hex(v.get(F.GUEST_LINEAR_ADDRESS))} physical=${hex(v.get(F.GUEST_PHYSICAL_ADDRESS))}`);
    }
    lines.push(`  guest-state area: rip=${hex(v.get(F.GUEST_RIP))} rsp=${hex(v.get(F.GUEST_RSP))} rflags=${hex(v.get(F.GUEST_RFLAGS))} cr0=${hex(v.get(F.GUEST_CR0))} cr3=${hex(v.get(F.GUEST_CR3))} cr4=${hex(v.get(F.GUEST_CR4))}`);
    const names = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
    for (let s = 0; s < 6; s++) {
      lines.push(`    ${names[s]} sel=${hex(v.get(F.GUEST_SEG_SELECTOR[s]), 4)} base=${hex(v.get(F.GUEST_SEG_BASE[s]))} limit=${hex(v.get(F.GUEST_SEG_LIMIT[s]))} ar=${hex(v.get(F.GUEST_SEG_AR[s]), 5)}`);
    }
    lines.push(`    interruptibility=${v.get(F.GUEST_INTERRUPTIBILITY_INFO)} activity=${C.ACTIVITY_NAMES[v.get(F.GUEST_ACTIVITY_STATE)] ?? v.get(F.GUEST_ACTIVITY_STATE)} tpr-threshold=${v.get(F.TPR_THRESHOLD)}${this.tprShadow() ? ` vtpr=${hex(this.vtpr(), 2)}` : ''} held vectors=[${this.held.join(', ')}]`);
    const kinds = Object.entries(this.interventions()).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`  ${this.exits} VM exits${kinds ? ': ' + kinds : ''}`);
    return lines;
  }

  // ===========================================================================================
  // State (snapshots): the VMCS (guest state included), its launch state, the VMM's own state
  // ===========================================================================================

  saveState(): Uint8Array {
    return sealState(STATE_TAG, STATE_VERSION, (w) => {
      const fields = this.vmx.vmcs.nonZero();
      w.u32(fields.length);
      for (const [enc, value] of fields) {
        w.u32(enc);
        w.f64(value);
      }
      w.bool(this.vmx.vmcs.launched);
      w.bool(this.vmx.nonRoot);
      w.u32(this.vmx.exec.trapPending);
      w.f64(this.vmx.lastExit);
      w.u32(this.held.length);
      w.u32s(this.held);
      w.f64(this.exits);
      w.u32(this.counts.size);
      for (const [reason, n] of this.counts) {
        w.u32(reason);
        w.f64(n);
      }
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState(STATE_TAG, STATE_VERSION, bytes, 'vmx state');
    const n = r.u32();
    const fields: [number, number][] = [];
    for (let k = 0; k < n; k++) fields.push([r.u32(), r.f64()]);
    const launched = r.bool();
    const nonRoot = r.bool();
    const trapPending = r.u32();
    const lastExit = r.f64();
    const held = Array.from(r.u32s(r.u32(), 'held vectors'));
    const exits = r.f64();
    const m = r.u32();
    const counts: [number, number][] = [];
    for (let k = 0; k < m; k++) counts.push([r.u32(), r.f64()]);
    r.end();
    const vmcs = this.vmx.vmcs;
    vmcs.clearFields();
    for (const [enc, value] of fields) {
      try {
        vmcs.set(enc, value);
      } catch {
        r.fail(`vmx state: unknown VMCS field ${enc.toString(16)}`);
      }
    }
    vmcs.launched = launched;
    this.vmx.restoreOperation(nonRoot, trapPending);
    this.vmx.lastExit = lastExit;
    this.held = held;
    this.exits = exits;
    this.counts.clear();
    for (const [reason, c] of counts) this.counts.set(reason, c);
    this.cpu.physLimit = nonRoot ? this.guestRam : this.cpu.ramSize;
  }
}

function hex(v: number, digits = 8): string {
  return (v >>> 0).toString(16).padStart(digits, '0');
}

const STATE_TAG = 'RVMX';
const STATE_VERSION = 1;
