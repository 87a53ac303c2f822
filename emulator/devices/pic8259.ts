/**
 * Two cascaded 8259A programmable interrupt controllers, as on every PC: the master at
 * 0x20/0x21 (IRQ 0-7), the slave at 0xA0/0xA1 (IRQ 8-15) on the master's IRQ 2, and the
 * edge/level control registers (ELCR) of the PIIX3 at 0x4D0/0x4D1. Documented against the
 * Intel 8259A datasheet; where the datasheet leaves a choice, QEMU's i8259 is followed.
 *
 * Inputs: `setIrq(irq, level)`. In edge mode (ELCR bit clear) a rising edge sets IRR and IRR
 * stays set until the interrupt is acknowledged, whatever the line does afterwards (QEMU's
 * model: the datasheet's "request must stay high until INTA" is not enforced); in level mode
 * IRR follows the line.
 * Output: `intr()` is the master's INT pin; `inta()` is the CPU's interrupt acknowledge and
 * returns the vector.
 *
 * Programming:
 *   ICW1 (command port, bit 4 set): starts initialization: IMR, ISR, IRR edge memory, priority
 *     rotation, special mask, poll and the read-register select are cleared; bit 0 says ICW4
 *     follows, bit 1 single mode (no ICW3). Bit 3 (LTIM, level mode for all inputs) is ignored:
 *     the ELCR selects level mode per input, as on the PIIX3.
 *   ICW2: vector base (bits 7-3). ICW3: cascade wiring (accepted, the wiring is fixed).
 *   ICW4: bit 1 automatic EOI, bit 4 special fully nested mode (master); 8086 mode assumed.
 *   OCW1 (data port): IMR.
 *   OCW2 (command port, bits 4-3 = 00): bits 7-5 R SL EOI: 001 non-specific EOI, 011 specific
 *     EOI of level L (bits 2-0), 101 rotate on non-specific EOI, 111 rotate on specific EOI,
 *     110 set priority (L becomes the lowest), 100/000 set/clear rotate in automatic EOI mode.
 *   OCW3 (command port, bits 4-3 = 01): bits 6-5 = 11 set, 10 reset special mask mode; bit 2
 *     poll (the next read of either port returns 0x80 | level and acknowledges it, or 0 when
 *     nothing is pending); bits 1-0 = 10 read IRR, 11 read ISR on the command port.
 *   ELCR: 0x4D0 (master, IRQ 0-2 always edge: mask 0xF8) and 0x4D1 (slave, IRQ 8 and 13 always
 *     edge: mask 0xDE).
 *
 * Acknowledge: the highest-priority request not masked and above the highest in-service level
 * (special mask mode: masked in-service levels do not block; special fully nested mode: the
 * cascade input's in-service bit does not block the slave) goes from IRR to ISR (IRR is kept
 * for a level-triggered input); with automatic EOI, ISR is not set. A slave request sets the
 * master's ISR bit 2 and the slave's bit. When no request remains at INTA the 8259A answers
 * with its IRQ 7 vector and sets no ISR bit (the spurious interrupt: IRQ 7 on the master, or
 * IRQ 15 on the slave, the master then taking IRQ 2 in service).
 *
 * State after the firmware (what QEMU's SeaBIOS leaves, `info pic`): master vector base 0x08,
 * IMR 0xB8 (IRQ 0, 1, 2 and 6 unmasked), IRR 0x10 (a COM1 request latched during boot); slave
 * base 0x70, IMR 0x8E; ELCR 0x00 and 0x0C (IRQ 10 and 11 level-triggered).
 */
import { BytePortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const PIC_MASTER = 0x20;
export const PIC_SLAVE = 0xa0;
export const ELCR_PORT = 0x4d0;
const CASCADE_IRQ = 2;
const ELCR_MASK = [0xf8, 0xde] as const;

/** One 8259A. */
class Chip {
  irr = 0; // interrupt request register
  imr = 0; // interrupt mask register
  isr = 0; // in-service register
  lastIrr = 0; // input levels seen (edge detection)
  priorityAdd = 0; // the level with the highest priority (rotation)
  irqBase = 0; // ICW2
  readIsr = false; // OCW3 RR/RIS: the command port reads ISR instead of IRR
  poll = false; // OCW3 P: the next read is a poll
  specialMask = false; // OCW3 special mask mode
  initStep = 0; // 0 ready, 2/3/4: the ICW expected next
  needIcw4 = false;
  single = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  elcr = 0;

  constructor(readonly isMaster: boolean) {}

  /** Priority (0 highest) of the highest-priority bit of mask, 8 if none. */
  private priority(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** The level that would be acknowledged now, or -1. */
  pending(): number {
    const req = this.priority(this.irr & ~this.imr);
    if (req === 8) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << CASCADE_IRQ);
    return req < this.priority(inService) ? (req + this.priorityAdd) & 7 : -1;
  }

  setInput(level: number, high: boolean): void {
    const bit = 1 << level;
    if (this.elcr & bit) {
      if (high) {
        this.irr |= bit;
        this.lastIrr |= bit;
      } else {
        this.irr &= ~bit;
        this.lastIrr &= ~bit;
      }
    } else if (high) {
      if ((this.lastIrr & bit) === 0) this.irr |= bit;
      this.lastIrr |= bit;
    } else {
      this.lastIrr &= ~bit;
    }
  }

  /** INTA for `level`: ISR (unless automatic EOI), IRR (unless level-triggered). */
  acknowledge(level: number): void {
    const bit = 1 << level;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.priorityAdd = (level + 1) & 7;
    } else {
      this.isr |= bit;
    }
    if ((this.elcr & bit) === 0) this.irr &= ~bit;
  }

  /** Highest-priority in-service level, or -1. */
  private highestInService(): number {
    const p = this.priority(this.isr);
    return p === 8 ? -1 : (p + this.priorityAdd) & 7;
  }

  resetForInit(): void {
    this.lastIrr = 0;
    this.irr &= this.elcr;
    this.imr = 0;
    this.isr = 0;
    this.priorityAdd = 0;
    this.readIsr = false;
    this.poll = false;
    this.specialMask = false;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
  }

  writeCommand(v: number): void {
    if (v & 0x10) {
      // ICW1
      this.resetForInit();
      this.needIcw4 = (v & 0x01) !== 0;
      this.single = (v & 0x02) !== 0;
      this.initStep = 2;
      return;
    }
    if (v & 0x08) {
      // OCW3
      if (v & 0x04) this.poll = true;
      if (v & 0x02) this.readIsr = (v & 0x01) !== 0;
      if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
      return;
    }
    // OCW2
    const level = v & 7;
    switch (v >>> 5) {
      case 0: this.rotateOnAutoEoi = false; break;
      case 4: this.rotateOnAutoEoi = true; break;
      case 1:
      case 5: {
        const top = this.highestInService();
        if (top >= 0) {
          this.isr &= ~(1 << top);
          if (v >>> 5 === 5) this.priorityAdd = (top + 1) & 7;
        }
        break;
      }
      case 3: this.isr &= ~(1 << level); break;
      case 6: this.priorityAdd = (level + 1) & 7; break;
      case 7:
        this.isr &= ~(1 << level);
        this.priorityAdd = (level + 1) & 7;
        break;
      default: break; // 010: no operation
    }
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.irqBase = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.initStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 0x02) !== 0;
        this.specialFullyNested = (v & 0x10) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v;
    }
  }
}

export class Pic8259Pair extends BytePortDevice {
  /** Ports to register on the I/O bus, as [first, count] pairs. */
  static readonly RANGES: readonly (readonly [number, number])[] = [
    [PIC_MASTER, 2],
    [PIC_SLAVE, 2],
    [ELCR_PORT, 2],
  ];

  private readonly chips = [new Chip(true), new Chip(false)] as const;

  constructor() {
    super();
    this.firmwareState();
  }

  /** The state SeaBIOS leaves (see the header comment). */
  private firmwareState(): void {
    const [m, s] = this.chips;
    m.irqBase = 0x08;
    m.imr = 0xb8;
    m.irr = 0x10;
    s.irqBase = 0x70;
    s.imr = 0x8e;
    s.elcr = 0x0c;
  }

  /** Drives ISA interrupt line `irq` (0-15). */
  setIrq(irq: number, high: boolean): void {
    this.chips[irq >>> 3].setInput(irq & 7, high);
    this.cascade();
  }

  /** Whether a request on `irq` now would raise INT (for halt detection; changes nothing). */
  wouldRequest(irq: number): boolean {
    const c = this.chips[irq >>> 3];
    const saved = c.irr;
    c.irr |= 1 << (irq & 7);
    let ok = c.pending() >= 0;
    c.irr = saved;
    if (ok && irq >= 8) {
      const m = this.chips[0];
      const irr = m.irr;
      m.irr |= 1 << CASCADE_IRQ;
      ok = m.pending() >= 0;
      m.irr = irr;
    }
    return ok;
  }

  /** The master's INT output: an interrupt request for the CPU. */
  intr(): boolean {
    return this.chips[0].pending() >= 0;
  }

  /** Interrupt acknowledge: the vector of the highest-priority request (spurious IRQ 7/15 if none). */
  inta(): number {
    const [m, s] = this.chips;
    let vector: number;
    const level = m.pending();
    if (level === CASCADE_IRQ) {
      const slaveLevel = s.pending();
      if (slaveLevel >= 0) {
        s.acknowledge(slaveLevel);
        vector = s.irqBase + slaveLevel;
      } else {
        vector = s.irqBase + 7; // spurious IRQ 15
      }
      m.acknowledge(CASCADE_IRQ);
    } else if (level >= 0) {
      m.acknowledge(level);
      vector = m.irqBase + level;
    } else {
      vector = m.irqBase + 7; // spurious IRQ 7
    }
    this.cascade();
    return vector;
  }

  /** Registers of chip 0 (master) or 1 (slave), for tests and the debugger. */
  registers(chip: 0 | 1): { irr: number; isr: number; imr: number; base: number; elcr: number } {
    const c = this.chips[chip];
    return { irr: c.irr, isr: c.isr, imr: c.imr, base: c.irqBase, elcr: c.elcr };
  }

  /** The slave's INT output drives the master's IRQ 2 (edge-triggered). */
  private cascade(): void {
    this.chips[0].setInput(CASCADE_IRQ, this.chips[1].pending() >= 0);
  }


  private chipOf(port: number): Chip | undefined {
    if (port === PIC_MASTER || port === PIC_MASTER + 1) return this.chips[0];
    if (port === PIC_SLAVE || port === PIC_SLAVE + 1) return this.chips[1];
    return undefined;
  }

  protected readByte(port: number): number {
    if (port === ELCR_PORT || port === ELCR_PORT + 1) return this.chips[port - ELCR_PORT].elcr;
    const c = this.chipOf(port);
    if (c === undefined) return 0xff;
    if (c.poll) return this.pollRead(c);
    if ((port & 1) === 0) return c.readIsr ? c.isr : c.irr;
    return c.imr;
  }

  /** Poll command: 0x80 | level of the highest request, acknowledged; 0 when none. */
  private pollRead(c: Chip): number {
    c.poll = false;
    const level = c.pending();
    if (level < 0) return 0;
    c.acknowledge(level); // polling the master for IRQ 2 does not acknowledge the slave
    this.cascade();
    return 0x80 | level;
  }

  protected writeByte(port: number, v: number): void {
    if (port === ELCR_PORT || port === ELCR_PORT + 1) {
      const k = port - ELCR_PORT;
      this.chips[k].elcr = v & ELCR_MASK[k];
      this.cascade();
      return;
    }
    const c = this.chipOf(port);
    if (c === undefined) return;
    if ((port & 1) === 0) c.writeCommand(v);
    else c.writeData(v);
    this.cascade();
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): Uint8Array {
    return sealState('PIC2', 1, (w) => {
      for (const c of this.chips) {
        for (const v of [c.irr, c.imr, c.isr, c.lastIrr, c.priorityAdd, c.irqBase, c.initStep, c.elcr]) w.u8(v);
        for (const b of [c.readIsr, c.poll, c.specialMask, c.needIcw4, c.single, c.autoEoi, c.rotateOnAutoEoi, c.specialFullyNested]) w.bool(b);
      }
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('PIC2', 1, bytes, '8259 PIC state');
    const saved = this.chips.map(() => {
      const n = [r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8()];
      const b = [r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool(), r.bool()];
      if (n[4] > 7 || ![0, 2, 3, 4].includes(n[6])) r.fail('bad priority or init step');
      return { n, b };
    });
    r.end();
    saved.forEach(({ n, b }, k) => {
      const c = this.chips[k];
      [c.irr, c.imr, c.isr, c.lastIrr, c.priorityAdd, c.irqBase, c.initStep, c.elcr] = n;
      [c.readIsr, c.poll, c.specialMask, c.needIcw4, c.single, c.autoEoi, c.rotateOnAutoEoi, c.specialFullyNested] = b;
    });
  }
}
