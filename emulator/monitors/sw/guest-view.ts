/**
 * The guest as it sees itself under the software monitor (debuggers, `at`): read only, between
 * two instructions.
 */
import { hasErrorCode } from '../../cpu/fault';
import { CS, SS, ESP, IF, IOPL, RF, VM } from '../../cpu/constants';
import { probeTranslate } from '../../cpu/paging';
import type { SoftwareMonitor } from './monitor';
import { type RegisterFile, SEGS, DATA_SEGS } from './virtual-cpu';
import { lin } from './region';
import { OFF_STUBS, OFF_SYSENTER, STUB_SIZE } from './layout';

/**
 * Fills `out` with the guest's registers as the guest believes they are: its virtual CPL,
 * EIP, ESP, EFLAGS with the virtual IF and IOPL, CS and SS with the virtual RPL, its own
 * control and descriptor-table registers. Segment caches are the ones the CPU holds. The
 * general registers other than ESP are the CPU's (shared). Wherever the CPU stopped (in the
 * guest, or at a monitor entry point the dispatch loop has not run yet), nothing changes.
 * At an entry point, the view is the guest's state when the event happened: after its
 * SYSENTER, in its own handler; for a trap after an instruction (TF), before the guest's
 * handler is entered (the monitor reflects it when it runs).
 * Returns false when the guest's EIP, ESP and EFLAGS are not on the processor (a debugger
 * must not write them there).
 */
export function guestView(m: SoftwareMonitor, out: RegisterFile): boolean {
  const cpu = m.cpu;
  const v = m.v;
  if (m.inView) {
    out.capture(cpu);
    return true;
  }
  out.copyFrom(v);
  for (const s of SEGS) {
    out.segBase[s] = cpu.segBase[s];
    out.segLimit[s] = cpu.segLimit[s];
    out.segAR[s] = cpu.segAR[s];
  }
  if (cpu.cpl !== 0) {
    out.eip = cpu.eip;
    out.esp = cpu.regs[ESP];
    out.flags = (cpu.getFlags() & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
    for (const s of SEGS) out.segSel[s] = cpu.segSel[s];
    out.segSel[CS] = (cpu.segSel[CS] & ~3) | v.cpl;
    out.segSel[SS] = (cpu.segSel[SS] & ~3) | v.cpl;
    return true;
  }
  if (m.resumeInMonitor) return false; // the guest's state is the virtual file itself
  const at = cpu.eip >>> 0;
  if (at === lin(OFF_SYSENTER)) {
    // The guest's SYSENTER retired into the monitor's entry; for the guest it entered its own
    // handler (what enter() will make true): CPL 0 at its SYSENTER MSRs, IF, VM and RF clear.
    out.cpl = 0;
    out.eip = v.sysenterEip;
    out.esp = v.sysenterEsp;
    out.segSel[CS] = v.sysenterCs & 0xfffc;
    out.segSel[SS] = (v.sysenterCs + 8) & 0xfffc;
    out.flags = (cpu.getFlags() & ~(IF | IOPL | VM | RF)) | (v.flags & IOPL);
    for (const s of DATA_SEGS) out.segSel[s] = cpu.segSel[s];
    return false;
  }
  // At an entry stub: the frame the CPU pushed (as enter() reads it), without reading it twice.
  const vector = (at - lin(OFF_STUBS)) / STUB_SIZE;
  let sp = cpu.regs[ESP] >>> 0;
  if (Number.isInteger(vector) && vector >= 0 && vector < 32 && hasErrorCode(vector)) sp += 4;
  const word = (addr: number) => {
    const p = probeTranslate(cpu, addr);
    return p < 0 ? 0 : cpu.physRead32(p);
  };
  out.eip = word(sp);
  out.segSel[CS] = (word(sp + 4) & 0xfffc) | v.cpl;
  out.flags = (word(sp + 8) & ~(IF | IOPL)) | (v.flags & (IF | IOPL));
  out.esp = word(sp + 12);
  out.segSel[SS] = (word(sp + 16) & 0xfffc) | v.cpl;
  for (const s of DATA_SEGS) out.segSel[s] = cpu.segSel[s];
  return false;
}
