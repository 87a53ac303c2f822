/**
 * Where a software VMM lives: the top 4 MiB of the guest's linear address space
 * (0xFFC00000-0xFFFFFFFF), backed by 4 MiB of host memory placed just above the guest's RAM,
 * which the guest cannot reach (its shadow page tables never map it). This is the
 * address-space compression of the seed: the guest loses that part of its address space.
 *
 * Offsets within the region (linear = MON_LINEAR + offset, physical = guest RAM size + offset):
 */
export const MON_LINEAR = 0xffc00000;
export const MON_SIZE = 4 * 1024 * 1024;

export const OFF_PT = 0x0000; // the page table that maps the region itself (PDE 1023 of every shadow)
export const OFF_IDT = 0x1000; // the real IDT: 256 interrupt gates to the entry stubs
export const OFF_TSS = 0x2000; // the real TSS (SS0:ESP0 = the monitor stack)
export const OFF_STUBS = 0x3000; // entry points: vector v at OFF_STUBS + 16 v
export const OFF_SYSENTER = 0x4000; // entry point of the real SYSENTER
export const OFF_STACK_TOP = 0x6000; // the monitor stack (one page below)
export const OFF_GDT_KERNEL = 0x10000; // real GDT while the guest is in its kernel (64 KiB)
export const OFF_GDT_USER = 0x20000; // real GDT while the guest is in user mode
export const OFF_LDT_KERNEL = 0x30000; // shadow of the guest's LDT, kernel-mode copy
export const OFF_LDT_USER = 0x40000; // user-mode copy
export const OFF_POOL = 0x50000; // pages for shadow page directories and tables
export const POOL_PAGES = (MON_SIZE - OFF_POOL) / 4096;

export const STUB_SIZE = 16;

/** The monitor's own selectors, in the last GDT slots (SYSENTER needs SS = CS + 8). */
export const MON_CS = 0xffc0;
export const MON_SS = 0xffc8;
export const MON_TSS = 0xffd0;
export const MON_LDT = 0xffd8;
/** Guest GDT entries the shadow can hold (the slots below the monitor's own). */
export const GUEST_GDT_ENTRIES = MON_CS >> 3;
