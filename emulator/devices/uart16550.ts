/**
 * A 16550A UART (COM1 by default, ports base..base+7), register-compatible with QEMU's
 * hw/char/serial.c, with its interrupt line (ISA IRQ 4 for COM1).
 *
 * Registers (offset from base):
 *   0  RBR (read) / THR (write); DLL when LCR.DLAB = 1
 *   1  IER (low 4 bits);          DLM when LCR.DLAB = 1
 *   2  IIR (read) / FCR (write)
 *   3  LCR          4  MCR (low 5 bits, bit 4 = loopback)
 *   5  LSR (read-only: writes ignored, as QEMU)
 *   6  MSR (read-only: writes ignored)
 *   7  SCR
 *
 * Transmit is instantaneous: a THR write hands the byte to `onTransmit` (unless in
 * loopback), so LSR.THRE and LSR.TEMT always read 1.
 *
 * Receive has two sources, kept apart so that recorded input is never lost:
 *  - the external line: `feed()` appends to an unbounded queue that models the host side
 *    of the line. Bytes leave it only when the guest reads RBR, so a FIFO reset (FCR bit 1)
 *    never discards fed input (QEMU would drop up to 16 bytes already moved into its FIFO;
 *    we do not, so every fed byte is either read by the guest or still queued). No overrun
 *    happens on this path. `onReceive(byte)` is called for every external byte the guest
 *    reads, which is what the recorder logs.
 *  - loopback (MCR bit 4): THR bytes go to a receive FIFO of the real size (16 bytes with
 *    FIFOs enabled, 1 byte without). When it is full the byte is an overrun (LSR.OE; in
 *    FIFO mode the new byte is lost, in 16450 mode it replaces the held byte, as the
 *    datasheet says). Looped-back bytes are not reported to `onReceive`: replay regenerates
 *    them from the guest's own writes. While in loopback the external line is disconnected
 *    (its bytes wait in the queue); looped-back bytes are read before external ones.
 *
 * IIR follows QEMU's priority order: receiver line status (OE), character timeout,
 * received data available, THR empty, modem status. With FIFOs enabled, "data available"
 * is reported when at least the trigger level (1/4/8/14) of bytes is available, and the
 * character timeout (0x0C) when fewer are: ringside has no per-character time, so the
 * four-character timeout is considered already elapsed (deterministic, and a guest polling
 * IIR with a high trigger level still sees its data). The THR-empty source is set by every
 * THR write (transmission is instantaneous) and when IER.THRI goes 0 -> 1, and is cleared
 * by reading IIR while it is the reported source (as QEMU and the datasheet).
 *
 * Modem lines: outside loopback MSR reads DCD|DSR|CTS (0xB0), QEMU's value for a backend
 * that is not a real tty. In loopback, CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2, and the delta
 * bits (DCTS, DDSR, TERI, DDCD) record changes; reading MSR clears them.
 *
 * The interrupt line is high while IIR names a source (an enabled one is pending), as QEMU's
 * serial_update_irq drives it after every register access and every byte received. On a PC
 * board MCR.OUT2 gates the line to the interrupt controllers; QEMU does not gate it, and kernels
 * written against QEMU (xv6 clears MCR and still takes its receive interrupts) depend on that,
 * so ringside follows QEMU here.
 *
 * Multi-byte port accesses are split into byte accesses on consecutive ports (QEMU's
 * serial region has an implementation size of 1); bytes beyond base+7 read 0xFF.
 */
import { BytePortDevice, type AccessSize } from './bus';
import { sealState, openState } from '../state/codec';

// Line status register bits.
const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

// Interrupt enable register bits.
const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;

// Interrupt identification values.
const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FIFO_ENABLED = 0xc0;

// FIFO control register bits.
const FCR_FE = 0x01;
const FCR_RFR = 0x02;

// Modem control / status bits.
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;
const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;
const MSR_DCTS = 0x01;
const MSR_DDSR = 0x02;
const MSR_TERI = 0x04;
const MSR_DDCD = 0x08;
const MSR_NO_LOOP_LINES = MSR_DCD | MSR_DSR | MSR_CTS;

const LCR_DLAB = 0x80;
const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export class Uart16550 extends BytePortDevice {
  static readonly COM1 = 0x3f8; // first port of COM1
  static readonly COM1_IRQ = 4; // COM1's ISA interrupt line

  /** Called with every byte of external input the guest reads from RBR. */
  onReceive: ((byte: number) => void) | undefined = undefined; // recorder hook, unset by default

  private rxQueue = new Uint8Array(256); // external input ring buffer (grows in feed())
  private rxHead = 0; // index of the oldest queued external byte
  private rxCount = 0; // number of queued external bytes
  private readonly loopFifo = new Uint8Array(FIFO_SIZE); // loopback receive FIFO ring
  private loopHead = 0; // index of the oldest looped-back byte
  private loopCount = 0; // number of looped-back bytes held

  private divisor = 0x0c; // divisor latch DLM:DLL (QEMU resets it to 12, 9600 baud)
  private ier = 0; // interrupt enable register (low 4 bits)
  private fcr = 0; // last FIFO control value (bits 0 and 6-7 kept)
  private lcr = 0; // line control register
  private mcr = MCR_OUT2; // modem control register (QEMU resets OUT2 on)
  private lsrErrors = 0; // sticky LSR error bits (only OE can occur), cleared by reading LSR
  private msrDeltas = 0; // MSR delta bits (low nibble), cleared by reading MSR
  private scr = 0; // scratch register
  private rbr = 0; // last byte moved out of the receiver (re-read in 16450 mode when empty)
  private thrPending = false; // THR-empty interrupt source latched
  private line = false; // the interrupt line's level
  private rxWaiting = false; // with a line: the next external byte is on its way (arrives at rxReadyAt)
  private rxReadyAt = 0; // instruction count at which it arrives

  constructor(
    private readonly onTransmit: (byte: number) => void, // receives every transmitted byte
    readonly base: number = Uart16550.COM1, // first I/O port (8 ports)
    private readonly irq: ((high: boolean) => void) | null = null, // the interrupt line (null: not connected)
    private readonly clock: () => number = () => 0, // retired-instruction count (paces the line's bytes when irq is connected)
  ) {
    super();
  }

  override portIn(port: number, size: AccessSize): number {
    const v = super.portIn(port, size);
    this.updateIrq();
    return v;
  }

  override portOut(port: number, value: number, size: AccessSize): void {
    super.portOut(port, value, size);
    this.updateIrq();
  }

  /** Drives the interrupt line, when there is one, to what IIR says now. */
  private updateIrq(): void {
    if (this.irq === null) return;
    const want = (this.iir() & 0x0f) !== IIR_NO_INT;
    if (want === this.line) return;
    this.line = want;
    this.irq(want);
  }

  /**
   * With the interrupt line connected, the external line delivers one byte per character time
   * (10 bits at the baud rate the divisor latch sets, at 1 ns per retired instruction, the PIT's
   * time base): the next byte arrives that long after the guest took the last. So a guest that
   * reads a byte and enables its interrupt afterwards (xv6) still gets an interrupt for the
   * next, and a halted CPU wakes when it arrives.
   */
  nextDeadline(): number {
    return this.rxWaiting ? this.rxReadyAt : Infinity;
  }

  advance(now: number): void {
    if (!this.rxWaiting || now < this.rxReadyAt) return;
    this.rxWaiting = false;
    this.updateIrq();
  }

  /** A byte's arrival can wake a halted CPU when its interrupt is enabled. */
  canWake(): boolean {
    return (this.ier & IER_RDI) !== 0;
  }

  /** Instructions one character takes on the line: 10 bits at 115200 / divisor baud, 1 ns each. */
  private charTime(): number {
    return Math.round((10 * (this.divisor === 0 ? 0x10000 : this.divisor) * 1e9) / 115200);
  }

  /** Appends external input to the receive queue (the line side of the UART). */
  feed(bytes: Uint8Array): void {
    if (this.rxCount + bytes.length > this.rxQueue.length) {
      let size = this.rxQueue.length * 2;
      while (size < this.rxCount + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      for (let i = 0; i < this.rxCount; i++) grown[i] = this.rxQueue[(this.rxHead + i) % this.rxQueue.length];
      this.rxQueue = grown;
      this.rxHead = 0;
    }
    const cap = this.rxQueue.length;
    for (let i = 0; i < bytes.length; i++) this.rxQueue[(this.rxHead + this.rxCount + i) % cap] = bytes[i];
    this.rxCount += bytes.length;
    this.updateIrq();
  }

  /** Number of external input bytes not yet read by the guest. */
  get pendingInput(): number {
    return this.rxCount;
  }

  /**
   * Registers, the loopback FIFO, the external receive queue (its bytes, oldest first) and the
   * latched interrupt and status sources, as bytes in the state codec (emulator/state/codec.ts). The transmit and
   * receive callbacks are not part of the state.
   */
  saveState(): Uint8Array {
    return sealState('U550', 2, (w) => {
      w.f64(this.base);
      w.u32(this.rxQueue.length);
      const queued = new Uint8Array(this.rxCount);
      for (let i = 0; i < this.rxCount; i++) queued[i] = this.rxQueue[(this.rxHead + i) % this.rxQueue.length];
      w.bytes(queued);
      w.bytes(this.loopFifo);
      w.u8(this.loopHead);
      w.u8(this.loopCount);
      for (const v of [this.divisor, this.ier, this.fcr, this.lcr, this.mcr, this.lsrErrors, this.msrDeltas, this.scr, this.rbr]) w.f64(v);
      w.bool(this.thrPending);
      w.bool(this.rxWaiting);
      w.f64(this.rxReadyAt);
    });
  }

  /** Loads a state saved by saveState (same base port); a rejected blob changes nothing. */
  loadState(bytes: Uint8Array): void {
    // Version 1 (before the line was paced) has no arrival time: its bytes are all there.
    const r = openState('U550', 2, bytes, 'UART state', 1);
    const version = r.version;
    const base = r.f64();
    if (base !== this.base) r.fail(`saved for port ${base}, this UART is at ${this.base}`);
    const capacity = r.u32();
    const queued = r.bytes();
    if (capacity < 1 || capacity > 0x7fffffff || queued.length > capacity) r.fail(`bad receive queue (${queued.length} of ${capacity})`);
    const loop = r.bytes();
    if (loop.length !== FIFO_SIZE) r.fail(`loopback FIFO of ${loop.length} bytes`);
    const loopHead = r.u8(), loopCount = r.u8();
    if (loopHead >= FIFO_SIZE || loopCount > FIFO_SIZE) r.fail(`bad loopback FIFO position ${loopHead}/${loopCount}`);
    const divisor = r.int('divisor', 0, 0xffff);
    const reg = (name: string) => r.int(name, 0, 0xff);
    const ier = reg('IER'), fcr = reg('FCR'), lcr = reg('LCR'), mcr = reg('MCR'), lsrErrors = reg('LSR errors');
    const msrDeltas = reg('MSR deltas'), scr = reg('SCR'), rbr = reg('RBR');
    const thrPending = r.bool();
    const rxWaiting = version === 1 ? false : r.bool();
    const rxReadyAt = version === 1 ? 0 : r.int('arrival time', 0, Number.MAX_SAFE_INTEGER);
    r.end();
    this.rxQueue = new Uint8Array(capacity);
    this.rxQueue.set(queued);
    this.rxHead = 0;
    this.rxCount = queued.length;
    this.loopFifo.set(loop);
    this.loopHead = loopHead;
    this.loopCount = loopCount;
    this.divisor = divisor;
    this.ier = ier;
    this.fcr = fcr;
    this.lcr = lcr;
    this.mcr = mcr;
    this.lsrErrors = lsrErrors;
    this.msrDeltas = msrDeltas;
    this.scr = scr;
    this.rbr = rbr;
    this.thrPending = thrPending;
    this.rxWaiting = rxWaiting;
    this.rxReadyAt = rxReadyAt;
    // The line's level follows from the registers (the interrupt controllers' state holds what it drove).
    this.line = this.irq !== null && (this.iir() & 0x0f) !== IIR_NO_INT;
  }


  protected readByte(port: number): number {
    switch (port - this.base) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.popReceived();
      case 1:
        if (this.lcr & LCR_DLAB) return this.divisor >>> 8;
        return this.ier;
      case 2: {
        const iir = this.iir();
        if ((iir & 0x0f) === IIR_THRI) this.thrPending = false;
        return iir;
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const lsr = this.lsr();
        this.lsrErrors = 0;
        return lsr;
      }
      case 6: {
        const msr = this.modemLines() | this.msrDeltas;
        this.msrDeltas = 0;
        return msr;
      }
      case 7:
        return this.scr;
      default:
        return 0xff;
    }
  }

  protected writeByte(port: number, v: number): void {
    switch (port - this.base) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | v;
        else this.transmit(v);
        return;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.divisor = (this.divisor & 0x00ff) | (v << 8);
          return;
        }
        {
          const changed = (this.ier ^ v) & 0x0f;
          this.ier = v & 0x0f;
          // QEMU (after Bochs): enabling THRI while THR is empty raises the source again.
          if (changed & IER_THRI) this.thrPending = (this.ier & IER_THRI) !== 0;
        }
        return;
      case 2: {
        let fcr = v;
        if ((fcr ^ this.fcr) & FCR_FE) fcr |= FCR_RFR; // toggling FE flushes the FIFOs
        if (fcr & FCR_RFR) {
          this.loopHead = 0;
          this.loopCount = 0;
        }
        this.fcr = fcr & 0xc1;
        return;
      }
      case 3:
        this.lcr = v;
        return;
      case 4: {
        const before = this.modemLines();
        this.mcr = v & 0x1f;
        const after = this.modemLines();
        const diff = before ^ after;
        if (diff & MSR_CTS) this.msrDeltas |= MSR_DCTS;
        if (diff & MSR_DSR) this.msrDeltas |= MSR_DDSR;
        if (diff & MSR_DCD) this.msrDeltas |= MSR_DDCD;
        if (before & ~after & MSR_RI) this.msrDeltas |= MSR_TERI;
        return;
      }
      case 7:
        this.scr = v;
        return;
      default:
        return; // LSR, MSR: read-only
    }
  }

  private transmit(byte: number): void {
    if (this.mcr & MCR_LOOP) this.loopBack(byte);
    else this.onTransmit(byte);
    this.thrPending = true; // THR and the shift register are empty again at once
  }

  private loopBack(byte: number): void {
    const capacity = this.fcr & FCR_FE ? FIFO_SIZE : 1;
    if (this.loopCount >= capacity) {
      this.lsrErrors |= LSR_OE;
      if (capacity === 1) this.loopFifo[this.loopHead] = byte; // 16450 mode: overwrite RBR
      return;
    }
    this.loopFifo[(this.loopHead + this.loopCount) % FIFO_SIZE] = byte;
    this.loopCount++;
  }

  private popReceived(): number {
    if (this.loopCount > 0) {
      const b = this.loopFifo[this.loopHead];
      this.loopHead = (this.loopHead + 1) % FIFO_SIZE;
      this.loopCount--;
      this.rbr = b;
      return b;
    }
    if (this.mcr & MCR_LOOP || this.rxCount === 0 || this.rxWaiting) {
      // Empty receiver: QEMU reads 0 from an empty FIFO and the held RBR in 16450 mode.
      return this.fcr & FCR_FE ? 0 : this.rbr;
    }
    const b = this.rxQueue[this.rxHead];
    this.rxHead = (this.rxHead + 1) % this.rxQueue.length;
    this.rxCount--;
    if (this.irq !== null && this.rxCount > 0) {
      this.rxWaiting = true;
      this.rxReadyAt = this.clock() + this.charTime();
    }
    this.rbr = b;
    if (this.onReceive !== undefined) this.onReceive(b);
    return b;
  }

  /** Bytes the receiver holds now (capped at the FIFO size for trigger-level purposes). */
  private available(): number {
    const line = this.mcr & MCR_LOOP ? 0 : this.irq === null ? this.rxCount : this.rxWaiting || this.rxCount === 0 ? 0 : 1;
    const n = this.loopCount + line;
    return n > FIFO_SIZE ? FIFO_SIZE : n;
  }

  private lsr(): number {
    return (this.available() > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
  }

  private modemLines(): number {
    const m = this.mcr;
    if (!(m & MCR_LOOP)) return MSR_NO_LOOP_LINES;
    return (
      (m & MCR_RTS ? MSR_CTS : 0) |
      (m & MCR_DTR ? MSR_DSR : 0) |
      (m & MCR_OUT1 ? MSR_RI : 0) |
      (m & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  private iir(): number {
    const fifo = this.fcr & FCR_FE ? IIR_FIFO_ENABLED : 0;
    const n = this.available();
    let id = IIR_NO_INT;
    if (this.ier & IER_RLSI && this.lsrErrors & LSR_OE) id = IIR_RLSI;
    else if (this.ier & IER_RDI && n > 0) {
      id = fifo && n < TRIGGER_LEVELS[this.fcr >>> 6] ? IIR_CTI : IIR_RDI;
    } else if (this.ier & IER_THRI && this.thrPending) id = IIR_THRI;
    else if (this.ier & IER_MSI && this.msrDeltas !== 0) id = IIR_MSI;
    return fifo | id;
  }
}
