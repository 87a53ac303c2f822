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
 * the first VT-x processors and their VMMs: no TPR shadow, so every TPR access is an APIC-access
 * exit, and no EPT, so the VMM keeps shadow page tables (shadow-tables.ts): the processor runs
 * on the VMM's tables with CR0.PG and CR0.WP always set (the guest reads its own values from the
 * CR0 read shadow), the guest's CR3 loads and reads exit (CR3-load/store exiting), and so do
 * INVLPG and every page fault (exception bitmap bit 14, mask and match 0). A page fault that the
 * guest's own tables do not explain is hidden: the VMM fills the shadow entry and resumes the
 * faulting instruction (re-injecting the event being delivered, if any); one they do explain is
 * reflected into the guest (CR2 written, #PF injected, #DF if it arose while a #PF was being
 * delivered). While the guest has paging off, the shadow identity-maps its physical space.
 */
import type { Cpu } from '../../cpu/cpu';
import { cpuidLeaf } from '../../cpu/ops/model';
import {
  EAX, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, IF, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE, PFEC_W, PFEC_U,
  PF_VECTOR, DF_VECTOR,
} from '../../cpu/constants';
import { FAULT, hasErrorCode } from '../../cpu/fault';
import { GuestWalk } from '../sw/guest-walk';
import { ShadowTables } from './shadow-tables';
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
export const VMX_HOST_SIZE = 0x40000;
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
const OFF_SHADOW_PD = 0xf000; // generation 1: the shadow page directory
const OFF_SHADOW_POOL = 0x10000; // and its page tables
const SHADOW_POOL_PAGES = 48;
/** Generation 1: the CR0 and CR4 bits the VMM owns (the guest reads them from the read shadows). */
const GEN1_CR0_OWNED = CR0_PG | CR0_WP;
const GEN1_CR4_OWNED = CR4_PSE | CR4_PGE;
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
  private nmiQueued = false; // an NMI exited and waits for the guest to be able to take it
  readonly counts = new Map<number, number>(); // exits by basic reason
  exits = 0;
  readonly cr3Switches = 0;
  private readonly view = new RegisterFile();
  private readonly apicEmulation: ApicVirtualization;
  /** Generation 1: the shadow page tables, the guest's own CR3, and the VMM's walker of the guest's tables. */
  private readonly shadow: ShadowTables | null;
  private guestCr3 = 0;
  private readonly walk = new GuestWalk();

  constructor(host: MonitorHost, opts: { generation: VtxGeneration; guestRam: number }) {
    this.host = host;
    this.cpu = host.cpu;
    this.generation = opts.generation;
    this.guestRam = opts.guestRam;
    this.hostBase = opts.guestRam;
    this.apicPage = installApicAccessPage(this.cpu);
    this.shadow = opts.generation === 1 ? new ShadowTables(this.cpu, this.hostBase + OFF_SHADOW_PD, this.hostBase + OFF_SHADOW_POOL, SHADOW_POOL_PAGES) : null;
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
    // NMIs exit and reach the guest by injection, with virtual-NMI blocking (ended by the guest's IRET).
    v.set(F.PIN_BASED_VM_EXEC_CONTROL, C.PIN_DEFAULT1 | C.PIN_EXTERNAL_INTERRUPT_EXITING | C.PIN_NMI_EXITING | C.PIN_VIRTUAL_NMIS);
    // Generation 1 sets CR3-load/store exiting and INVLPG exiting for its shadow page tables.
    v.set(F.CPU_BASED_VM_EXEC_CONTROL, C.CPU_DEFAULT1 | (gen2 ? 0 : C.CPU_CR3_LOAD_EXITING | C.CPU_CR3_STORE_EXITING | C.CPU_INVLPG_EXITING) |
      C.CPU_HLT_EXITING | C.CPU_USE_IO_BITMAPS | C.CPU_USE_MSR_BITMAPS | C.CPU_ACTIVATE_SECONDARY_CONTROLS | (gen2 ? C.CPU_USE_TPR_SHADOW : 0) |
      // Debug registers are switched lazily: MOV DR exits until the guest first uses one. The
      // VMM exposes no performance counters: RDPMC exits.
      C.CPU_MOV_DR_EXITING | C.CPU_RDPMC_EXITING);
    v.set(F.SECONDARY_VM_EXEC_CONTROL, C.SEC_VIRTUALIZE_APIC_ACCESSES | (gen2 ? C.SEC_ENABLE_EPT : 0));
    v.set(F.VM_EXIT_CONTROLS, C.EXIT_DEFAULT1);
    v.set(F.VM_ENTRY_CONTROLS, C.ENTRY_DEFAULT1);
    v.set(F.EXCEPTION_BITMAP, gen2 ? 0 : 1 << PF_VECTOR); // generation 1: every #PF exits (mask = match = 0)
    v.set(F.PAGE_FAULT_ERROR_CODE_MASK, 0);
    v.set(F.PAGE_FAULT_ERROR_CODE_MATCH, 0);
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
    if (this.shadow !== null) {
      // Generation 1: the processor translates through the shadow; the guest's CR0.PG/WP and
      // CR4.PSE/PGE live in the read shadows, its CR3 in the VMM.
      this.guestCr3 = cpu.cr3;
      v.set(F.CR0_GUEST_HOST_MASK, GEN1_CR0_OWNED);
      v.set(F.CR4_GUEST_HOST_MASK, GEN1_CR4_OWNED);
      this.setGuestPaging(cpu.cr0, cpu.cr4);
      this.shadow.flush();
    }
    this.resume(true);
  }

  // ===========================================================================================
  // Generation 1: shadow page tables
  // ===========================================================================================

  /** The guest's own CR0 and CR4: the processor's values, the owned bits from the read shadows. */
  private guestCr0(): number {
    const v = this.vmx.vmcs;
    return (v.get(F.GUEST_CR0) & ~GEN1_CR0_OWNED) | (v.get(F.CR0_READ_SHADOW) & GEN1_CR0_OWNED);
  }
  private guestCr4(): number {
    const v = this.vmx.vmcs;
    return (v.get(F.GUEST_CR4) & ~GEN1_CR4_OWNED) | (v.get(F.CR4_READ_SHADOW) & GEN1_CR4_OWNED);
  }

  /** Sets the guest's CR0/CR4 as it sees them; the processor's: paging on, WP on, 4-KiB pages, no global ones. */
  private setGuestPaging(cr0: number, cr4: number): void {
    const v = this.vmx.vmcs;
    v.set(F.CR0_READ_SHADOW, cr0 & GEN1_CR0_OWNED);
    v.set(F.GUEST_CR0, (cr0 | GEN1_CR0_OWNED) >>> 0);
    v.set(F.CR4_READ_SHADOW, cr4 & GEN1_CR4_OWNED);
    v.set(F.GUEST_CR4, cr4 & ~GEN1_CR4_OWNED);
    v.set(F.GUEST_CR3, this.shadow!.directory);
  }

  /**
   * A #PF VM exit (generation 1): the VMM walks the guest's own tables for the access the error
   * code describes. If they allow it, the fault is hidden: the shadow entry is filled and the
   * instruction (or the event delivery) starts over. If not, the guest gets its page fault.
   */
  private pageFault(lin: number, code: number): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    const write = (code & PFEC_W) !== 0, user = (code & PFEC_U) !== 0;
    const vectoring = v.get(F.IDT_VECTORING_INFO);
    cpu.physLimit = this.guestRam; // the guest's tables are in its RAM; a pointer beyond reads no RAM
    let fault = -1;
    try {
      this.walk.walk(cpu, this.guestCr0(), this.guestCr3, this.guestCr4(), lin, write, user);
    } catch (e) {
      if (e !== FAULT) throw e;
      fault = cpu.excCode;
    } finally {
      cpu.physLimit = cpu.ramSize;
    }
    if (fault < 0) {
      const page = this.walk.physPage;
      if (page >= this.guestRam >>> 12 && page < cpu.ramSize >>> 12) {
        // The guest maps a physical page beyond its RAM where the VMM's memory is: never
        // shadowed; the access is executed on the guest's tables, reaching no RAM, as natively.
        if ((vectoring & C.INTR_INFO_VALID) !== 0) {
          cpu.shutdown('vmx: event delivery through a guest page mapped beyond guest RAM (generation 1 cannot complete it)');
          return;
        }
        this.emulate('access beyond guest ram executed on the guest\'s page tables', lin);
        return;
      }
      // A supervisor write allowed only because the guest has CR0.WP = 0: a supervisor-only
      // writable entry (a user access faults again and gets the guest's own permissions).
      const wpOff = write && !user && !this.walk.writable;
      this.shadow!.map(lin, page, wpOff ? false : this.walk.user, wpOff || (this.walk.writable && this.walk.dirty));
      this.reinject(vectoring);
      this.note('hidden page fault: shadow page-table entry filled', lin);
      return;
    }
    // The guest's own page fault. Arising while a #PF was being delivered it is a #DF; while a
    // #DF was, a triple fault (the SDM's double-fault rules, which the processor applied natively).
    const first = (vectoring & C.INTR_INFO_VALID) !== 0 && ((vectoring >>> 8) & 7) === C.INTR_TYPE_HARDWARE_EXCEPTION ? vectoring & 0xff : -1;
    if (first === DF_VECTOR) {
      cpu.shutdown('vmx: triple fault in the guest: #DF -> #PF -> shutdown (a page fault while delivering a double fault)');
      return;
    }
    if (first === PF_VECTOR) {
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, DF_VECTOR, true));
      v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
      this.note('guest page fault while delivering a page fault: #DF injected', lin);
      return;
    }
    cpu.cr2 = lin; // CR2 is the processor's, not part of the VMCS: the VMM writes it before the entry
    v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, PF_VECTOR, true));
    v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, fault);
    this.note('guest page fault reflected: #PF injected', lin);
  }

  /** Generation 1, the guest's state loaded: the processor takes the guest's own CR0, CR3, CR4 (and page tables). */
  private enterGuestPaging(): void {
    const cpu = this.cpu;
    cpu.cr0 = this.guestCr0();
    cpu.cr3 = this.guestCr3;
    cpu.cr4 = this.guestCr4();
    cpu.flushTlb(true);
  }

  /**
   * Back from the guest's paging registers to the shadow's: what the guest changed becomes its
   * view (the read shadows, its CR3); a CR3 load (`cr3Load`) or a change of CR0.PG/WP or
   * CR4.PSE/PGE empties the shadow.
   */
  private leaveGuestPaging(cr3Load: boolean): void {
    const cpu = this.cpu;
    const v = this.vmx.vmcs;
    const shadow = this.shadow!;
    const cr0 = cpu.cr0, cr4 = cpu.cr4;
    if (cr3Load || ((cr0 ^ this.guestCr0()) & GEN1_CR0_OWNED) !== 0 || ((cr4 ^ this.guestCr4()) & GEN1_CR4_OWNED) !== 0) shadow.flush();
    this.guestCr3 = cpu.cr3;
    this.setGuestPaging(cr0, cr4);
    cpu.cr0 = v.get(F.GUEST_CR0) | 0;
    cpu.cr3 = shadow.directory;
    cpu.cr4 = v.get(F.GUEST_CR4) | 0;
  }

  /** Re-injects the event whose delivery a VM exit interrupted (IDT-vectoring information, 27.2.4). */
  private reinject(vectoring: number): void {
    if ((vectoring & C.INTR_INFO_VALID) === 0) return;
    const v = this.vmx.vmcs;
    v.set(F.VM_ENTRY_INTR_INFO, vectoring & ~C.INTR_INFO_NMI_UNBLOCKING);
    v.set(F.VM_ENTRY_EXCEPTION_ERROR_CODE, v.get(F.IDT_VECTORING_ERROR_CODE));
    v.set(F.VM_ENTRY_INSTRUCTION_LEN, v.get(F.VM_EXIT_INSTRUCTION_LEN));
    // A software interrupt's instruction retires when its delivery completes (the exit did not count it).
    const type = (vectoring >>> 8) & 7;
    if (type === C.INTR_TYPE_SOFTWARE_INTERRUPT || type === C.INTR_TYPE_SOFTWARE_EXCEPTION || type === C.INTR_TYPE_PRIV_SOFTWARE_EXCEPTION) this.cpu.icount++;
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
      case X.EXIT_EXCEPTION_OR_NMI: {
        const info = v.get(F.VM_EXIT_INTR_INFO);
        if (((info >>> 8) & 7) === C.INTR_TYPE_NMI) {
          // The NMI is the guest's: injected when it is not blocking NMIs, else at the NMI window.
          this.nmiQueued = true;
          this.note('nmi: held for the guest', 2);
          break;
        }
        if (this.shadow !== null && (info & 0xff) === PF_VECTOR && ((info >>> 8) & 7) === C.INTR_TYPE_HARDWARE_EXCEPTION) {
          this.pageFault(q, v.get(F.VM_EXIT_INTR_ERROR_CODE));
          break;
        }
        cpu.shutdown(`vmx: unexpected exception exit, interruption information ${hex(info)}`);
        return;
      }
      case X.EXIT_INVLPG: {
        // The guest drops one translation: so does the shadow (the whole 4-MiB region for a large page).
        const cr4 = this.guestCr4();
        cpu.physLimit = this.guestRam;
        const pde = (this.guestCr0() & CR0_PG) !== 0 ? cpu.physRead32(((this.guestCr3 & ~0xfff) + ((q >>> 22) << 2)) >>> 0) : 0;
        cpu.physLimit = cpu.ramSize;
        this.shadow?.invalidate(q, (cr4 & CR4_PSE) !== 0 && (pde & 0x81) === 0x81);
        this.note('invlpg: shadow page-table entry dropped', q);
        this.advance(len);
        break;
      }
      case X.EXIT_EXTERNAL_INTERRUPT:
        this.note('external interrupt pending', this.apicPage.pendingVector());
        break;
      case X.EXIT_INTERRUPT_WINDOW:
        this.note('interrupt window open', 0);
        break;
      case X.EXIT_NMI_WINDOW:
        this.note('nmi window open (the guest unblocked nmis)', 0);
        break;
      case X.EXIT_MONITOR_TRAP_FLAG:
        this.note('monitor trap flag: one guest instruction done', v.get(F.GUEST_RIP));
        break;
      case X.EXIT_MOV_DR:
        // The guest uses its debug registers: from now on they are its own (no more exits).
        v.set(F.CPU_BASED_VM_EXEC_CONTROL, v.get(F.CPU_BASED_VM_EXEC_CONTROL) & ~C.CPU_MOV_DR_EXITING);
        this.emulate('mov dr executed for the guest; mov-dr exiting off', q);
        break;
      case X.EXIT_RDTSC:
      case X.EXIT_GDTR_IDTR_ACCESS:
      case X.EXIT_LDTR_TR_ACCESS:
        // Controls this VMM does not set; a VMM that sets them (the tests) gets the instruction executed.
        this.emulate(`${X.exitReasonName(reason)} executed for the guest`, q);
        break;
      case X.EXIT_RDPMC:
        this.emulate('rdpmc executed for the guest (no performance counters)', cpu.regs[1] >>> 0);
        break;
      case X.EXIT_TRIPLE_FAULT:
        cpu.shutdown(`vmx: the guest triple-faulted (VM exit reason 2): ${this.vmx.lastCheck}`);
        return;
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
        if (!this.instructionCaused(reason)) return;
        this.emulate('apic access executed against the local apic', q);
        break;
      case X.EXIT_EPT_VIOLATION:
      case X.EXIT_EPT_MISCONFIG:
        if (!this.instructionCaused(reason)) return;
        this.emulate('access outside guest ram executed (no ram behind it)', v.get(F.GUEST_PHYSICAL_ADDRESS));
        break;
      case X.EXIT_TASK_SWITCH:
        performGuestTaskSwitch(cpu, this.vmx, this.guestRam, (what, value) => this.note(what, value), this.shadow === null ? undefined : {
          enter: () => this.enterGuestPaging(),
          leave: () => this.leaveGuestPaging(true), // a task switch loads CR3
        });
        break;
      case X.EXIT_INVALID_GUEST_STATE:
        cpu.shutdown(`vmx: VM entry failed with invalid guest state (${this.vmx.lastCheck})`);
        return;
      default:
        cpu.shutdown(`vmx: unexpected VM exit, reason ${reason} (${X.exitReasonName(reason)})`);
        return;
    }
  }

  /**
   * An access exit is completed by executing the guest instruction at RIP again, which also
   * redoes a software interrupt's delivery; an exit while the processor delivered any other
   * event (IDT-vectoring information valid) through memory the VMM only emulates cannot be
   * completed so: the run ends as a shutdown that says why.
   */
  private instructionCaused(reason: number): boolean {
    const vectoring = this.vmx.vmcs.get(F.IDT_VECTORING_INFO);
    if ((vectoring & C.INTR_INFO_VALID) === 0) return true;
    const type = (vectoring >>> 8) & 7;
    if (type === C.INTR_TYPE_SOFTWARE_INTERRUPT || type === C.INTR_TYPE_SOFTWARE_EXCEPTION || type === C.INTR_TYPE_PRIV_SOFTWARE_EXCEPTION) return true;
    this.cpu.shutdown(`vmx: exit reason ${reason} (${X.exitReasonName(reason)}) while delivering vector ${vectoring & 0xff} (${C.INTR_TYPE_NAMES[type]}): the VMM cannot complete an event delivery through memory outside guest RAM`);
    return false;
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
    if (this.shadow !== null) this.enterGuestPaging();
    cpu.physLimit = this.guestRam;
    this.apicPage.virtualization = this.apicEmulation;
    const ok = this.host.stepOne();
    this.apicPage.virtualization = null;
    if (this.shadow !== null) {
      // A CR3 load flushes the guest's TLB: the whole shadow.
      this.leaveGuestPaging(v.get(F.VM_EXIT_REASON) === X.EXIT_CR_ACCESS && (v.get(F.EXIT_QUALIFICATION) & 0x3f) === 0x03 && ok);
    }
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
    let proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL) & ~(C.CPU_INTERRUPT_WINDOW_EXITING | C.CPU_NMI_WINDOW_EXITING);
    let threshold = 0;
    const interruptible = (v.get(F.GUEST_RFLAGS) & IF) !== 0 && (v.get(F.GUEST_INTERRUPTIBILITY_INFO) & 3) === 0;
    const inject = (vector: number) => {
      v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_EXTERNAL, vector, false));
      if (v.get(F.GUEST_ACTIVITY_STATE) === C.ACTIVITY_HLT) v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_ACTIVE);
    };
    if (this.nmiQueued && (v.get(F.VM_ENTRY_INTR_INFO) & C.INTR_INFO_VALID) === 0) {
      // 26.3.1.5: an NMI is injected only without virtual-NMI blocking and without blocking by
      // MOV SS (and, here, STI); otherwise NMI-window exiting says when.
      if ((v.get(F.GUEST_INTERRUPTIBILITY_INFO) & (C.INTERRUPTIBILITY_STI | C.INTERRUPTIBILITY_MOV_SS | C.INTERRUPTIBILITY_NMI)) === 0) {
        v.set(F.VM_ENTRY_INTR_INFO, C.intrInfo(C.INTR_TYPE_NMI, 2, false));
        if (v.get(F.GUEST_ACTIVITY_STATE) === C.ACTIVITY_HLT) v.set(F.GUEST_ACTIVITY_STATE, C.ACTIVITY_ACTIVE);
        this.nmiQueued = false;
      } else proc |= C.CPU_NMI_WINDOW_EXITING;
    }
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
      // The guest's physical address space: its RAM (EPT maps nothing else). Generation 1: every
      // guest access goes through the VMM's shadow tables, which the processor must reach.
      cpu.physLimit = this.shadow !== null ? cpu.ramSize : this.guestRam;
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
    f.cr0 = this.shadow !== null ? this.guestCr0() : v.get(F.GUEST_CR0) | 0;
    f.cr2 = this.cpu.cr2;
    f.cr3 = this.shadow !== null ? this.guestCr3 : v.get(F.GUEST_CR3) | 0;
    f.cr4 = this.shadow !== null ? this.guestCr4() : v.get(F.GUEST_CR4) | 0;
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
      if (this.shadow !== null) {
        // Generation 1: the guest's own paging registers, not the shadow's (its CR3 loads all exit).
        const v = this.vmx.vmcs;
        out.cr0 = (this.cpu.cr0 & ~GEN1_CR0_OWNED) | (v.get(F.CR0_READ_SHADOW) & GEN1_CR0_OWNED);
        out.cr3 = this.guestCr3;
        out.cr4 = (this.cpu.cr4 & ~GEN1_CR4_OWNED) | (v.get(F.CR4_READ_SHADOW) & GEN1_CR4_OWNED);
      }
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
    if (this.shadow !== null) lines.push(`  shadow page tables: guest cr0=${hex(this.guestCr0())} cr3=${hex(this.guestCr3)} cr4=${hex(this.guestCr4())}; ${this.shadow.used} of ${SHADOW_POOL_PAGES} page tables in use`);
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
      w.u32(this.guestCr3);
      w.u32(this.shadow === null ? 0 : this.shadow.used);
      w.bool(this.nmiQueued);
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
    const guestCr3 = r.u32();
    const shadowUsed = r.u32();
    const nmiQueued = r.bool();
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
    this.guestCr3 = guestCr3 | 0;
    if (this.shadow !== null) this.shadow.used = shadowUsed;
    this.nmiQueued = nmiQueued;
    this.counts.clear();
    for (const [reason, c] of counts) this.counts.set(reason, c);
    this.cpu.physLimit = nonRoot && this.shadow === null ? this.guestRam : this.cpu.ramSize;
  }
}

function hex(v: number, digits = 8): string {
  return (v >>> 0).toString(16).padStart(digits, '0');
}

const STATE_TAG = 'RVMX';
const STATE_VERSION = 2;
