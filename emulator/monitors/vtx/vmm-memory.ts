/**
 * Where the built-in VMM of mode `vtx` lives: host memory just above the guest's RAM (EPT and
 * generation 1's shadow tables never map it), holding the VMCS region and the VMM's pages.
 *
 * Offsets within the region (host-physical = guest RAM size + offset):
 */
export const VMX_HOST_SIZE = 0x40000;
export const OFF_VMCS = 0x0000;
export const OFF_HOST_PD = 0x1000;
export const OFF_MSR_BITMAP = 0x2000;
export const OFF_IO_BITMAP_A = 0x3000;
export const OFF_IO_BITMAP_B = 0x4000;
export const OFF_VIRTUAL_APIC = 0x5000;
export const OFF_HOST_STACK_TOP = 0x7000;
export const OFF_HOST_GDT = 0x7000;
export const OFF_HOST_TSS = 0x7100;
export const OFF_EPT_PML4 = 0x8000;
export const OFF_EPT_PDPT = 0x9000;
export const OFF_EPT_PD = 0xa000; // four pages: 4 GiB of 2-MiB entries
export const OFF_EPT_PT_APIC = 0xe000; // the 4-KiB page table holding the APIC-access page's mapping
export const OFF_SHADOW_PD = 0xf000; // generation 1: the shadow page directory
export const OFF_SHADOW_POOL = 0x10000; // and its page tables
export const SHADOW_POOL_PAGES = 48;
