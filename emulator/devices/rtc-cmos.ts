/**
 * The CMOS real-time clock (Motorola MC146818A, as QEMU's mc146818rtc) at 0x70/0x71, with the
 * CMOS contents QEMU 7.2 and SeaBIOS leave on the `pc` machine.
 *
 * Ports: 0x70 (write) selects the register (bits 6-0); bit 7 is the NMI mask of the PC, stored
 * (`nmiMasked`) but without effect, since nothing in ringside drives the chipset's NMI line;
 * reading 0x70 gives 0xFF (write-only, as QEMU). 0x71 reads and writes the selected register.
 *
 * Time. Guest time is the instruction count, one instruction one nanosecond: the clock reads
 * RTC_START (2024-01-01 00:00:00, a Monday) plus floor(icount / 10^9) seconds. Nothing else
 * moves it, so a run, its replay and a seek read the same date. The 32.768 kHz oscillator that
 * drives the periodic interrupt ticks when floor(icount * 32768 / 10^9) increases.
 *
 * Registers:
 *   0x00 0x02 0x04  seconds, minutes, hours (12-hour mode: bit 7 = PM)
 *   0x01 0x03 0x05  their alarms (0xC0-0xFF: "don't care")
 *   0x06 0x07 0x08 0x09  day of week (1 = Sunday), day of month, month, year (of the century)
 *   0x0A  status A: bit 7 UIP (set in the last 244 us of each second), bits 6-4 divider
 *         (stored; the clock always runs), bits 3-0 periodic rate (3-15: 32768 >> (rate - 1) Hz;
 *         1 and 2: 256 and 128 Hz, as the datasheet says; 0: none)
 *   0x0B  status B: bit 7 SET (updates stop; the time registers take writes, the clock restarts
 *         from them when SET is cleared), 6 PIE, 5 AIE, 4 UIE, 3 SQWE (stored), 2 DM (1: binary,
 *         0: BCD), 1 24/12 (1: 24-hour), 0 DSE (stored, no daylight saving)
 *   0x0C  status C (read-only, cleared by a read): 7 IRQF, 6 PF (a periodic tick), 5 AF (the
 *         time matched the alarm), 4 UF (an update, once a second); IRQ 8 is raised while IRQF is
 *         set and lowered by the read
 *   0x0D  status D: 0x80 (valid RAM and time)
 *   0x0E-0x7F  CMOS RAM, read/write; initially QEMU's contents (floppy type 0x50, equipment
 *         0x07, base memory 640 KiB, extended memory, century 0x20 at 0x32 and 0x37, boot flags).
 * Writing a time register while SET is clear changes the time at once (QEMU does the same).
 * Not emulated: the square-wave output, the divider's reset and stop settings, daylight saving.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const RTC_INDEX = 0x70;
export const RTC_DATA = 0x71;
/** The fixed start of the guest's clock: 2024-01-01 00:00:00 (seconds since 1970). */
export const RTC_START = Date.UTC(2024, 0, 1) / 1000;
const NS = 1_000_000_000;
const UIP_NS = 244_000; // UIP is set this long before each update
const REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d;
const B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02;
const C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
const MIB = 0x100000;

/** 32.768 kHz ticks at instruction count `icount` (exact for any count below 2^53). */
function oscTicks(icount: number): number {
  const q = Math.floor(icount / NS);
  return q * 32768 + Math.floor(((icount - q * NS) * 32768) / NS);
}

/** The first instruction count at which oscTicks reaches `t`. */
function oscTime(t: number): number {
  const q = Math.floor(t / 32768);
  return q * NS + Math.ceil(((t - q * 32768) * NS) / 32768);
}

const toBcd = (v: number) => (Math.floor(v / 10) << 4) | (v % 10);
const fromBcd = (v: number) => (v >>> 4) * 10 + (v & 0xf);

/** QEMU's CMOS RAM contents for a RAM of `ramSize` bytes (indexes 0x0E-0x7F). */
function firmwareCmos(ramSize: number, lowRamTop: number): Uint8Array {
  const c = new Uint8Array(128);
  c[REG_A] = 0x26;
  c[REG_B] = B_24H;
  c[REG_D] = 0x80;
  c[0x10] = 0x50; // floppy drive 0: 2.88 MB
  c[0x14] = 0x07; // equipment: floppy, FPU, VGA
  c[0x15] = 0x80; // base memory 640 KiB (0x0280)
  c[0x16] = 0x02;
  const ext = Math.min(0xffff, Math.floor((ramSize - MIB) / 1024)); // KiB above 1 MiB
  c[0x17] = c[0x30] = ext & 0xff;
  c[0x18] = c[0x31] = ext >>> 8;
  const above16 = lowRamTop > 16 * MIB ? Math.min(0xffff, Math.floor((lowRamTop - 16 * MIB) / 0x10000)) : 0;
  c[0x34] = above16 & 0xff;
  c[0x35] = above16 >>> 8;
  c[0x32] = c[0x37] = 0x20; // century (BCD)
  c[0x38] = 0x30; // boot: no floppy signature check
  c[0x3d] = 0x12; // boot order: floppy, then hard disk
  return c;
}

export class RtcCmos implements PortDevice {
  private index = 0;
  nmiMasked = false; // port 0x70 bit 7
  private readonly cmos: Uint8Array;
  private base = RTC_START; // clock seconds at instruction count `baseAt`...
  private baseAt = 0; // ...(a second boundary of the clock)
  private frozen = -1; // SET: the clock seconds held while updates are stopped (-1: running)
  private flags = 0; // C bits 6-4 latched at the last `sync`
  private syncedAt = 0; // instruction count up to which flags are computed
  private line = false; // IRQ 8

  constructor(
    private readonly clock: () => number, // retired-instruction count
    private readonly irq8: (high: boolean) => void,
    ramSize: number,
    lowRamTop: number,
    private readonly irq8Wakes: () => boolean = () => true, // whether IRQ 8 would interrupt the CPU
  ) {
    this.cmos = firmwareCmos(ramSize, lowRamTop);
  }

  // ---------------------------------------------------------------- time

  /** Clock seconds (since 1970) at instruction count `now`. */
  private seconds(now: number): number {
    if (this.frozen >= 0) return this.frozen;
    return this.base + Math.floor((now - this.baseAt) / NS);
  }

  /** Restarts the clock at `secs` from `now` (the next update one second later). */
  private setSeconds(secs: number, now: number): void {
    this.base = secs;
    this.baseAt = now;
  }

  private periodTicks(): number {
    const rate = this.cmos[REG_A] & 0x0f;
    if (rate === 0) return 0;
    return 1 << ((rate <= 2 ? rate + 7 : rate) - 1); // rates 1 and 2: 256 and 128 Hz
  }

  /** Latches PF, UF and AF for everything that happened up to `now`. */
  private sync(now: number): void {
    const from = this.syncedAt;
    if (now <= from) return;
    const p = this.periodTicks();
    if (p > 0 && Math.floor(oscTicks(now) / p) > Math.floor(oscTicks(from) / p)) this.flags |= C_PF;
    if (this.frozen < 0) {
      const s0 = this.seconds(from), s1 = this.seconds(now);
      if (s1 > s0) {
        this.flags |= C_UF;
        const limit = Math.min(s1, s0 + 86400);
        for (let s = s0 + 1; s <= limit; s++) {
          if (this.alarmMatches(s)) {
            this.flags |= C_AF;
            break;
          }
        }
      }
    }
    this.syncedAt = now;
  }

  private alarmMatches(secs: number): boolean {
    const t = new Date(secs * 1000);
    const pairs: [number, number][] = [[0x01, t.getUTCSeconds()], [0x03, t.getUTCMinutes()], [0x05, t.getUTCHours()]];
    for (const [reg, v] of pairs) {
      const a = this.cmos[reg];
      if ((a & 0xc0) === 0xc0) continue;
      if (this.decode(reg, a) !== v) return false;
    }
    return true;
  }

  private irqf(): boolean {
    const b = this.cmos[REG_B];
    return ((this.flags & C_PF && b & B_PIE) || (this.flags & C_AF && b & B_AIE) || (this.flags & C_UF && b & B_UIE)) !== 0;
  }

  private updateLine(): void {
    const want = this.irqf();
    if (want !== this.line) {
      this.line = want;
      this.irq8(want);
    }
  }

  /** Instruction count of the next event that could raise IRQ 8; Infinity when none. */
  nextDeadline(): number {
    if (this.line) return Infinity; // IRQ 8 stays high until status C is read
    const b = this.cmos[REG_B];
    const now = this.syncedAt;
    let d = Infinity;
    const p = this.periodTicks();
    if (b & B_PIE && p > 0) d = oscTime((Math.floor(oscTicks(now) / p) + 1) * p);
    if (b & (B_UIE | B_AIE) && this.frozen < 0) {
      const next = this.baseAt + (Math.floor((now - this.baseAt) / NS) + 1) * NS;
      if (next < d) d = next;
    }
    return d;
  }

  /** Whether raising IRQ 8 could wake a halted CPU. */
  canWake(): boolean {
    return this.irq8Wakes();
  }

  advance(now: number): void {
    this.sync(now);
    this.updateLine();
  }

  // ---------------------------------------------------------------- registers

  /** A time register's value as the guest's format (BCD/binary, 12/24 hours) stores it, decoded. */
  private decode(reg: number, v: number): number {
    const b = this.cmos[REG_B];
    if (reg === 0x04 || reg === 0x05) {
      const pm = (b & B_24H) === 0 && (v & 0x80) !== 0;
      let h = b & B_DM ? v & 0x7f : fromBcd(v & 0x7f);
      if ((b & B_24H) === 0) h = (h % 12) + (pm ? 12 : 0);
      return h;
    }
    return b & B_DM ? v : fromBcd(v);
  }

  private encode(reg: number, v: number): number {
    const b = this.cmos[REG_B];
    if ((reg === 0x04 || reg === 0x05) && (b & B_24H) === 0) {
      const h12 = v % 12 === 0 ? 12 : v % 12;
      return (b & B_DM ? h12 : toBcd(h12)) | (v >= 12 ? 0x80 : 0);
    }
    return b & B_DM ? v : toBcd(v);
  }

  /** The date fields at clock seconds `secs`: [sec, min, hour, dow, day, month, year%100]. */
  private fields(secs: number): number[] {
    const t = new Date(secs * 1000);
    return [t.getUTCSeconds(), t.getUTCMinutes(), t.getUTCHours(), t.getUTCDay() + 1, t.getUTCDate(), t.getUTCMonth() + 1, t.getUTCFullYear() % 100];
  }

  private readRegister(reg: number, now: number): number {
    const timeRegs = [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09];
    const k = timeRegs.indexOf(reg);
    if (k >= 0) return this.encode(reg, this.fields(this.seconds(now))[k]);
    if (reg === REG_A) {
      const uip = this.frozen < 0 && (now - this.baseAt) % NS >= NS - UIP_NS;
      return (this.cmos[REG_A] & 0x7f) | (uip ? 0x80 : 0);
    }
    if (reg === REG_C) {
      this.sync(now);
      const v = this.flags | (this.irqf() ? C_IRQF : 0);
      this.flags = 0;
      this.updateLine();
      return v;
    }
    if (reg === REG_D) return 0x80;
    return this.cmos[reg];
  }

  private writeRegister(reg: number, v: number, now: number): void {
    const timeRegs = [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09];
    const k = timeRegs.indexOf(reg);
    if (k >= 0) {
      const f = this.fields(this.seconds(now));
      f[k] = this.decode(reg, v);
      const century = fromBcd(this.cmos[0x32]) * 100;
      const secs = Date.UTC(century + f[6], f[5] - 1, f[4], f[2], f[1], f[0]) / 1000;
      if (Number.isFinite(secs)) {
        if (this.frozen >= 0) this.frozen = secs;
        else this.setSeconds(secs, now);
      }
      return;
    }
    if (reg === REG_C || reg === REG_D) return; // read-only
    this.sync(now);
    if (reg === REG_B) {
      const was = this.cmos[REG_B];
      if (v & B_SET && !(was & B_SET)) this.frozen = this.seconds(now);
      if (!(v & B_SET) && was & B_SET) {
        this.setSeconds(this.frozen, now);
        this.frozen = -1;
      }
      // Changing the data mode or hour format re-encodes nothing: time registers are computed.
      this.cmos[REG_B] = v;
      this.updateLine();
      return;
    }
    if (reg === REG_A) {
      this.cmos[REG_A] = v & 0x7f;
      return;
    }
    this.cmos[reg] = v;
  }

  portIn(port: number, size: AccessSize): number {
    let v = 0xff;
    if (port === RTC_DATA) v = this.readRegister(this.index, this.clock());
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  portOut(port: number, value: number, _size: AccessSize): void {
    if (port === RTC_INDEX) {
      this.index = value & 0x7f;
      this.nmiMasked = (value & 0x80) !== 0;
    } else if (port === RTC_DATA) this.writeRegister(this.index, value & 0xff, this.clock());
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): Uint8Array {
    return sealState('RTCC', 1, (w) => {
      w.u8(this.index);
      w.bool(this.nmiMasked);
      w.bytes(this.cmos);
      w.f64(this.base);
      w.f64(this.baseAt);
      w.f64(this.frozen);
      w.u8(this.flags);
      w.f64(this.syncedAt);
      w.bool(this.line);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('RTCC', 1, bytes, 'RTC state');
    const index = r.u8(), nmi = r.bool(), cmos = r.bytes();
    const base = r.f64(), baseAt = r.f64(), frozen = r.f64(), flags = r.u8(), syncedAt = r.f64(), line = r.bool();
    r.end();
    if (cmos.length !== 128) r.fail(`${cmos.length} CMOS bytes, expected 128`);
    this.index = index;
    this.nmiMasked = nmi;
    this.cmos.set(cmos);
    this.base = base;
    this.baseAt = baseAt;
    this.frozen = frozen;
    this.flags = flags;
    this.syncedAt = syncedAt;
    this.line = line;
  }
}
