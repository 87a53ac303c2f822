/**
 * The guest's virtual CPU, and the swap that puts it on the real CPU while the monitor
 * emulates (the "guest view").
 *
 * Between traps the virtual registers live here. To emulate a trapped instruction the monitor
 * swaps them into the CPU: the virtual CPL (0 for the guest kernel), EFLAGS with the virtual IF
 * and IOPL, CR0/CR2/CR3/CR4, GDTR/IDTR/LDTR/TR naming the guest's own tables, the guest's
 * SYSENTER MSRs, segment caches loaded from the guest's own descriptors, and a physical
 * address space limited to the guest's RAM. The CPU's instruction semantics then run the
 * instruction exactly as on the machine the guest believes it has; the swap back captures the
 * result. Register state the swap does not touch (general registers, the APIC, DRs, TSC) is
 * shared by the guest and the monitor.
 */
import type { Cpu } from '../../cpu/cpu';
import type { StateWriter, StateReader } from '../../state/codec';
import { CS, SS, ES, DS, FS, GS, ESP } from '../../cpu/constants';

/** The registers that differ between the virtual and the real CPU. */
export class RegisterFile {
  cpl = 0;
  eip = 0;
  esp = 0;
  flags = 0;
  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  gdtrBase = 0;
  gdtrLimit = 0;
  idtrBase = 0;
  idtrLimit = 0;
  ldtrSel = 0;
  ldtrBase = 0;
  ldtrLimit = 0;
  ldtrAR = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0;
  trAR = 0;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  physLimit = 0;
  readonly segSel = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Float64Array(6);
  readonly segAR = new Int32Array(6);

  /** Copies the CPU's registers into this file. */
  capture(cpu: Cpu): void {
    this.cpl = cpu.cpl;
    this.eip = cpu.eip;
    this.esp = cpu.regs[ESP];
    this.flags = cpu.getFlags();
    this.cr0 = cpu.cr0;
    this.cr2 = cpu.cr2;
    this.cr3 = cpu.cr3;
    this.cr4 = cpu.cr4;
    this.gdtrBase = cpu.gdtrBase;
    this.gdtrLimit = cpu.gdtrLimit;
    this.idtrBase = cpu.idtrBase;
    this.idtrLimit = cpu.idtrLimit;
    this.ldtrSel = cpu.ldtrSel;
    this.ldtrBase = cpu.ldtrBase;
    this.ldtrLimit = cpu.ldtrLimit;
    this.ldtrAR = cpu.ldtrAR;
    this.trSel = cpu.trSel;
    this.trBase = cpu.trBase;
    this.trLimit = cpu.trLimit;
    this.trAR = cpu.trAR;
    this.sysenterCs = cpu.sysenterCs;
    this.sysenterEsp = cpu.sysenterEsp;
    this.sysenterEip = cpu.sysenterEip;
    this.physLimit = cpu.physLimit;
    for (const s of SEGS) {
      this.segSel[s] = cpu.segSel[s];
      this.segBase[s] = cpu.segBase[s];
      this.segLimit[s] = cpu.segLimit[s];
      this.segAR[s] = cpu.segAR[s];
    }
  }

  copyFrom(from: RegisterFile): void {
    for (const k of SCALARS) this[k] = from[k];
    this.segSel.set(from.segSel);
    this.segBase.set(from.segBase);
    this.segLimit.set(from.segLimit);
    this.segAR.set(from.segAR);
  }

  /** Serializes the file (snapshots). */
  save(w: StateWriter): void {
    for (const k of SCALARS) w.f64(this[k]);
    for (const s of SEGS) {
      w.f64(this.segSel[s]);
      w.f64(this.segBase[s]);
      w.f64(this.segLimit[s]);
      w.f64(this.segAR[s]);
    }
  }

  load(r: StateReader): void {
    for (const k of SCALARS) this[k] = r.f64();
    for (const s of SEGS) {
      this.segSel[s] = r.f64();
      this.segBase[s] = r.f64();
      this.segLimit[s] = r.f64();
      this.segAR[s] = r.f64();
    }
  }

  /** Loads this file into the CPU (segment caches without observer events), flushing the TLB. */
  install(cpu: Cpu): void {
    cpu.cr4 = this.cr4; // before setCpl: the supervisor access paths follow CR4.SMAP
    cpu.eip = cpu.next = this.eip;
    cpu.regs[ESP] = this.esp;
    cpu.setFlags(this.flags);
    cpu.cr0 = this.cr0;
    cpu.cr2 = this.cr2;
    cpu.cr3 = this.cr3;
    cpu.setCpl(this.cpl);
    cpu.gdtrBase = this.gdtrBase;
    cpu.gdtrLimit = this.gdtrLimit;
    cpu.idtrBase = this.idtrBase;
    cpu.idtrLimit = this.idtrLimit;
    cpu.ldtrSel = this.ldtrSel;
    cpu.ldtrBase = this.ldtrBase;
    cpu.ldtrLimit = this.ldtrLimit;
    cpu.ldtrAR = this.ldtrAR;
    cpu.trSel = this.trSel;
    cpu.trBase = this.trBase;
    cpu.trLimit = this.trLimit;
    cpu.trAR = this.trAR;
    cpu.sysenterCs = this.sysenterCs;
    cpu.sysenterEsp = this.sysenterEsp;
    cpu.sysenterEip = this.sysenterEip;
    cpu.physLimit = this.physLimit;
    const obs = cpu.observer;
    cpu.observer = null;
    for (const s of SEGS) cpu.setSegCache(s, this.segSel[s], this.segBase[s], this.segLimit[s], this.segAR[s]);
    cpu.observer = obs;
    cpu.flushTlb(true);
  }
}

export const SEGS = [ES, CS, SS, DS, FS, GS] as const;

/** Every scalar register of a RegisterFile (its segment registers are the arrays). */
const SCALARS = [
  'cpl', 'eip', 'esp', 'flags', 'cr0', 'cr2', 'cr3', 'cr4', 'gdtrBase', 'gdtrLimit', 'idtrBase', 'idtrLimit',
  'ldtrSel', 'ldtrBase', 'ldtrLimit', 'ldtrAR', 'trSel', 'trBase', 'trLimit', 'trAR', 'sysenterCs', 'sysenterEsp',
  'sysenterEip', 'physLimit',
] as const satisfies readonly (keyof RegisterFile)[];
export const DATA_SEGS = [ES, DS, FS, GS] as const;
