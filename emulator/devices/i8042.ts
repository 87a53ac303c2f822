/**
 * The 8042 keyboard controller at 0x60/0x64 with a PS/2 keyboard behind it, as QEMU's i8042
 * and ps2 keyboard behave after SeaBIOS (documented against the IBM PC/AT technical reference
 * and QEMU):
 *
 *   0x64 read  status: bit 0 output buffer full, 1 input buffer full (always 0: commands take
 *              effect at once), 2 system flag (set by the self-test, which the firmware ran),
 *              3 last write was a command,
 *              4 keyboard not inhibited (1), 5 the output byte came from the mouse (never)
 *   0x64 write controller command:
 *     0x20 read the command byte    0x60 write the command byte (bit 0 IRQ 1 enable, bit 4
 *          keyboard disabled, bit 6 scancode translation; 0x61 after the firmware)
 *     0xA7/0xA8 disable/enable the mouse port (stored)   0xA9 mouse port test: 0x00
 *     0xAA self-test: 0x55         0xAB keyboard port test: 0x00
 *     0xAD/0xAE disable/enable the keyboard (command byte bit 4)
 *     0xC0 read the input port: 0x00   0xD0 read the output port   0xD1 write the output port
 *          (bit 0 low: reset; bit 1: A20 gate)   0xD2 put the next data byte in the output
 *          buffer as if the keyboard sent it   0xDD/0xDF A20 off/on
 *     0xFE (and 0xF0-0xFF with bit 0 clear) pulse the reset line
 *   0x60 read  the output buffer (clears "full"; the next queued byte follows)
 *   0x60 write data for a pending controller command, else a command for the keyboard:
 *     0xFF reset: 0xFA 0xAA        0xF2 identify: 0xFA 0xAB 0x41 (translated MF2)
 *     0xF4/0xF5 enable/disable scanning: 0xFA     0xF6 defaults: 0xFA     0xEE echo: 0xEE
 *     0xED LEDs, 0xF3 typematic, 0xF0 scancode set: 0xFA, then 0xFA for their data byte
 *     (0xF0 0x00 answers 0xFA and the set, 0x41 translated as QEMU shows set 2)
 *     anything else: 0xFE (resend)
 *
 * Keys come from recorded input (`feed`, the `keyboard` input channel): scancode set 1 bytes,
 * queued and moved to the output buffer one at a time when it is empty and scanning is on;
 * IRQ 1 is raised while a byte waits and the command byte enables it.
 *
 * A reset request (0xFE, or the output port's bit 0 cleared) ends the run, as QEMU does with
 * `-no-reboot`. The A20 gate is stored and read back, but memory is never wrapped at 1 MiB
 * (ringside always runs with A20 enabled). Not emulated: the PS/2 mouse, typematic repeat,
 * LEDs, scancode sets 2 and 3 untranslated.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const KBD_DATA = 0x60;
export const KBD_STATUS = 0x64;

const ST_OBF = 0x01, ST_SYS = 0x04, ST_CMD = 0x08, ST_UNLOCKED = 0x10;
const CB_IRQ1 = 0x01, CB_KBD_OFF = 0x10;
/** The command byte SeaBIOS leaves (read from QEMU): IRQ 1 on, mouse port off, translation. */
const CB_FIRMWARE = 0x61;
const OUTPORT_RESET = 0x01, OUTPORT_A20 = 0x02;
/** The output port QEMU reads back after SeaBIOS: not in reset, A20 on, bits 2-3 and 6-7 set. */
const OUTPORT_FIRMWARE = 0xcf;

export class I8042 implements PortDevice {
  private readonly queue: number[] = []; // controller and keyboard replies waiting for the output buffer
  private readonly keys: number[] = []; // typed scancodes waiting (behind the replies)
  private out = -1; // the output buffer (-1: empty)
  private command = CB_FIRMWARE; // the command byte
  private outport = OUTPORT_FIRMWARE; // the output port (A20 on, not in reset)
  private selfTested = true; // status bit 2: set by the self-test (SeaBIOS ran it)
  private pendingCommand = 0; // controller command waiting for its data byte (0: none)
  private pendingKbd = 0; // keyboard command waiting for its data byte (0: none)
  private lastWasCommand = false;
  private scanning = true;
  private mouseOff = false;
  private line = false; // IRQ 1

  constructor(
    private readonly irq1: (high: boolean) => void,
    private readonly onReset: () => void,
  ) {}

  /** Scancodes typed on the keyboard (recorded input). */
  feed(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.keys.push(bytes[i] & 0xff);
    this.refill();
  }

  get a20(): boolean {
    return (this.outport & OUTPORT_A20) !== 0;
  }

  private reply(...bytes: number[]): void {
    for (const b of bytes) this.queue.push(b);
    this.refill();
  }

  private refill(): void {
    if (this.out < 0) {
      if (this.queue.length > 0) this.out = this.queue.shift() as number;
      else if (this.keys.length > 0 && this.scanning && (this.command & CB_KBD_OFF) === 0) this.out = this.keys.shift() as number;
    }
    this.updateLine();
  }

  private updateLine(): void {
    const want = this.out >= 0 && (this.command & CB_IRQ1) !== 0;
    if (want !== this.line) {
      this.line = want;
      this.irq1(want);
    }
  }

  portIn(port: number, size: AccessSize): number {
    let v = 0xff;
    if (port === KBD_STATUS) {
      v = (this.out >= 0 ? ST_OBF : 0) | (this.selfTested ? ST_SYS : 0) | (this.lastWasCommand ? ST_CMD : 0) | ST_UNLOCKED;
    } else if (port === KBD_DATA) {
      if (this.out >= 0) {
        v = this.out;
        this.out = -1;
        this.updateLine(); // IRQ 1 drops, and rises again for the next byte: an edge per byte
        this.refill();
      } else v = 0x00; // nothing new: QEMU returns the last byte; an empty buffer reads 0 here
    }
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  portOut(port: number, value: number, _size: AccessSize): void {
    const v = value & 0xff;
    if (port === KBD_STATUS) {
      this.lastWasCommand = true;
      this.controllerCommand(v);
    } else if (port === KBD_DATA) {
      this.lastWasCommand = false;
      if (this.pendingCommand !== 0) this.controllerData(v);
      else this.keyboardByte(v);
    }
  }

  private controllerCommand(c: number): void {
    this.pendingCommand = 0;
    switch (c) {
      case 0x20: this.reply(this.command); break;
      case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: this.pendingCommand = c; break;
      case 0xa7: this.mouseOff = true; break;
      case 0xa8: this.mouseOff = false; break;
      case 0xa9: case 0xab: this.reply(0x00); break;
      case 0xaa: this.selfTested = true; this.reply(0x55); break;
      case 0xad: this.command |= CB_KBD_OFF; break;
      case 0xae: this.command &= ~CB_KBD_OFF; this.refill(); break;
      case 0xc0: this.reply(0x00); break;
      case 0xd0: this.reply(this.outport); break;
      case 0xdd: this.outport &= ~OUTPORT_A20; break;
      case 0xdf: this.outport |= OUTPORT_A20; break;
      default:
        if (c >= 0xf0 && (c & 1) === 0) this.onReset(); // pulse the reset line (0xFE)
    }
    this.updateLine();
  }

  private controllerData(v: number): void {
    const c = this.pendingCommand;
    this.pendingCommand = 0;
    if (c === 0x60) {
      this.command = v;
      this.refill();
    } else if (c === 0xd1) {
      this.outport = v;
      if ((v & OUTPORT_RESET) === 0) this.onReset();
    } else if (c === 0xd2) this.reply(v);
    // 0xD3 / 0xD4: the mouse is not emulated; the byte is dropped
  }

  private keyboardByte(v: number): void {
    if (this.pendingKbd !== 0) {
      const c = this.pendingKbd;
      this.pendingKbd = 0;
      if (c === 0xf0 && v === 0) this.reply(0xfa, 0x41);
      else this.reply(0xfa);
      return;
    }
    switch (v) {
      case 0xff: this.scanning = true; this.reply(0xfa, 0xaa); break; // (typed keys stay queued)
      case 0xf2: this.reply(0xfa, 0xab, 0x41); break;
      case 0xf4: this.scanning = true; this.reply(0xfa); break;
      case 0xf5: this.scanning = false; this.reply(0xfa); break;
      case 0xf6: this.scanning = true; this.reply(0xfa); break;
      case 0xee: this.reply(0xee); break;
      case 0xed: case 0xf3: case 0xf0: this.pendingKbd = v; this.reply(0xfa); break;
      default: this.reply(0xfe);
    }
  }

  saveState(): Uint8Array {
    return sealState('KBC0', 1, (w) => {
      for (const q of [this.queue, this.keys]) {
        w.u32(q.length);
        for (const b of q) w.u8(b);
      }
      w.i32(this.out);
      for (const b of [this.command, this.outport, this.pendingCommand, this.pendingKbd]) w.u8(b);
      for (const b of [this.lastWasCommand, this.scanning, this.mouseOff, this.line, this.selfTested]) w.bool(b);
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('KBC0', 1, bytes, '8042 keyboard controller state');
    const [queue, keys] = [0, 1].map(() => {
      const n = r.u32();
      if (n > 1 << 24) r.fail('queue too long');
      const q: number[] = [];
      for (let i = 0; i < n; i++) q.push(r.u8());
      return q;
    });
    const out = r.i32();
    const [command, outport, pc, pk] = [r.u8(), r.u8(), r.u8(), r.u8()];
    const [lw, sc, mo, line, st] = [r.bool(), r.bool(), r.bool(), r.bool(), r.bool()];
    r.end();
    this.queue.length = 0;
    this.queue.push(...queue);
    this.keys.length = 0;
    this.keys.push(...keys);
    this.out = out;
    this.command = command;
    this.outport = outport;
    this.pendingCommand = pc;
    this.pendingKbd = pk;
    this.lastWasCommand = lw;
    this.scanning = sc;
    this.mouseOff = mo;
    this.line = line;
    this.selfTested = st;
  }
}
