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
 *
 * The VMM in files, each a section of it, functions taking the VMM: vmm-memory.ts (the layout of
 * its memory above the guest's RAM), vmm-setup.ts (VMCS set-up and VMLAUNCH), vmm-exits.ts
 * (exit handling), vmm-interrupts.ts (event injection at VM entry), vmm-apic.ts (VTPR and the
 * guest's TPR and PPR), vmm-shadow-paging.ts (generation 1), vmm-state.ts (snapshots).
 */
import type { Cpu } from '../../cpu/cpu';
import { IF } from '../../cpu/constants';
import { GuestWalk } from '../sw/guest-walk';
import { ShadowTables } from './shadow-tables';
import type { Monitor, MonitorHost } from '../monitor';
import { RegisterFile, SEGS } from '../sw/virtual-cpu';
import { Vmcs } from './vmcs';
import { Vmx, cpuRights, readGuestSystemRegisters } from './vmx';
import * as F from './encodings';
import * as X from './exit-reasons';
import * as C from './controls';
import { installApicAccessPage, type ApicAccessPage, type ApicVirtualization } from './apic-access';
import { OFF_VMCS, OFF_SHADOW_PD, OFF_SHADOW_POOL, SHADOW_POOL_PAGES } from './vmm-memory';
import { setUpAndLaunch } from './vmm-setup';
import { handleExit } from './vmm-exits';
import { apicEmulation, tprShadow, vtpr } from './vmm-apic';
import { GEN1_CR0_OWNED, GEN1_CR4_OWNED, guestCr0, guestCr4 } from './vmm-shadow-paging';
import { saveVmmState, loadVmmState } from './vmm-state';

export { VMX_HOST_SIZE } from './vmm-memory';

export type VtxGeneration = 1 | 2;

export class VtxMonitor implements Monitor {
  // The VMM's state, read and written by its sections (vmm-*.ts).
  readonly host: MonitorHost;
  readonly cpu: Cpu;
  readonly generation: VtxGeneration;
  readonly vmx: Vmx;
  readonly apicPage: ApicAccessPage;
  readonly guestRam: number; // bytes of guest-physical RAM
  readonly hostBase: number; // host-physical base of the VMM's memory
  held: number[] = []; // external-interrupt vectors acknowledged on exit, not yet injected
  nmiQueued = false; // an NMI exited and waits for the guest to be able to take it
  readonly counts = new Map<number, number>(); // exits by basic reason
  exits = 0;
  readonly cr3Switches = 0;
  private readonly view = new RegisterFile();
  readonly apicEmulation: ApicVirtualization;
  /** Generation 1: the shadow page tables, the guest's own CR3, and the VMM's walker of the guest's tables. */
  readonly shadow: ShadowTables | null;
  guestCr3 = 0;
  readonly walk = new GuestWalk();

  /** `reportVirtualTpr`: the guest's VTPR writes are reported as TPR writes (machine revision 4). */
  constructor(host: MonitorHost, opts: { generation: VtxGeneration; guestRam: number; reportVirtualTpr?: boolean }) {
    this.host = host;
    this.cpu = host.cpu;
    this.generation = opts.generation;
    this.guestRam = opts.guestRam;
    this.hostBase = opts.guestRam;
    this.apicPage = installApicAccessPage(this.cpu);
    this.shadow = opts.generation === 1 ? new ShadowTables(this.cpu, this.hostBase + OFF_SHADOW_PD, this.hostBase + OFF_SHADOW_POOL, SHADOW_POOL_PAGES) : null;
    this.vmx = new Vmx(this.cpu, new Vmcs(this.hostBase + OFF_VMCS), this.apicPage);
    this.vmx.onExit = () => handleExit(this);
    this.vmx.exec.reportVirtualTpr = opts.reportVirtualTpr === true;
    this.vmx.onEntry = (launch, injected) => {
      if (this.cpu.observer !== null) this.cpu.observer.monitorEntry(`${launch ? 'vmlaunch' : 'vmresume'}${injected ? ': ' + injected : ''}`);
    };
    this.apicEmulation = apicEmulation(this);
  }

  /** A VMCS for the guest as the loader left it, then VMLAUNCH (vmm-setup.ts). */
  boot(): void {
    setUpAndLaunch(this);
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
    f.cr0 = this.shadow !== null ? guestCr0(this) : v.get(F.GUEST_CR0) | 0;
    f.cr2 = this.cpu.cr2;
    f.cr3 = this.shadow !== null ? this.guestCr3 : v.get(F.GUEST_CR3) | 0;
    f.cr4 = this.shadow !== null ? guestCr4(this) : v.get(F.GUEST_CR4) | 0;
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
    if (this.shadow !== null) lines.push(`  shadow page tables: guest cr0=${hex(guestCr0(this))} cr3=${hex(this.guestCr3)} cr4=${hex(guestCr4(this))}; ${this.shadow.used} of ${SHADOW_POOL_PAGES} page tables in use`);
    lines.push(`    interruptibility=${v.get(F.GUEST_INTERRUPTIBILITY_INFO)} activity=${C.ACTIVITY_NAMES[v.get(F.GUEST_ACTIVITY_STATE)] ?? v.get(F.GUEST_ACTIVITY_STATE)} tpr-threshold=${v.get(F.TPR_THRESHOLD)}${tprShadow(this) ? ` vtpr=${hex(vtpr(this), 2)}` : ''} held vectors=[${this.held.join(', ')}]`);
    const kinds = Object.entries(this.interventions()).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`  ${this.exits} VM exits${kinds ? ': ' + kinds : ''}`);
    return lines;
  }

  // ===========================================================================================
  // State (snapshots): the VMCS (guest state included), its launch state, the VMM's own state
  // ===========================================================================================

  saveState(): Uint8Array {
    return saveVmmState(this);
  }

  loadState(bytes: Uint8Array): void {
    loadVmmState(this, bytes);
  }
}

/** `v` as unsigned hex, `digits` wide (no prefix). */
export function hex(v: number, digits = 8): string {
  return (v >>> 0).toString(16).padStart(digits, '0');
}
