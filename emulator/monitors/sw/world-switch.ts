/**
 * The software monitor's world switches: the guest's virtual CPU onto the processor and back
 * (with the shadows and descriptor tables the guest's state now needs), and the return to the
 * guest by a real IRET to the ring its virtual CPL maps to.
 */
import { CS, SS, ESP, IOPL, RF, VM, NT, CR0_PG, CR4_UMIP, CR4_SMEP, CR4_SMAP, GP_VECTOR } from '../../cpu/constants';
import { FAULT } from '../../cpu/fault';
import { loadSegment } from '../../cpu/segments';
import { iret } from '../../cpu/ops/far';
import { Insn } from '../../cpu/insn';
import type { SoftwareMonitor } from './monitor';
import { SEGS, DATA_SEGS } from './virtual-cpu';
import { loadGuestCache } from './descriptor-tables';
import { note } from './interventions';
import { lin, monW32 } from './region';
import {
  MON_LINEAR, OFF_STUBS, OFF_STACK_TOP, OFF_GDT_KERNEL, OFF_GDT_USER, OFF_LDT_KERNEL, OFF_LDT_USER, STUB_SIZE, MON_LDT, GUEST_GDT_ENTRIES,
} from './layout';

const IRET32 = new Insn(); // the monitor's exit instruction: IRETD
IRET32.os32 = true;

/** Puts the guest's virtual CPU on the processor. */
export function installVirtual(m: SoftwareMonitor): void {
  const f = m.v;
  for (const s of SEGS) loadGuestCache(m, s, f.segSel[s]);
  f.physLimit = m.monPhys;
  f.install(m.cpu);
  m.inView = true;
}

/** Captures the virtual CPU and puts the monitor's context (with the shadows it now needs) back. */
export function leaveVirtual(m: SoftwareMonitor): void {
  const cpu = m.cpu;
  const f = m.v;
  f.capture(cpu);
  m.inView = false;
  const r = m.real;
  const user = f.cpl === 3;
  const root = m.shadow.root(rootKey(m, f.cr0, f.cr3, f.cpl));
  if (root !== r.cr3) m.cr3Switches++; // r.cr3: the shadow the guest ran on until this exit
  r.cr3 = root;
  r.gdtrBase = lin(user ? OFF_GDT_USER : OFF_GDT_KERNEL);
  if (m.ldtEntries > 0) {
    r.ldtrSel = MON_LDT;
    r.ldtrBase = lin(user ? OFF_LDT_USER : OFF_LDT_KERNEL);
    r.ldtrLimit = f.ldtrLimit;
    r.ldtrAR = 0x8200;
  } else r.ldtrSel = r.ldtrBase = r.ldtrLimit = r.ldtrAR = 0;
  // The guest's UMIP (its stores of privileged state trap), and under sw-013, whose ring 1 is a
  // supervisor ring for paging, its SMEP and SMAP.
  const follow = CR4_UMIP | (m.kernelRing === 1 ? CR4_SMEP | CR4_SMAP : 0);
  r.cr4 = (r.cr4 & ~(CR4_UMIP | CR4_SMEP | CR4_SMAP)) | (f.cr4 & follow);
  r.install(cpu);
}

/** Which shadow serves this guest state: its address space, and its mode under the split policy. */
export function rootKey(m: SoftwareMonitor, cr0: number, cr3: number, cpl: number): number {
  const space = (cr0 & CR0_PG) !== 0 ? (cr3 & 0xfffff000) >>> 0 : 1;
  return space + (m.split && cpl === 3 ? 2 : 0);
}

/** The ring a virtual privilege level really runs at. */
function ring(m: SoftwareMonitor, vcpl: number): number {
  return vcpl === 0 ? m.kernelRing : m.compressAll ? 3 : vcpl;
}

/**
 * Returns to the guest: the monitor reloads the guest's data segment registers by selector
 * (what a software VMM can do: their hidden parts are re-read from the shadow GDT), then a
 * real IRET to the guest's ring, with the real IF set to the virtual IF and IOPL 0, so that
 * CLI, STI and I/O keep trapping.
 */
export function exit(m: SoftwareMonitor): void {
  const cpu = m.cpu;
  const f = m.v;
  const to = ring(m, f.cpl);
  if ((!m.compressAll && (f.segBase[CS] + f.eip) >>> 0 >= MON_LINEAR) || isMonitorSlot(f.segSel[CS]) || isMonitorSlot(f.segSel[SS])) {
    // sw-013: the guest's code continues inside the monitor region, beyond its cut CS limit,
    // where the IRET cannot go; or (both modes) the guest's CS or SS is a selector of the
    // monitor's own GDT slots (a SYSENTER through an IA32_SYSENTER_CS that names them loads
    // them without reading any table), which the IRET would load as the monitor's. The monitor
    // stays in control and handles that instruction as the #GP its fetch would raise
    // (interpreted on the virtual CPU, one per dispatch, so the instruction count still bounds
    // the run), until the guest's CS and SS are its own again.
    const sp = writeFrame(m, to) - 4;
    monW32(m, sp, 0); // the error code of the #GP
    cpu.regs[ESP] = lin(sp);
    cpu.eip = cpu.next = lin(OFF_STUBS + GP_VECTOR * STUB_SIZE);
    m.resumeInMonitor = true;
    return;
  }
  cpu.regs[ESP] = lin(writeFrame(m, to));
  cpu.setFlags(cpu.getFlags() & ~NT);
  for (const s of DATA_SEGS) {
    try {
      loadSegment(cpu, s, f.segSel[s]);
    } catch (e) {
      if (e !== FAULT) throw e;
      cpu.setSegNull(s, 0);
      note(m, 'segment', 'data segment reload failed: loaded null', f.segSel[s]);
    }
  }
  if (cpu.observer !== null) cpu.observer.monitorEntry(to === 3 ? 'iret to ring 3' : 'iret to ring 1');
  cpu.next = cpu.eip;
  try {
    iret(cpu, IRET32);
  } catch (e) {
    if (e !== FAULT) throw e;
    return fail(m, `cannot resume the guest at ${(f.segSel[CS] & 0xffff).toString(16)}:${(f.eip >>> 0).toString(16)} (fault ${cpu.excVector})`);
  }
  cpu.eip = cpu.next;
}

/**
 * Writes the guest's interrupt frame (EIP, CS, EFLAGS, ESP, SS of the virtual CPU, at `ring`,
 * with the real IOPL 0) at the top of the monitor stack; returns its offset.
 */
function writeFrame(m: SoftwareMonitor, ring: number): number {
  const f = m.v;
  const sp = OFF_STACK_TOP - 20;
  monW32(m, sp, f.eip);
  monW32(m, sp + 4, (f.segSel[CS] & ~3) | ring);
  monW32(m, sp + 8, f.flags & ~(IOPL | RF | VM));
  monW32(m, sp + 12, f.esp);
  monW32(m, sp + 16, (f.segSel[SS] & ~3) | ring);
  return sp;
}

/** A state the monitor cannot handle: the machine stops with a shutdown naming it. */
export function fail(m: SoftwareMonitor, why: string): void {
  const cpu = m.cpu;
  cpu.shutdown(`monitor: ${why}`);
}

/** Whether `sel` names one of the monitor's own GDT slots (MON_CS and above). */
function isMonitorSlot(sel: number): boolean {
  return (sel & 4) === 0 && sel >>> 3 >= GUEST_GDT_ENTRIES;
}
