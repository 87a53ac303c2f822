/**
 * Every timer of the machine as one clock for the executor: the earliest deadline of all, and
 * `advance` passes the count to each one whose deadline has come (in a fixed order, so
 * simultaneous deadlines always act in the same order).
 */
import type { DeviceClock } from '../cpu/cpu';

export class DeviceTimers implements DeviceClock {
  constructor(private readonly timers: readonly DeviceClock[]) {}

  nextDeadline(): number {
    let d = Infinity;
    for (const t of this.timers) {
      const x = t.nextDeadline();
      if (x < d) d = x;
    }
    return d;
  }

  /** Whether some timer with a deadline could wake a halted CPU. */
  canWake(): boolean {
    for (const t of this.timers) if (t.nextDeadline() !== Infinity && t.canWake?.() !== false) return true;
    return false;
  }

  advance(now: number): void {
    for (const t of this.timers) if (t.nextDeadline() <= now) t.advance(now);
  }
}
