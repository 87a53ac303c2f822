/**
 * The lines `run` and `record` print on stderr at the end of a run when stderr is a terminal:
 * the ports (and memory-mapped pages) the guest touched that no device of ringside emulates,
 * and where a guest that halted for good stopped.
 */
import type { Machine } from '../emulator/machine';
import { CS, IF } from '../emulator/cpu/constants';

const hex = (n: number, digits: number) => '0x' + (n >>> 0).toString(16).padStart(digits, '0');

export function endNotes(m: Machine, result: { reason: string; icount: number }): string[] {
  const notes: string[] = [];
  const ports = m.io.unclaimed();
  const pages = m.mmio.unclaimed();
  if (ports.length > 0 || pages.length > 0) {
    const items = [
      ...ports.map((p) => `port ${hex(p.port, 2)} (${p.count}x)`),
      ...pages.map((p) => `MMIO page ${hex(p.page, 8)} (${p.count}x)`),
    ];
    notes.push(`ringside: the guest touched what ringside does not emulate (reads all ones, writes ignored): ${items.join(', ')}`);
  }
  if (result.reason === 'halt') {
    const cpu = m.cpu;
    const at = (cpu.segBase[CS] + cpu.eip) >>> 0;
    const why = (cpu.flagsReg & IF) === 0 ? 'with interrupts disabled' : 'with no interrupt that could wake it';
    const name = m.symbols.lookup(at) === undefined ? '' : ` (${m.symbols.format(at)})`;
    notes.push(`ringside: the guest halted for good ${why}, at ${hex(at, 8)}${name}, after its HLT, icount ${result.icount}`);
  }
  return notes;
}
