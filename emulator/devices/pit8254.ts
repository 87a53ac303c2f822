/**
 * The 8254 programmable interval timer at 0x40-0x43: three 16-bit down counters clocked at
 * 1.193182 MHz. Channel 0's output is ISA IRQ 0; channel 1 (DRAM refresh on old PCs) is not
 * connected; channel 2's gate and output are bits 0 and 5 of port 0x61 (pc-speaker.ts).
 * Documented against the Intel 8254 datasheet; where it leaves a choice, QEMU's i8254 is
 * followed.
 *
 * Time. The counters tick once every PIT_TICK_INSTRUCTIONS = 838 retired instructions: tick n
 * happens when the instruction count reaches 838 * n. With one instruction taken as one
 * nanosecond (QEMU's `-icount shift=0`, and the rate at which ringside's local APIC timer
 * counts), a tick is 838 ns, the 8254's 838.1 ns period to 0.01 %. Nothing else moves the
 * counters: runs, replays and seeks see the same counts.
 *
 * Control word (0x43): bits 7-6 select the channel (11: read-back), bits 5-4 the access
 * (00 counter latch, 01 LSB, 10 MSB, 11 LSB then MSB), bits 3-1 the mode (6 and 7 are modes
 * 2 and 3), bit 0 BCD. Writing one puts the channel in the "null count" state: counting stops,
 * OUT goes low in mode 0 and high in the other modes, until a complete count is written.
 * Read-back: bit 5 clear latches the counts, bit 4 clear latches the status bytes (OUT in
 * bit 7, bit 6 null count, then the access, mode and BCD bits) of the channels in bits 3-1.
 * A latched status is read before a latched count; a latch holds until read, a second latch
 * of the same kind is ignored.
 *
 * Counting (d = ticks counted since the count was loaded or the channel triggered; N = the
 * count, 0 meaning 65536, or 10000 in BCD):
 *   mode 0  interrupt on terminal count: OUT low, high from d = N on; the counter wraps.
 *   mode 1  hardware one-shot: starts on a rising GATE edge; OUT low from then until d = N.
 *   mode 2  rate generator: OUT low for one tick when the counter reaches 1, period N.
 *   mode 3  square wave: OUT high for ceil(N/2) ticks, low for floor(N/2), period N; the
 *           counter reads N - (2d mod N) (decrements by 2, as QEMU shows it).
 *   mode 4  software strobe: OUT low for the one tick at d = N.
 *   mode 5  hardware strobe: as mode 4, started by a rising GATE edge.
 * GATE: low suspends counting in modes 0, 2, 3 and 4 (modes 2 and 3 then hold OUT high); a
 * rising edge restarts modes 1, 2, 3 and 5 from N. Channels 0 and 1 have GATE tied high.
 * A new count takes effect at once (QEMU; the datasheet lets modes 2 and 3 finish the period).
 * The first tick after a count is written counts (the datasheet spends it loading the count).
 *
 * IRQ 0 follows channel 0's OUT (a rising edge requests an interrupt from the 8259 or an
 * edge-triggered I/O APIC entry; a level-triggered entry sees the level); `nextDeadline()` is
 * the instruction count of OUT's next change, so the executor stops there exactly.
 *
 * State after the firmware (read back from QEMU): channel 0 in mode 2 with LSB/MSB access and
 * count 65536 (SeaBIOS's 18.2 Hz tick: IRQ 0 every 65536 ticks), channels 1 and 2 in QEMU's
 * power-on mode 3 with count 65536 and access field 0 (which QEMU, and ringside, treat as LSB
 * only); all counting since instruction 0; channel 2's gate low.
 */
import { BytePortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const PIT_PORT = 0x40;
export const PIT_TICK_INSTRUCTIONS = 838;
export const PIT_HZ = 1193182;

const ACCESS_LATCH = 0;
const ACCESS_LSB = 1;
const ACCESS_MSB = 2;
const ACCESS_WORD = 3;

/** The tick (of the 1.193182 MHz clock) at instruction count `icount`. */
export function pitTick(icount: number): number {
  return Math.floor(icount / PIT_TICK_INSTRUCTIONS);
}

class Channel {
  mode = 3;
  bcd = false;
  access = ACCESS_WORD;
  count = 0x10000; // N, as a tick count (1..65536 or 1..10000)
  armed = true; // counting (a complete count was written, and for modes 1/5 triggered)
  nullCount = false; // a control word was written and no complete count yet
  gate = true;
  start = 0; // tick at which counting (re)started or resumed
  frozen = 0; // ticks counted before `start` (kept while the gate suspends counting)
  writeLsbNext = true; // ACCESS_WORD: the next write is the LSB
  pendingLsb = 0; // LSB written, waiting for the MSB
  readLsbNext = true; // ACCESS_WORD: the next read is the LSB
  latched = false; // count latched
  latchValue = 0;
  latchLsbNext = true;
  statusLatched = false;
  statusValue = 0;

  /** Whether ticks are counted now. */
  running(): boolean {
    if (!this.armed) return false;
    if (this.mode === 1 || this.mode === 5) return true;
    return this.gate;
  }

  /** Ticks counted at tick `now`. */
  elapsed(now: number): number {
    return this.frozen + (this.running() ? now - this.start : 0);
  }

  out(now: number): boolean {
    const m = this.mode;
    if (!this.armed) return m !== 0;
    if ((m === 2 || m === 3) && !this.gate) return true;
    const d = this.elapsed(now);
    const n = this.count;
    switch (m) {
      case 0: return d >= n;
      case 1: return d >= n;
      case 2: return n === 1 || d % n !== n - 1;
      case 3: return d % n < (n + 1) >>> 1;
      default: return d !== n; // 4, 5
    }
  }

  /** The counter's value (CE) at tick `now`, as the guest reads it (BCD when selected). */
  value(now: number): number {
    const n = this.count;
    let v: number;
    if (!this.armed) v = n;
    else {
      const d = this.elapsed(now);
      const wrap = this.bcd ? 10000 : 0x10000;
      switch (this.mode) {
        case 2: v = n - (d % n); break;
        case 3: v = n - ((2 * d) % n); break;
        default: v = (((n - d) % wrap) + wrap) % wrap;
      }
    }
    return this.bcd ? toBcd(v % 10000) : v & 0xffff;
  }

  status(now: number): number {
    return (this.out(now) ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.access << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  /** The next tick > `after` at which OUT changes, or Infinity. */
  nextChange(after: number): number {
    if (!this.running()) return Infinity;
    const n = this.count;
    const d = this.elapsed(after); // ticks counted at tick `after`
    const at = (target: number) => after + (target - d); // tick at which `target` ticks are counted
    /** The first count > d that is `o` modulo n. */
    const periodic = (o: number) => (Math.floor((d - o) / n) + 1) * n + o;
    switch (this.mode) {
      case 0:
      case 1:
        return d < n ? at(n) : Infinity;
      case 2:
        return n === 1 ? Infinity : at(Math.min(periodic(0), periodic(n - 1)));
      case 3:
        return n === 1 ? Infinity : at(Math.min(periodic(0), periodic((n + 1) >>> 1)));
      default:
        return d < n ? at(n) : d < n + 1 ? at(n + 1) : Infinity;
    }
  }
}

function toBcd(v: number): number {
  return (v % 10) | (Math.floor(v / 10) % 10) << 4 | (Math.floor(v / 100) % 10) << 8 | (Math.floor(v / 1000) % 10) << 12;
}

function fromBcd(v: number): number {
  return (v & 0xf) + ((v >>> 4) & 0xf) * 10 + ((v >>> 8) & 0xf) * 100 + ((v >>> 12) & 0xf) * 1000;
}

export class Pit8254 extends BytePortDevice {
  private readonly ch = [new Channel(), new Channel(), new Channel()] as const;
  private line = false; // the level of IRQ 0 (channel 0's OUT as last propagated)
  private deadlineTick = Infinity; // tick of channel 0's next OUT change

  constructor(
    private readonly clock: () => number, // retired-instruction count
    private readonly irq0: (high: boolean) => void, // ISA IRQ 0
    private readonly irq0Wakes: () => boolean = () => true, // whether an IRQ 0 edge would interrupt the CPU
  ) {
    super();
    // QEMU's power-on state (mode 3, access field 0: single-byte LSB transfers, as QEMU treats
    // it), then SeaBIOS's programming of channel 0 (mode 2, LSB/MSB, count 0 = 65536).
    for (const c of this.ch) c.access = ACCESS_LATCH;
    this.ch[0].mode = 2;
    this.ch[0].access = ACCESS_WORD;
    this.ch[2].gate = false;
    this.line = this.ch[0].out(pitTick(clock()));
    this.deadlineTick = this.ch[0].nextChange(pitTick(clock()));
  }

  // ---------------------------------------------------------------- timing

  /** Instruction count of the next change of IRQ 0; Infinity when none will come. */
  nextDeadline(): number {
    return this.deadlineTick * PIT_TICK_INSTRUCTIONS;
  }

  /** Whether the next IRQ 0 edge could wake a halted CPU. */
  canWake(): boolean {
    return this.irq0Wakes();
  }

  /** Drives IRQ 0 to channel 0's OUT at instruction count `now` (the deadline has come). */
  advance(now: number): void {
    if (pitTick(now) < this.deadlineTick) return;
    this.update();
  }

  /** Propagates channel 0's OUT to IRQ 0 and schedules its next change. */
  private update(): void {
    const now = pitTick(this.clock());
    const out = this.ch[0].out(now);
    if (out !== this.line) {
      this.line = out;
      this.irq0(out);
    }
    this.deadlineTick = this.ch[0].nextChange(now);
  }

  // ---------------------------------------------------------------- channel 2 (port 0x61)

  gate2(): boolean {
    return this.ch[2].gate;
  }

  setGate2(high: boolean): void {
    const c = this.ch[2];
    if (c.gate === high) return;
    const now = pitTick(this.clock());
    const triggered = c.mode === 1 || c.mode === 5;
    if (high) {
      // modes 1, 2, 3, 5: restart from N; modes 0 and 4: resume
      if ((triggered || c.mode === 2 || c.mode === 3) && !c.nullCount) {
        c.armed = true;
        c.frozen = 0;
      }
      c.start = now;
    } else if (!triggered && c.running()) {
      c.frozen = c.elapsed(now); // suspend
    }
    c.gate = high;
  }

  out2(): boolean {
    return this.ch[2].out(pitTick(this.clock()));
  }

  // ---------------------------------------------------------------- ports


  protected readByte(port: number): number {
    const k = port - PIT_PORT;
    if (k < 0 || k > 2) return 0xff; // the control port is write-only
    const c = this.ch[k];
    const now = pitTick(this.clock());
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.statusValue;
    }
    if (c.latched) {
      const v = c.latchValue;
      if (c.access === ACCESS_LSB || c.access === ACCESS_LATCH) { c.latched = false; return v & 0xff; }
      if (c.access === ACCESS_MSB) { c.latched = false; return (v >>> 8) & 0xff; }
      if (c.latchLsbNext) { c.latchLsbNext = false; return v & 0xff; }
      c.latched = false;
      return (v >>> 8) & 0xff;
    }
    const v = c.value(now);
    if (c.access === ACCESS_LSB || c.access === ACCESS_LATCH) return v & 0xff;
    if (c.access === ACCESS_MSB) return (v >>> 8) & 0xff;
    const lsb = c.readLsbNext;
    c.readLsbNext = !lsb;
    return lsb ? v & 0xff : (v >>> 8) & 0xff;
  }

  protected writeByte(port: number, v: number): void {
    const k = port - PIT_PORT;
    const now = pitTick(this.clock());
    if (k === 3) {
      this.control(v, now);
      this.update();
      return;
    }
    if (k < 0 || k > 2) return;
    const c = this.ch[k];
    let count: number;
    if (c.access === ACCESS_LSB || c.access === ACCESS_LATCH) count = v;
    else if (c.access === ACCESS_MSB) count = v << 8;
    else if (c.writeLsbNext) {
      c.pendingLsb = v;
      c.writeLsbNext = false;
      return;
    } else {
      count = c.pendingLsb | (v << 8);
      c.writeLsbNext = true;
    }
    this.load(c, count, now);
    this.update();
  }

  private control(v: number, now: number): void {
    const sel = v >>> 6;
    if (sel === 3) {
      for (let k = 0; k < 3; k++) {
        if ((v & (2 << k)) === 0) continue;
        const c = this.ch[k];
        if ((v & 0x10) === 0 && !c.statusLatched) {
          c.statusLatched = true;
          c.statusValue = c.status(now);
        }
        if ((v & 0x20) === 0) this.latch(c, now);
      }
      return;
    }
    const c = this.ch[sel];
    const access = (v >>> 4) & 3;
    if (access === ACCESS_LATCH) {
      this.latch(c, now);
      return;
    }
    c.access = access;
    c.mode = (v >>> 1) & 7;
    if (c.mode >= 6) c.mode -= 4;
    c.bcd = (v & 1) !== 0;
    c.armed = false;
    c.nullCount = true;
    c.frozen = 0;
    c.writeLsbNext = true;
    c.readLsbNext = true;
    c.latched = false;
    c.statusLatched = false;
  }

  private latch(c: Channel, now: number): void {
    if (c.latched) return;
    c.latched = true;
    c.latchLsbNext = true;
    c.latchValue = c.value(now);
  }

  private load(c: Channel, raw: number, now: number): void {
    let n = c.bcd ? fromBcd(raw) : raw;
    if (n === 0) n = c.bcd ? 10000 : 0x10000;
    c.count = n;
    c.nullCount = false;
    c.frozen = 0;
    c.start = now;
    c.armed = c.mode === 1 || c.mode === 5 ? false : true;
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): Uint8Array {
    return sealState('PIT4', 1, (w) => {
      for (const c of this.ch) {
        w.u8(c.mode);
        w.u8(c.access);
        w.f64(c.count);
        w.f64(c.start);
        w.f64(c.frozen);
        w.u8(c.pendingLsb);
        w.u16(c.latchValue);
        w.u8(c.statusValue);
        for (const b of [c.bcd, c.armed, c.nullCount, c.gate, c.writeLsbNext, c.readLsbNext, c.latched, c.latchLsbNext, c.statusLatched]) w.bool(b);
      }
      w.bool(this.line);
      w.f64(this.deadlineTick); // may be due now and not yet delivered: kept, not recomputed
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('PIT4', 1, bytes, '8254 PIT state');
    const saved = this.ch.map(() => {
      const mode = r.u8(), access = r.u8();
      const count = r.int('count', 1, 0x10000), start = r.int('start', 0, Number.MAX_SAFE_INTEGER), frozen = r.int('frozen', 0, Number.MAX_SAFE_INTEGER);
      const pendingLsb = r.u8(), latchValue = r.u16(), statusValue = r.u8();
      const b = [r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool()];
      if (mode > 5 || access > 3) r.fail(`bad mode ${mode} or access ${access}`);
      return { mode, access, count, start, frozen, pendingLsb, latchValue, statusValue, b };
    });
    const line = r.bool();
    const deadlineTick = r.f64();
    if (deadlineTick !== Infinity && !(Number.isInteger(deadlineTick) && deadlineTick >= 0)) r.fail(`bad deadline ${deadlineTick}`);
    r.end();
    saved.forEach((s, k) => {
      const c = this.ch[k];
      c.mode = s.mode; c.access = s.access; c.count = s.count; c.start = s.start; c.frozen = s.frozen;
      c.pendingLsb = s.pendingLsb; c.latchValue = s.latchValue; c.statusValue = s.statusValue;
      [c.bcd, c.armed, c.nullCount, c.gate, c.writeLsbNext, c.readLsbNext, c.latched, c.latchLsbNext, c.statusLatched] = s.b;
    });
    this.line = line;
    this.deadlineTick = deadlineTick;
  }
}
