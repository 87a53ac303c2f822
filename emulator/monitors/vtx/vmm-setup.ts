/**
 * The built-in VMM's start: its own memory (host page directory, host GDT and TSS, MSR and I/O
 * bitmaps, EPT), the VMCS's controls, host state and guest state for the guest as the Multiboot
 * loader left it (generation 1: its paging registers moved to the read shadows), then VMLAUNCH.
 */
import { MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, PF_VECTOR } from '../../cpu/constants';
import * as F from './encodings';
import * as C from './controls';
import { LINK_POINTER_NONE } from './entry-checks';
import {
  VMX_HOST_SIZE, OFF_VMCS, OFF_HOST_PD, OFF_MSR_BITMAP, OFF_IO_BITMAP_A, OFF_IO_BITMAP_B, OFF_VIRTUAL_APIC,
  OFF_HOST_STACK_TOP, OFF_HOST_GDT, OFF_HOST_TSS, OFF_EPT_PML4, OFF_EPT_PDPT, OFF_EPT_PD, OFF_EPT_PT_APIC,
} from './vmm-memory';
import { GEN1_CR0_OWNED, GEN1_CR4_OWNED, setGuestPaging } from './vmm-shadow-paging';
import { resume } from './vmm-interrupts';
import type { VtxMonitor } from './vmm';

const HOST_CS = 0x08, HOST_SS = 0x10, HOST_TR = 0x18;
const HOST_RIP_VALUE = 0xffff_f000; // where the host "runs": the VMM is TypeScript, never fetched

/** Sets up the VMM's memory and the VMCS, and launches the guest. */
export function setUpAndLaunch(vmm: VtxMonitor): void {
  const cpu = vmm.cpu;
  const v = vmm.vmx.vmcs;
  const h = vmm.hostBase;
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
  for (let gpa = 0; gpa < vmm.guestRam; gpa += 0x200000) {
    cpu.ram32[(h + OFF_EPT_PD + (gpa >>> 21) * 8) >>> 2] = gpa | 0x80 | (6 << 3) | 7;
  }
  // The APIC page: guest-physical FEE00000H maps to the APIC-access page (read/write, UC).
  cpu.ram32[(h + OFF_EPT_PD + (0xfee00000 >>> 21) * 8) >>> 2] = (h + OFF_EPT_PT_APIC) | 7;
  cpu.ram32[(h + OFF_EPT_PT_APIC + ((0xfee00000 >>> 12) & 511) * 8) >>> 2] = 0xfee00000 | 3;

  // Controls.
  const gen2 = vmm.generation === 2;
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
  vmm.vmx.saveGuestState();
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
  if (vmm.shadow !== null) {
    // Generation 1: the processor translates through the shadow; the guest's CR0.PG/WP and
    // CR4.PSE/PGE live in the read shadows, its CR3 in the VMM.
    vmm.guestCr3 = cpu.cr3;
    v.set(F.CR0_GUEST_HOST_MASK, GEN1_CR0_OWNED);
    v.set(F.CR4_GUEST_HOST_MASK, GEN1_CR4_OWNED);
    setGuestPaging(vmm, cpu.cr0, cpu.cr4);
    vmm.shadow.flush();
  }
  resume(vmm, true);
}
