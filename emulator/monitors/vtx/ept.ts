/**
 * EPT, the extended page tables (SDM vol. 3C 28.2): with "enable EPT", every guest-physical
 * address the processor uses for a linear access is translated through four levels of EPT
 * paging structures (PML4, PDPT, PD, PT; 1-GiB and 2-MiB leaves allowed at the PDPT and PD
 * levels) rooted at the EPT pointer. An access the entries do not permit is an EPT violation
 * (28.2.3.2; exit reason 48, qualification of table 27-7, guest-physical and guest-linear
 * address); an entry with write without read, or reserved bits, an EPT misconfiguration
 * (28.2.3.1; exit reason 49).
 *
 * The CPU consults this on a TLB miss, for the page a linear address maps to, so the TLB holds
 * the combined translation (linear -> host-physical). This model translates the final
 * guest-physical page of each access; the guest's own paging-structure reads are taken as
 * guest-physical addresses of its RAM without an EPT check of their own.
 */
import type { Cpu, SecondLevelTranslation } from '../../cpu/cpu';
import * as Q from './qualifications';
import { EXIT_EPT_VIOLATION, EXIT_EPT_MISCONFIG } from './exit-reasons';
import type { ExitInfo } from './vmx';

const R = 1, W = 2, X = 4, LARGE = 0x80;

export class Ept implements SecondLevelTranslation {
  private readonly cpu: Cpu;
  private readonly fault: (e: ExitInfo) => never;
  root = 0; // host-physical address of the PML4 table (from the EPT pointer)

  /** `fault` raises the exit as a fault-like event of the access (nonroot.ts). */
  constructor(cpu: Cpu, fault: (e: ExitInfo) => never) {
    this.cpu = cpu;
    this.fault = fault;
  }

  translate(entry: number, lin: number, write: boolean): number {
    const gpa = (entry & ~0xfff) >>> 0;
    const ram = this.cpu.ram32;
    let table = this.root;
    let allowed = R | W | X;
    let shift = 39;
    for (let level = 4; level >= 1; level--) {
      const index = level === 4 ? 0 : Math.floor(gpa / 2 ** shift) % 512;
      const at = table + index * 8;
      const e = at + 8 <= this.cpu.ramSize ? ram[at >>> 2] : 0;
      const perm = e & 7;
      if (perm === 0) return this.violation(gpa, lin, write, 0);
      if ((perm & (R | W)) === W) return this.fault({ reason: EXIT_EPT_MISCONFIG, guestPhysical: gpa + (lin & 0xfff) });
      allowed &= perm;
      if (level === 1 || ((level === 2 || level === 3) && (e & LARGE) !== 0)) {
        const need = write ? W : R;
        if ((allowed & need) === 0) return this.violation(gpa, lin, write, allowed);
        const size = 2 ** shift;
        const base = Math.floor((e >>> 0) / size) * size; // bits 31:shift of the leaf (below 4 GiB)
        const hpa = base + (gpa % size);
        return (hpa | (entry & 0xfff)) | 0;
      }
      table = (e & ~0xfff) >>> 0;
      shift -= 9;
    }
    return entry;
  }

  private violation(gpa: number, lin: number, write: boolean, allowed: number): never {
    const q = (write ? Q.EPT_WRITE : Q.EPT_READ) | ((allowed & R) !== 0 ? Q.EPT_READABLE : 0) | ((allowed & W) !== 0 ? Q.EPT_WRITABLE : 0) |
      ((allowed & X) !== 0 ? Q.EPT_EXECUTABLE : 0) | Q.EPT_LINEAR_VALID | Q.EPT_LINEAR_TRANSLATION;
    return this.fault({ reason: EXIT_EPT_VIOLATION, qualification: q, guestPhysical: gpa + (lin & 0xfff), guestLinear: lin >>> 0 });
  }
}

