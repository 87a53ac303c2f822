/**
 * Taking snapshots while recording: CPU and device state, and RAM as dirty-page deltas (the
 * first snapshot holds every non-zero page; each later one the pages written since the
 * previous one, as the TLB's write tracking marked them).
 */
import type { Machine } from '../emulator/machine';
import { saveMachineState, packPages } from '../emulator/snapshot';
import type { StoredSnapshot } from './timeline';

export function takeSnapshot(m: Machine, first: boolean): StoredSnapshot {
  const cpu = m.cpu;
  const pages: number[] = [];
  if (first) {
    // At the start, RAM holds only what the firmware and the loader wrote; everything else is zero.
    const set = new Set<number>();
    for (const r of [...m.firmwareRanges, ...m.image.ranges]) for (let p = r.start >>> 12; p < (r.end + 4095) >>> 12; p++) set.add(p);
    for (let p = 0; p < cpu.pageWritten.length; p++) if (cpu.pageWritten[p] !== 0) set.add(p);
    pages.push(...[...set].filter((p) => p < cpu.pageWritten.length).sort((a, b) => a - b));
  } else {
    for (let p = 0; p < cpu.pageWritten.length; p++) if (cpu.pageWritten[p] !== 0) pages.push(p);
  }
  const packed = packPages(cpu.ram, pages);
  cpu.clearWrittenPages();
  const state = saveMachineState(m);
  return { icount: cpu.icount, cpu: state.cpu, devices: state.devices, pages: packed };
}
