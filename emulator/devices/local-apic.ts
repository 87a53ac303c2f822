/**
 * The local APIC of the single CPU, in xAPIC mode (MMIO page at 0xFEE00000, mapped by the
 * machine), following the Intel SDM vol. 3A chapter 10 ("Advanced Programmable Interrupt
 * Controller") and, where the SDM leaves room, QEMU's hw/intc/apic.c.
 *
 * Time is the retired-instruction count given by `clock()`: the timer's current count
 * drops by one every `divisor` instructions.
 *
 * Registers (offset: behaviour)
 *   0x020 ID        bits 24-31, read/write (QEMU keeps 8 bits), 0 at reset.
 *   0x030 Version   0x00050014, read-only: QEMU's value, an integrated APIC (0x14) with
 *                   six LVT entries (max LVT entry = 5 in bits 16-23).
 *   0x080 TPR       bits 0-7. `onTprWrite(old, new)` runs after every write.
 *   0x090 APR       read-only, computed per SDM 10.6.2.4 (QEMU returns 0).
 *   0x0A0 PPR       read-only, computed per SDM 10.8.3.1.
 *   0x0B0 EOI       write-only (reads 0): clears the highest ISR bit, then `onEoi(vector)`;
 *                   nothing happens (and no hook runs) when ISR is empty.
 *   0x0D0 LDR       bits 24-31.   0x0E0 DFR  bits 28-31, the rest reads 1 (reset all ones).
 *   0x0F0 SVR       bits 0-8 (QEMU's mask), reset 0xFF. Clearing bit 8 software-disables
 *                   the APIC: every LVT mask bit is set and cannot be cleared until bit 8 is
 *                   set again (SDM 10.4.7.2).
 *   0x100-0x170 ISR, 0x180-0x1F0 TMR, 0x200-0x270 IRR: read-only. TMR is set for a vector
 *                   the I/O APIC delivers level-triggered (`raise(v, true)`) and cleared for
 *                   an edge-triggered one; the EOI of a vector with its TMR bit set is
 *                   broadcast to the I/O APIC (`onLevelEoi`), which clears its remote IRR.
 *   0x280 ESR       SDM semantics: errors accumulate internally; a write (any value) copies
 *                   them into the readable ESR and clears the accumulator. Bits used:
 *                   5 send illegal vector, 6 receive illegal vector, 7 illegal register
 *                   address (set like QEMU on any access to an unimplemented register). An
 *                   error newly logged raises the LVT error vector unless it is masked.
 *   0x300/0x310 ICR low/high: writing the low half sends the IPI; the delivery-status bit
 *                   (12) always reads 0 (idle: delivery is instantaneous).
 *   0x320 LVT timer, 0x330 thermal, 0x340 perf, 0x350 LINT0, 0x360 LINT1, 0x370 error:
 *                   stored with their writable bits (delivery status and remote IRR read 0);
 *                   reset value 0x00010000 (masked). The timer and error entries fire;
 *                   LINT0 receives the 8259s' INT output (`extInt`): with LINT0 unmasked in
 *                   ExtINT mode (virtual wire, as the firmware leaves it), or with the APIC
 *                   hardware-disabled (IA32_APIC_BASE bit 11 clear), the 8259s interrupt the
 *                   CPU, which takes their vector by an INTA cycle, after any deliverable APIC
 *                   vector (as QEMU). LINT0 in another delivery mode, thermal, perf and LINT1
 *                   are not driven.
 *   0x380 initial count, 0x390 current count (read-only), 0x3E0 divide configuration
 *                   (bits 0, 1, 3: 000=2 001=4 010=8 011=16 100=32 101=64 110=128 111=1).
 *   Everything else in the page reads 0 and ignores writes (and logs ESR bit 7, as QEMU).
 *
 * Access sizes: only aligned 32-bit accesses to the 16-byte-aligned registers are
 * architecturally defined. A read of another size or offset returns the bytes of the
 * containing 32-bit register (bytes 4-15 of each 16-byte slot read 0), so byte reads of
 * the TPR or of IRR work; QEMU returns 0 for sub-dword reads. A write that is not an aligned
 * 32-bit write is ignored (QEMU ignores sub-dword writes too).
 *
 * Timer (SDM 10.5.4), counting retired instructions:
 *  - A write of N to the initial count at clock t starts the countdown: the current count
 *    reads N - floor((now - t) / divisor) and reaches 0 at t + N * divisor, which is the
 *    expiry (the SDM's N ticks; QEMU uses N + 1). Writing 0 stops the timer.
 *  - One-shot: the expiry sets IRR for the LVT vector (unless masked) and the current count
 *    stays 0. Periodic: the count is reloaded with N at each expiry, so expiries fall at
 *    t + k * N * divisor and the count never reads 0.
 *  - A masked timer keeps counting and reloading; its expiries just do not set IRR. The
 *    deadline given to the CPU is Infinity while the LVT is masked (nothing to deliver);
 *    unmasking resumes delivery at the next expiry in phase.
 *  - Switching between one-shot and periodic keeps the countdown (as QEMU); a one-shot
 *    timer that already expired stays stopped. TSC-deadline mode (LVT bits 17-18 = 10) is
 *    not supported (CPUID does not report it): the mode bits are stored as written, but the
 *    timer is disarmed on entering that mode (or the reserved mode 11), the current count
 *    reads 0 and initial-count writes are ignored, as the SDM says for TSC-deadline mode.
 *  - A divide-configuration change restarts the tick phase at the time of the write: the
 *    current count is kept and the partial tick in progress is dropped.
 *  - Arithmetic is exact: counts are < 2^32, divisors <= 128, so a period is < 2^39 and every
 *    clock value stays an exact integer as long as the clock is below 2^53 - 2^39.
 *
 * Interrupt acceptance: `pendingVector()` is the highest IRR vector whose priority class
 * (vector >> 4) exceeds PPR's class, or -1. While the APIC is software-disabled (SVR bit 8
 * = 0) or hardware-disabled (IA32_APIC_BASE bit 11 = 0) it returns -1: the IRR and ISR
 * contents are held (SDM 10.4.7.2) and new fixed interrupts (`raise`, self-IPIs, timer,
 * error) are not accepted; NMI still is.
 *
 * IPIs (ICR): fixed and lowest-priority delivery set IRR when this CPU is a destination
 * (shorthand self or all-including-self, physical destination = own ID or 0xFF, logical
 * destination matching LDR in the flat or cluster model of DFR); NMI sets `nmiPending`
 * under the same rule. The SDM calls the "self" shorthand with NMI invalid; QEMU delivers
 * it and so do we. "All excluding self" reaches nobody on a one-CPU machine. INIT, SIPI,
 * SMI, ExtINT and the reserved mode are accepted and ignored (INIT to self would reset the
 * CPU on real hardware; that is out of scope). A fixed or lowest-priority IPI with a vector
 * below 16 logs ESR bit 5 and is not delivered; `raise()` of such a vector logs ESR bit 6.
 *
 * IA32_APIC_BASE: 0xFEE00900 at reset (base 0xFEE00000, BSP, global enable). Relocating the
 * base is not supported: writes keep the base and the BSP bit. This APIC sits on the system
 * bus (SDM 10.4.3, processors with front-side-bus interrupt delivery): clearing the enable
 * bit disables it (software-disabled too, LVTs masked; the CPU stops routing the MMIO page
 * here and CPUID.1:EDX.APIC reads 0), and setting the bit again re-enables it without a reset,
 * in the state after power-up or reset (SDM 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, timer and
 * ESR zero, DFR all ones, every LVT masked, SVR 0xFF so still software-disabled; the ID is the
 * initial one, 0). A pending NMI stays pending (it is latched in the CPU). QEMU 7.2 instead
 * keeps bit 11 clear until reset, as the P6 family's 3-wire APIC bus required.
 */
import type { AccessSize, MmioDevice } from './bus';
import { sealState, openState } from '../state/codec';

// LVT indices (register offset 0x320 + 0x10 * index).
const LVT_TIMER = 0;
const LVT_THERMAL = 1;
const LVT_PERF = 2;
const LVT_LINT0 = 3;
const LVT_LINT1 = 4;
const LVT_ERROR = 5;

/** Writable bits of each LVT entry. */
const LVT_WRITABLE = [0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff] as const;
const LVT_MASKED = 0x00010000;
const LVT_RESET = LVT_MASKED;

const TIMER_PERIODIC = 1; // LVT timer mode 01 (00 is one-shot)

const SVR_ENABLE = 0x100;
const SVR_RESET = 0xff;

const ESR_SEND_ILLEGAL_VECTOR = 0x20;
const ESR_RECEIVE_ILLEGAL_VECTOR = 0x40;
const ESR_ILLEGAL_REGISTER = 0x80;

/** Writable bits of ICR low: vector, delivery mode, destination mode, level, trigger, shorthand. */
const ICR_LOW_WRITABLE = 0x000ccfff;
const DM_FIXED = 0;
const DM_LOWEST = 1;
const DM_NMI = 4;
const DM_EXTINT = 7;
/** pendingVector() when only the 8259s (through LINT0) request an interrupt. */
export const EXTINT_PENDING = 0x100;

const APIC_BASE_ADDRESS = 0xfee00000;
const APIC_BASE_BSP = 0x100;
const APIC_BASE_ENABLE = 0x800;

const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class LocalApic implements MmioDevice {
  static readonly BASE = APIC_BASE_ADDRESS; // physical address of the MMIO page
  static readonly SIZE = 0x1000; // size of the MMIO page
  static readonly VERSION = 0x00050014; // version register value (QEMU's)

  /** Set by a self-NMI IPI; the CPU clears it when it delivers the NMI. */
  nmiPending = false; // NMI latched for the CPU
  /** Called after every MMIO write of the TPR with the previous and new value. */
  onTprWrite: ((oldTpr: number, newTpr: number) => void) | undefined = undefined; // recorder / TPR-threshold hook
  /** Called after an EOI write cleared `vector` from ISR. */
  onEoi: ((vector: number) => void) | undefined = undefined; // recorder hook
  /** The EOI broadcast for a level-triggered vector (to the I/O APIC). */
  onLevelEoi: ((vector: number) => void) | undefined = undefined; // wired by the machine
  /** The 8259s' INT output and interrupt acknowledge, wired to LINT0. */
  extInt: { intr(): boolean; inta(): number } | null = null; // wired by the machine

  private id = 0; // APIC ID (register bits 24-31)
  private tpr = 0; // task priority register
  private ldr = 0; // logical destination (register bits 24-31)
  private dfrModel = 0xf; // DFR model (register bits 28-31): 0xF flat, 0x0 cluster
  private svr = SVR_RESET; // spurious-interrupt vector register (bits 0-8)
  private readonly isr = new Uint32Array(8); // in-service register, 256 bits
  private readonly tmr = new Uint32Array(8); // trigger mode register (1: level-triggered)
  private readonly irr = new Uint32Array(8); // interrupt request register
  private esr = 0; // readable ESR (latched by the last ESR write)
  private esrPending = 0; // errors logged since the last ESR write
  private icrLow = 0; // ICR bits 0-31 (delivery status reads 0)
  private icrHigh = 0; // ICR bits 32-63 (destination in bits 24-31)
  private readonly lvt = new Uint32Array(6); // LVT timer, thermal, perf, LINT0, LINT1, error
  private apicBase = APIC_BASE_ADDRESS | APIC_BASE_BSP | APIC_BASE_ENABLE; // IA32_APIC_BASE low half

  private timerInitial = 0; // initial-count register
  private divideConfig = 0; // divide-configuration register (bits 0, 1, 3)
  private divisor = 2; // timer divisor decoded from divideConfig
  private timerRunning = false; // countdown in progress
  private timerBase = 0; // clock value at which the count was timerBaseCount (a tick boundary)
  private timerBaseCount = 0; // count at timerBase (>= 1 while running)
  private expiry = Infinity; // clock value at which the count next reaches 0 (masked or not)
  private deadline = Infinity; // expiry when it would set IRR, else Infinity

  constructor(
    private readonly clock: () => number, // retired-instruction count
  ) {
    this.reset();
  }

  /** Power-on / reset state. */
  reset(): void {
    this.nmiPending = false;
    this.id = 0;
    this.tpr = 0;
    this.ldr = 0;
    this.dfrModel = 0xf;
    this.svr = SVR_RESET;
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irr.fill(0);
    this.esr = 0;
    this.esrPending = 0;
    this.icrLow = 0;
    this.icrHigh = 0;
    this.lvt.fill(LVT_RESET);
    this.apicBase = APIC_BASE_ADDRESS | APIC_BASE_BSP | APIC_BASE_ENABLE;
    this.timerInitial = 0;
    this.divideConfig = 0;
    this.divisor = 2;
    this.timerRunning = false;
    this.timerBase = 0;
    this.timerBaseCount = 0;
    this.expiry = Infinity;
    this.deadline = Infinity;
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Every register and the timer's phase (base, count, expiry, deadline), as bytes for
   * emulator/state/codec.ts. Clock values are absolute (retired-instruction counts), so the state
   * belongs with the CPU state saved at the same moment. Hooks are not part of the state.
   */
  saveState(): Uint8Array {
    return sealState('APIC', 1, (w) => {
      w.bool(this.nmiPending);
      for (const v of [this.id, this.tpr, this.ldr, this.dfrModel, this.svr, this.esr, this.esrPending, this.icrLow,
        this.icrHigh, this.apicBase, this.timerInitial, this.divideConfig, this.divisor]) w.f64(v);
      w.u32s(this.isr);
      w.u32s(this.tmr);
      w.u32s(this.irr);
      w.u32s(this.lvt);
      w.bool(this.timerRunning);
      w.f64(this.timerBase);
      w.f64(this.timerBaseCount);
      w.f64(this.expiry);
      w.f64(this.deadline);
    });
  }

  /** Loads a state saved by saveState; a rejected blob changes nothing. */
  loadState(bytes: Uint8Array): void {
    const r = openState('APIC', 1, bytes, 'local APIC state');
    const nmiPending = r.bool();
    const u32 = (name: string) => r.int(name, -0x80000000, 0xffffffff); // as kept: int32 or uint32
    const id = u32('id'), tpr = u32('tpr'), ldr = u32('ldr'), dfrModel = u32('dfr'), svr = u32('svr');
    const esr = u32('esr'), esrPending = u32('esrPending'), icrLow = u32('icrLow'), icrHigh = u32('icrHigh');
    const apicBase = u32('apicBase'), timerInitial = u32('timerInitial'), divideConfig = u32('divideConfig');
    const divisor = r.int('divisor', 1, 128);
    const isr = r.u32s(8, 'ISR'), tmr = r.u32s(8, 'TMR'), irr = r.u32s(8, 'IRR'), lvt = r.u32s(6, 'LVT');
    const timerRunning = r.bool();
    const timerBase = r.f64(), timerBaseCount = r.f64(), expiry = r.f64(), deadline = r.f64();
    for (const [name, v] of [['timerBase', timerBase], ['timerBaseCount', timerBaseCount], ['expiry', expiry], ['deadline', deadline]] as const) {
      if (Number.isNaN(v) || v < 0) r.fail(`${name} out of range: ${v}`);
    }
    r.end();
    this.nmiPending = nmiPending;
    this.id = id;
    this.tpr = tpr;
    this.ldr = ldr;
    this.dfrModel = dfrModel;
    this.svr = svr;
    this.esr = esr;
    this.esrPending = esrPending;
    this.icrLow = icrLow;
    this.icrHigh = icrHigh;
    this.apicBase = apicBase;
    this.timerInitial = timerInitial;
    this.divideConfig = divideConfig;
    this.divisor = divisor;
    this.isr.set(isr);
    this.tmr.set(tmr);
    this.irr.set(irr);
    this.lvt.set(lvt);
    this.timerRunning = timerRunning;
    this.timerBase = timerBase;
    this.timerBaseCount = timerBaseCount;
    this.expiry = expiry;
    this.deadline = deadline;
  }

  // ---------------------------------------------------------------- CPU interface

  /** Clock value at which the timer next sets IRR; Infinity when it will not. */
  nextDeadline(): number {
    return this.deadline;
  }

  /** Processes every timer expiry up to and including clock value `now`. */
  advance(now: number): void {
    if (now < this.expiry) return;
    const fire = (this.lvt[LVT_TIMER] & LVT_MASKED) === 0;
    if (((this.lvt[LVT_TIMER] >>> 17) & 3) === TIMER_PERIODIC) {
      const period = this.timerInitial * this.divisor;
      const since = now - this.expiry;
      const last = this.expiry + (since - (since % period));
      this.timerBase = last;
      this.timerBaseCount = this.timerInitial;
      this.expiry = last + period;
    } else {
      this.timerRunning = false;
      this.expiry = Infinity;
    }
    this.updateDeadline();
    if (fire) this.accept(this.lvt[LVT_TIMER] & 0xff);
  }

  /**
   * Requests fixed interrupt `vector` (self-IPIs, recorder jitter inputs). Vectors 0-15 are
   * illegal: ESR bit 6 is logged and nothing is requested. Ignored while the APIC is
   * disabled.
   */
  raise(vector: number, level = false): void {
    vector &= 0xff;
    this.accept(vector);
    if (vector >= 16 && this.enabled()) {
      if (level) this.tmr[vector >>> 5] |= 1 << (vector & 31);
      else this.tmr[vector >>> 5] &= ~(1 << (vector & 31));
    }
  }

  /**
   * The vector the CPU would accept now, or -1; EXTINT_PENDING when only the 8259s request
   * an interrupt (their vector is known at the acknowledge).
   */
  pendingVector(): number {
    const v = this.apicVector();
    if (v >= 0) return v;
    return this.extIntDeliverable() ? EXTINT_PENDING : -1;
  }

  private apicVector(): number {
    if (!this.enabled()) return -1;
    const v = highest(this.irr);
    if (v < 0) return -1;
    return v >>> 4 > this.ppr() >>> 4 ? v : -1;
  }

  /** The 8259s request an interrupt and LINT0 passes it to the CPU. */
  private extIntDeliverable(): boolean {
    return this.extInt !== null && this.extInt.intr() && this.passesExtInt();
  }

  /** Whether LINT0 passes the 8259s' INT to the CPU (ExtINT unmasked, or the APIC hardware-disabled). */
  passesExtInt(): boolean {
    if ((this.apicBase & APIC_BASE_ENABLE) === 0) return true;
    const lint0 = this.lvt[LVT_LINT0];
    return (lint0 & LVT_MASKED) === 0 && ((lint0 >>> 8) & 7) === DM_EXTINT;
  }

  /** Whether a fixed interrupt with `vector` raised now would be accepted by the CPU (changes nothing). */
  wouldAccept(vector: number): boolean {
    return this.enabled() && vector >= 16 && vector >>> 4 > this.ppr() >>> 4;
  }

  /**
   * INTA: moves the pending vector from IRR to ISR and returns it. Without a pending vector
   * it returns the spurious vector (SVR bits 0-7) and changes nothing, as hardware does when
   * the interrupt went away before the acknowledge; the CPU should call it only after
   * `pendingVector() >= 0`.
   */
  acknowledge(): number {
    const v = this.apicVector();
    if (v < 0) return this.extIntDeliverable() ? (this.extInt as { inta(): number }).inta() : this.svr & 0xff;
    this.irr[v >>> 5] &= ~(1 << (v & 31));
    this.isr[v >>> 5] |= 1 << (v & 31);
    return v;
  }

  /** IA32_APIC_BASE (low 32 bits; the high half is always 0). */
  get apicBaseMsr(): number {
    return this.apicBase >>> 0;
  }

  set apicBaseMsr(value: number) {
    if ((value & APIC_BASE_ENABLE) === 0 && this.apicBase & APIC_BASE_ENABLE) {
      this.apicBase &= ~APIC_BASE_ENABLE;
      this.softwareDisable();
      this.svr &= ~SVR_ENABLE;
    } else if ((value & APIC_BASE_ENABLE) !== 0 && (this.apicBase & APIC_BASE_ENABLE) === 0) {
      const nmi = this.nmiPending;
      this.reset(); // re-enabled in the power-up state, global enable set
      this.nmiPending = nmi;
    }
  }

  /** IA32_APIC_BASE bit 11: false while software keeps it cleared. */
  get hardwareEnabled(): boolean {
    return (this.apicBase & APIC_BASE_ENABLE) !== 0;
  }

  /** Current TPR (for the debugger and the VT-x TPR shadow). */
  get taskPriority(): number {
    return this.tpr;
  }

  /** Processor priority, SDM 10.8.3.1. */
  ppr(): number {
    const isrv = highest(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv >>> 4;
    return this.tpr >>> 4 >= isrClass ? this.tpr : isrClass << 4;
  }

  // ---------------------------------------------------------------- MMIO

  mmioRead(offset: number, size: AccessSize): number {
    this.sync();
    const sub = offset & 0xf;
    const reg = this.readRegister((offset >>> 4) & 0xff);
    if (sub === 0 && size === 4) return reg;
    if (sub >= 4) return 0;
    return ((reg >>> (8 * sub)) & SIZE_MASK[size]) >>> 0;
  }

  mmioWrite(offset: number, value: number, size: AccessSize): void {
    if (size !== 4 || (offset & 0xf) !== 0) return;
    this.sync();
    this.writeRegister((offset >>> 4) & 0xff, value >>> 0);
  }

  private readRegister(index: number): number {
    switch (index) {
      case 0x02:
        return (this.id << 24) >>> 0;
      case 0x03:
        return LocalApic.VERSION;
      case 0x08:
        return this.tpr;
      case 0x09:
        return this.apr();
      case 0x0a:
        return this.ppr();
      case 0x0b:
        return 0; // EOI is write-only
      case 0x0d:
        return (this.ldr << 24) >>> 0;
      case 0x0e:
        return ((this.dfrModel << 28) | 0x0fffffff) >>> 0;
      case 0x0f:
        return this.svr;
      case 0x28:
        return this.esr;
      case 0x30:
        return this.icrLow;
      case 0x31:
        return this.icrHigh;
      case 0x38:
        return this.timerInitial;
      case 0x39:
        return this.currentCount(this.clock());
      case 0x3e:
        return this.divideConfig;
      default:
        if (index >= 0x10 && index <= 0x17) return this.isr[index - 0x10];
        if (index >= 0x18 && index <= 0x1f) return this.tmr[index - 0x18];
        if (index >= 0x20 && index <= 0x27) return this.irr[index - 0x20];
        if (index >= 0x32 && index <= 0x37) return this.lvt[index - 0x32];
        this.logError(ESR_ILLEGAL_REGISTER);
        return 0;
    }
  }

  private writeRegister(index: number, v: number): void {
    switch (index) {
      case 0x02:
        this.id = v >>> 24;
        return;
      case 0x08: {
        const old = this.tpr;
        this.tpr = v & 0xff;
        if (this.onTprWrite !== undefined) this.onTprWrite(old, this.tpr);
        return;
      }
      case 0x0b:
        this.eoi();
        return;
      case 0x0d:
        this.ldr = v >>> 24;
        return;
      case 0x0e:
        this.dfrModel = v >>> 28;
        return;
      case 0x0f:
        this.svr = v & 0x1ff;
        if (!(this.svr & SVR_ENABLE) || !this.hardwareEnabled) {
          this.svr &= ~SVR_ENABLE;
          this.softwareDisable();
        }
        return;
      case 0x28:
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case 0x30:
        this.icrLow = v & ICR_LOW_WRITABLE;
        this.sendIpi();
        return;
      case 0x31:
        this.icrHigh = (v & 0xff000000) >>> 0;
        return;
      case 0x38:
        this.writeInitialCount(v);
        return;
      case 0x3e:
        this.writeDivideConfig(v);
        return;
      case 0x03: // version
      case 0x09: // APR
      case 0x0a: // PPR
      case 0x39: // current count
        return; // read-only
      default:
        if (index >= 0x10 && index <= 0x27) return; // ISR, TMR, IRR: read-only
        if (index >= 0x32 && index <= 0x37) {
          this.writeLvt(index - 0x32, v);
          return;
        }
        this.logError(ESR_ILLEGAL_REGISTER);
    }
  }

  // ---------------------------------------------------------------- internals

  private enabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0 && (this.apicBase & APIC_BASE_ENABLE) !== 0;
  }

  /** Processes timer expiries due at the current clock before a register access. */
  private sync(): void {
    if (this.expiry !== Infinity) {
      const now = this.clock();
      if (now >= this.expiry) this.advance(now);
    }
  }

  /** Puts a fixed interrupt into IRR if the APIC accepts it. */
  private accept(vector: number): void {
    if (!this.enabled()) return;
    if (vector < 16) {
      this.logError(ESR_RECEIVE_ILLEGAL_VECTOR);
      return;
    }
    this.irr[vector >>> 5] |= 1 << (vector & 31);
  }

  private logError(bit: number): void {
    if (this.esrPending & bit) return;
    this.esrPending |= bit;
    const entry = this.lvt[LVT_ERROR];
    if (entry & LVT_MASKED || !this.enabled()) return;
    const vector = entry & 0xff;
    if (vector < 16) this.esrPending |= ESR_RECEIVE_ILLEGAL_VECTOR; // no interrupt, no recursion
    else this.irr[vector >>> 5] |= 1 << (vector & 31);
  }

  private softwareDisable(): void {
    for (let i = 0; i < 6; i++) this.lvt[i] |= LVT_MASKED;
    this.updateDeadline();
  }

  /** Arbitration priority, SDM 10.6.2.4 (figure "Arbitration Priority Register"). */
  private apr(): number {
    const tprClass = this.tpr >>> 4;
    const isrv = highest(this.isr);
    const irrv = highest(this.irr);
    const isrClass = isrv < 0 ? 0 : isrv >>> 4;
    const irrClass = irrv < 0 ? 0 : irrv >>> 4;
    if (tprClass >= irrClass && tprClass > isrClass) return this.tpr;
    return Math.max(tprClass, isrClass, irrClass) << 4;
  }

  private eoi(): void {
    const v = highest(this.isr);
    if (v < 0) return;
    this.isr[v >>> 5] &= ~(1 << (v & 31));
    if (this.onEoi !== undefined) this.onEoi(v);
    if (this.tmr[v >>> 5] & (1 << (v & 31)) && this.onLevelEoi !== undefined) this.onLevelEoi(v);
  }

  private sendIpi(): void {
    const lo = this.icrLow;
    const mode = (lo >>> 8) & 7;
    const vector = lo & 0xff;
    let toSelf: boolean;
    switch ((lo >>> 18) & 3) {
      case 0:
        toSelf = this.isDestination(this.icrHigh >>> 24, (lo & 0x800) !== 0);
        break;
      case 1: // self
      case 2: // all including self
        toSelf = true;
        break;
      default: // all excluding self: no other CPU
        toSelf = false;
    }
    if (mode === DM_FIXED || mode === DM_LOWEST) {
      if (vector < 16) this.logError(ESR_SEND_ILLEGAL_VECTOR);
      else if (toSelf) this.accept(vector);
    } else if (mode === DM_NMI) {
      if (toSelf) this.nmiPending = true;
    }
    // SMI, INIT, SIPI, ExtINT, reserved: accepted and ignored on a one-CPU machine.
  }

  /** Whether an interrupt message for `dest` (physical or logical) reaches this APIC. */
  isDestination(dest: number, logical: boolean): boolean {
    if (!logical) return dest === 0xff || dest === this.id;
    if (this.dfrModel === 0xf) return (dest & this.ldr) !== 0; // flat
    if (this.dfrModel === 0x0) {
      // cluster: high nibble selects the cluster (0xF = all), low nibble the members
      const cluster = dest & 0xf0;
      return (cluster === 0xf0 || cluster === (this.ldr & 0xf0)) && (dest & this.ldr & 0x0f) !== 0;
    }
    return false;
  }

  private writeLvt(i: number, v: number): void {
    let entry = v & LVT_WRITABLE[i];
    if (!(this.svr & SVR_ENABLE)) entry |= LVT_MASKED;
    if (i === LVT_TIMER) {
      const oldSupported = ((this.lvt[LVT_TIMER] >>> 17) & 3) < 2;
      const newSupported = ((entry >>> 17) & 3) < 2;
      if (oldSupported !== newSupported) this.stopTimer(); // entering or leaving TSC-deadline mode
    }
    this.lvt[i] = entry;
    if (i === LVT_TIMER) this.updateDeadline();
  }

  private writeInitialCount(v: number): void {
    if (((this.lvt[LVT_TIMER] >>> 17) & 3) >= 2) return; // TSC-deadline (unsupported) mode
    this.timerInitial = v;
    if (v === 0) {
      this.stopTimer();
      return;
    }
    const now = this.clock();
    this.timerRunning = true;
    this.timerBase = now;
    this.timerBaseCount = v;
    this.expiry = now + v * this.divisor;
    this.updateDeadline();
  }

  private writeDivideConfig(v: number): void {
    const cfg = v & 0xb;
    const code = (cfg & 3) | ((cfg >>> 1) & 4);
    const divisor = 1 << ((code + 1) & 7);
    this.divideConfig = cfg;
    if (this.timerRunning) {
      const now = this.clock();
      const count = this.currentCount(now); // >= 1: sync() already processed due expiries
      this.timerBase = now;
      this.timerBaseCount = count;
      this.expiry = now + count * divisor;
    }
    this.divisor = divisor;
    this.updateDeadline();
  }

  private stopTimer(): void {
    this.timerRunning = false;
    this.expiry = Infinity;
    this.updateDeadline();
  }

  private currentCount(now: number): number {
    if (!this.timerRunning) return 0;
    const elapsed = now > this.timerBase ? now - this.timerBase : 0;
    const ticks = (elapsed - (elapsed % this.divisor)) / this.divisor;
    if (ticks < this.timerBaseCount) return this.timerBaseCount - ticks;
    if (((this.lvt[LVT_TIMER] >>> 17) & 3) !== TIMER_PERIODIC) return 0; // one-shot: expired
    return this.timerInitial - ((ticks - this.timerBaseCount) % this.timerInitial);
  }

  private updateDeadline(): void {
    this.deadline = this.lvt[LVT_TIMER] & LVT_MASKED ? Infinity : this.expiry;
  }
}

/** Highest set bit of a 256-bit register, or -1. */
function highest(reg: Uint32Array): number {
  for (let i = 7; i >= 0; i--) {
    const w = reg[i];
    if (w !== 0) return i * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

export const LVT = {
  TIMER: LVT_TIMER,
  THERMAL: LVT_THERMAL,
  PERF: LVT_PERF,
  LINT0: LVT_LINT0,
  LINT1: LVT_LINT1,
  ERROR: LVT_ERROR,
} as const;
