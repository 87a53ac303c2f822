import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../emulator/devices/bus';
import { Uart16550 } from '../../../emulator/devices/uart16550';

const COM1 = 0x3f8;
const [RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR] = [0, 1, 2, 3, 4, 5, 6, 7].map((o) => COM1 + o);

function setup() {
  const sent: number[] = [];
  const received: number[] = [];
  const uart = new Uart16550((b) => sent.push(b));
  uart.onReceive = (b) => received.push(b);
  const bus = new IoBus();
  bus.register(COM1, 8, uart);
  const inb = (p: number) => bus.portIn(p, 1);
  const outb = (p: number, v: number) => bus.portOut(p, v, 1);
  return { uart, bus, sent, received, inb, outb };
}

describe('Uart16550', () => {
  it('has QEMU reset values', () => {
    const { inb, outb } = setup();
    expect(inb(IER)).toBe(0);
    expect(inb(IIR)).toBe(0x01);
    expect(inb(LCR)).toBe(0);
    expect(inb(MCR)).toBe(0x08);
    expect(inb(LSR)).toBe(0x60);
    expect(inb(MSR)).toBe(0xb0);
    expect(inb(SCR)).toBe(0);
    outb(LCR, 0x80);
    expect(inb(RBR)).toBe(0x0c);
    expect(inb(IER)).toBe(0);
  });

  it('transmits every THR byte and keeps THRE|TEMT set', () => {
    const { inb, outb, sent } = setup();
    for (const c of 'Hi\n') outb(RBR, c.charCodeAt(0));
    expect(sent).toEqual([0x48, 0x69, 0x0a]);
    expect(inb(LSR) & 0x60).toBe(0x60);
  });

  it('uses DLAB to reach the divisor latch without transmitting', () => {
    const { inb, outb, sent } = setup();
    outb(LCR, 0x83);
    outb(RBR, 0x01);
    outb(IER, 0x00);
    expect(sent).toEqual([]);
    expect(inb(RBR)).toBe(0x01);
    expect(inb(IER)).toBe(0x00);
    outb(LCR, 0x03);
    expect(inb(LCR)).toBe(0x03);
    outb(IER, 0xff);
    expect(inb(IER)).toBe(0x0f);
    outb(LCR, 0x83);
    expect(inb(RBR)).toBe(0x01);
  });

  it('queues fed bytes: LSR.DR follows the queue, RBR pops, onReceive logs each read', () => {
    const { uart, inb, received } = setup();
    expect(inb(LSR) & 1).toBe(0);
    uart.feed(new Uint8Array([1, 2]));
    uart.feed(new Uint8Array([3]));
    expect(uart.pendingInput).toBe(3);
    expect(inb(LSR) & 1).toBe(1);
    expect([inb(RBR), inb(RBR)]).toEqual([1, 2]);
    expect(inb(LSR) & 1).toBe(1);
    expect(inb(RBR)).toBe(3);
    expect(inb(LSR) & 1).toBe(0);
    expect(received).toEqual([1, 2, 3]);
    expect(inb(RBR)).toBe(3); // 16450 mode: the held RBR is read again
    expect(received).toEqual([1, 2, 3]);
  });

  it('grows the receive queue for large inputs and keeps order', () => {
    const { uart, inb } = setup();
    const big = new Uint8Array(5000).map((_, i) => i & 0xff);
    uart.feed(big.subarray(0, 200));
    expect(inb(RBR)).toBe(0);
    uart.feed(big.subarray(200));
    const out: number[] = [];
    while (inb(LSR) & 1) out.push(inb(RBR));
    expect(out).toEqual(Array.from(big.subarray(1)));
  });

  it('scratch register stores a byte; LSR and MSR ignore writes', () => {
    const { inb, outb } = setup();
    outb(SCR, 0x5a);
    expect(inb(SCR)).toBe(0x5a);
    outb(LSR, 0);
    outb(MSR, 0);
    expect(inb(LSR)).toBe(0x60);
    expect(inb(MSR)).toBe(0xb0);
  });

  it('loops THR back to RBR in loopback mode without transmitting, and maps MCR to MSR', () => {
    const { uart, inb, outb, sent, received } = setup();
    outb(MCR, 0x10);
    expect(inb(MSR)).toBe(0x0b); // CTS, DSR, DCD dropped: DCTS|DDSR|DDCD
    expect(inb(MSR)).toBe(0x00);
    uart.feed(new Uint8Array([0x99])); // external line is disconnected in loopback
    outb(RBR, 0x41);
    expect(sent).toEqual([]);
    expect(inb(LSR) & 1).toBe(1);
    expect(inb(RBR)).toBe(0x41);
    expect(inb(LSR) & 1).toBe(0);
    expect(received).toEqual([]);
    outb(MCR, 0x1f);
    expect(inb(MSR)).toBe(0xf0 | 0x0b); // CTS DSR RI DCD, deltas DCTS DDSR DDCD
    outb(MCR, 0x1b); // RI falls: trailing-edge RI
    expect(inb(MSR)).toBe(0xb4);
    outb(MCR, 0x0b);
    expect(inb(MSR)).toBe(0xb0);
    expect(inb(RBR)).toBe(0x99);
    expect(received).toEqual([0x99]);
  });

  it('reports loopback overrun in LSR.OE, cleared by reading LSR', () => {
    const { inb, outb } = setup();
    outb(MCR, 0x18);
    outb(RBR, 1);
    outb(RBR, 2); // no FIFO: overwrites
    expect(inb(LSR)).toBe(0x63);
    expect(inb(LSR)).toBe(0x61);
    expect(inb(RBR)).toBe(2);
    outb(IIR, 0x01); // FIFO on
    for (let i = 0; i < 17; i++) outb(RBR, i);
    expect(inb(LSR) & 2).toBe(2);
    const got: number[] = [];
    while (inb(LSR) & 1) got.push(inb(RBR));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('reports IIR sources in priority order and clears THRE on IIR read', () => {
    const { uart, inb, outb } = setup();
    outb(IER, 0x02);
    expect(inb(IIR)).toBe(0x02);
    expect(inb(IIR)).toBe(0x01); // read cleared the THRE source
    outb(RBR, 0x20);
    expect(inb(IIR)).toBe(0x02); // set again after the transmission
    outb(IER, 0x03);
    uart.feed(new Uint8Array([7]));
    expect(inb(IIR)).toBe(0x04); // data before THRE
    inb(RBR);
    expect(inb(IIR)).toBe(0x01);
    outb(IER, 0x0f);
    outb(MCR, 0x18); // loopback: CTS and DSR drop
    outb(MCR, 0x19); // DSR rises again: still a modem-status change
    expect(inb(IIR)).toBe(0x00);
    expect(inb(MSR)).toBe(0xa0 | 0x03);
    inb(MSR);
    expect(inb(IIR)).toBe(0x01);
    outb(RBR, 1);
    outb(RBR, 2); // overrun
    expect(inb(IIR)).toBe(0x06);
  });

  it('reports FIFO mode in IIR and uses the trigger level (character timeout below it)', () => {
    const { uart, inb, outb } = setup();
    outb(IIR, 0xc7); // FIFO on, clear, trigger 14
    outb(IER, 0x01);
    expect(inb(IIR)).toBe(0xc1);
    uart.feed(new Uint8Array(3));
    expect(inb(IIR)).toBe(0xcc);
    uart.feed(new Uint8Array(11));
    expect(inb(IIR)).toBe(0xc4);
    outb(IIR, 0x41); // trigger 4
    expect(inb(IIR)).toBe(0xc4);
    outb(IIR, 0x00); // FIFO off
    expect(inb(IIR)).toBe(0x04);
    expect(uart.pendingInput).toBe(14); // a FIFO reset never discards fed input
  });

  it('splits wider accesses into byte accesses', () => {
    const { bus, inb, sent } = setup();
    bus.portOut(SCR - 1, 0x5a00, 2); // MSR (ignored), SCR
    expect(inb(SCR)).toBe(0x5a);
    expect(bus.portIn(LSR, 2)).toBe(0xb060);
    bus.portOut(RBR, 0x00000041, 1);
    expect(sent).toEqual([0x41]);
  });
});
