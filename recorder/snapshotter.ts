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
    const words = cpu.ram32;
    for (let p = 0; p < cpu.pageWritten.length; p++) {
      const base = p << 10;
      for (let w = 0; w < 1024; w++) {
        if (words[base + w] !== 0) {
          pages.push(p);
          break;
        }
      }
    }
  } else {
    for (let p = 0; p < cpu.pageWritten.length; p++) if (cpu.pageWritten[p] !== 0) pages.push(p);
  }
  const packed = packPages(cpu.ram, pages);
  cpu.clearWrittenPages();
  const state = saveMachineState(m);
  return { icount: cpu.icount, cpu: state.cpu, devices: state.devices, pages: packed };
}
