/**
 * Watchpoints on guest linear addresses, for debuggers: a range is watched for writes, reads
 * or both (access), like the debug registers' R/W field. Each range is translated through the
 * guest's page tables (guest-view.ts) when armed; writes to its physical pages take the CPU's
 * slow write path (the one that watches descriptor pages), reads its slow read path (a TLB
 * flag), and an access that overlaps a range stops the dispatch loop after the instruction
 * (Executor.run returns 'watchpoint'). Instruction fetches and the CPU's own implicit accesses
 * (page walks, descriptor loads) do not count. Nothing on the hot path changes when nothing is
 * watched, and disarming restores the fast paths.
 */
import type { Machine } from './machine';
import { guestTranslate } from './guest-view';

export type WatchKind = 'write' | 'read' | 'access';

export interface WatchRange {
  address: number; // guest linear address
  length: number; // bytes (1 to 4096)
  kind?: WatchKind; // default write
}

interface WatchedByte {
  phys: number;
  range: Required<WatchRange>;
}

export class MemoryWatch {
  private readonly machine: Machine;
  private ranges: Required<WatchRange>[] = [];
  private savedWrite: ((phys: number, size: number) => void) | null = null; // the write handler armed over
  private armed = false;
  /** The range the last hit touched (null: none since arm()). */
  hit: Required<WatchRange> | null = null;

  constructor(machine: Machine) {
    this.machine = machine;
  }

  set(ranges: Iterable<WatchRange>): void {
    this.ranges = [...ranges].map((r) => ({ address: r.address >>> 0, length: Math.max(1, Math.min(4096, r.length)), kind: r.kind ?? 'write' }));
  }

  get size(): number {
    return this.ranges.length;
  }

  /** Starts watching through the current page tables (ranges not mapped now cannot be accessed). */
  arm(): void {
    this.hit = null;
    if (this.ranges.length === 0 || this.armed) return;
    this.armed = true;
    const cpu = this.machine.cpu;
    const writes: WatchedByte[] = [];
    const reads: WatchedByte[] = [];
    for (const range of this.ranges) {
      for (let k = 0; k < range.length; k++) {
        const phys = guestTranslate(this.machine, (range.address + k) >>> 0);
        if (phys < 0) continue;
        if (range.kind !== 'read') {
          writes.push({ phys, range });
          cpu.watchDescriptorPage(phys >>> 12);
        }
        if (range.kind !== 'write') {
          reads.push({ phys, range });
          cpu.watchReadPage(phys >>> 12);
        }
      }
    }
    const check = (list: WatchedByte[], at: number, size: number) => {
      for (const b of list) {
        if (b.phys >= at && b.phys < at + size) {
          this.hit = b.range;
          cpu.watchHit = true;
          cpu.brk = true;
          return;
        }
      }
    };
    if (writes.length > 0) {
      const before = cpu.onWatchedWrite;
      this.savedWrite = before;
      cpu.onWatchedWrite = (at, size) => {
        before(at, size);
        check(writes, at, size);
      };
    }
    if (reads.length > 0) cpu.onWatchedRead = (at, size) => check(reads, at, size);
  }

  disarm(): void {
    if (!this.armed) return;
    this.armed = false;
    const cpu = this.machine.cpu;
    if (this.savedWrite !== null) cpu.onWatchedWrite = this.savedWrite;
    this.savedWrite = null;
    cpu.onWatchedRead = () => {};
    cpu.unwatchReads();
  }
}
