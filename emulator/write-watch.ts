/**
 * Write watchpoints on guest linear addresses, for debuggers: each watched range is
 * translated through the guest's page tables (guest-view.ts) when armed, its physical pages
 * send writes down the CPU's slow path (the one that watches descriptor pages), and a write
 * that overlaps a range stops the dispatch loop after the writing instruction
 * (Executor.run returns 'watchpoint'). The hot path is not touched when nothing is watched.
 */
import type { Machine } from './machine';
import { guestTranslate } from './guest-view';

export interface WatchRange {
  address: number; // guest linear address
  length: number; // bytes (1 to 4096)
}

export class WriteWatch {
  private readonly machine: Machine;
  private ranges: WatchRange[] = [];
  private saved: ((phys: number, size: number) => void) | null = null; // the handler armed over
  /** The linear address of the range the last hit wrote (-1: none since arm()). */
  hit = -1;

  constructor(machine: Machine) {
    this.machine = machine;
  }

  set(ranges: Iterable<WatchRange>): void {
    this.ranges = [...ranges].map((r) => ({ address: r.address >>> 0, length: Math.max(1, Math.min(4096, r.length)) }));
  }

  get size(): number {
    return this.ranges.length;
  }

  /** Starts watching through the current page tables (ranges not mapped now cannot be written). */
  arm(): void {
    this.hit = -1;
    if (this.ranges.length === 0 || this.saved !== null) return;
    const cpu = this.machine.cpu;
    const bytes: { phys: number; lin: number }[] = []; // one per watched byte that is mapped
    for (const r of this.ranges) {
      for (let k = 0; k < r.length; k++) {
        const p = guestTranslate(this.machine, (r.address + k) >>> 0);
        if (p < 0) continue;
        bytes.push({ phys: p, lin: r.address });
        cpu.watchDescriptorPage(p >>> 12);
      }
    }
    const before = cpu.onWatchedWrite;
    this.saved = before;
    cpu.onWatchedWrite = (at, size) => {
      before(at, size);
      for (const b of bytes) {
        if (b.phys >= at && b.phys < at + size) {
          this.hit = b.lin;
          cpu.watchHit = true;
          cpu.brk = true;
        }
      }
    };
  }

  disarm(): void {
    if (this.saved === null) return;
    this.machine.cpu.onWatchedWrite = this.saved;
    this.saved = null;
  }
}
