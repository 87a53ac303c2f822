import { describe, expect, it } from 'vitest';
import { Pic8259Pair } from '../../../emulator/devices/pic8259';

/** Both chips initialized like a kernel does: vectors 0x20/0x28, cascade on IRQ 2, all masked. */
function initialized(icw4 = 0x01): Pic8259Pair {
  const p = new Pic8259Pair();
  for (const [port, v] of [[0x20, 0x11], [0xa0, 0x11], [0x21, 0x20], [0xa1, 0x28], [0x21, 4], [0xa1, 2], [0x21, icw4], [0xa1, 1]]) p.portOut(port, v, 1);
  return p;
}

const pulse = (p: Pic8259Pair, irq: number) => {
  p.setIrq(irq, true);
  p.setIrq(irq, false);
};

describe('8259A pair', () => {
  it('starts as SeaBIOS leaves it (bases 0x08/0x70, masks 0xB8/0x8E, ELCR 0x00/0x0C)', () => {
    const p = new Pic8259Pair();
    expect(p.registers(0)).toEqual({ irr: 0x10, isr: 0, imr: 0xb8, base: 0x08, elcr: 0 });
    expect(p.registers(1)).toEqual({ irr: 0, isr: 0, imr: 0x8e, base: 0x70, elcr: 0x0c });
    expect(p.portIn(0x4d1, 1)).toBe(0x0c);
  });

  it('ICW1 clears the mask; ICW2-ICW4 are not taken for masks', () => {
    const p = initialized();
    expect(p.portIn(0x21, 1)).toBe(0);
    p.portOut(0x21, 0xfb, 1);
    expect(p.portIn(0x21, 1)).toBe(0xfb);
  });

  it('delivers the highest-priority unmasked request; ISR blocks lower and equal levels until EOI', () => {
    const p = initialized();
    pulse(p, 3);
    pulse(p, 1);
    expect(p.intr()).toBe(true);
    expect(p.inta()).toBe(0x21);
    expect(p.registers(0).isr).toBe(0x02);
    expect(p.intr()).toBe(false); // IRQ 3 waits for IRQ 1's EOI
    p.portOut(0x20, 0x20, 1); // non-specific EOI
    expect(p.inta()).toBe(0x23);
    p.portOut(0x20, 0x63, 1); // specific EOI of level 3
    expect(p.registers(0).isr).toBe(0);
  });

  it('a masked request waits in IRR and is delivered on unmask', () => {
    const p = initialized();
    p.portOut(0x21, 0x01, 1);
    pulse(p, 0);
    expect(p.intr()).toBe(false);
    p.portOut(0x20, 0x0a, 1);
    expect(p.portIn(0x20, 1) & 1).toBe(1);
    p.portOut(0x21, 0x00, 1);
    expect(p.inta()).toBe(0x20);
  });

  it('cascades the slave through IRQ 2: both ISRs set, the slave vector', () => {
    const p = initialized();
    pulse(p, 12);
    expect(p.inta()).toBe(0x2c);
    expect(p.registers(0).isr).toBe(0x04);
    expect(p.registers(1).isr).toBe(0x10);
  });

  it('answers an acknowledge without a request with IRQ 7 (or 15 through the cascade) and sets no ISR bit', () => {
    const p = initialized();
    expect(p.inta()).toBe(0x27);
    expect(p.registers(0).isr).toBe(0);
  });

  it('automatic EOI leaves ISR clear; rotation makes the serviced level the lowest', () => {
    const p = initialized(0x03);
    pulse(p, 0);
    expect(p.inta()).toBe(0x20);
    expect(p.registers(0).isr).toBe(0);
    const q = initialized();
    pulse(q, 0);
    q.inta();
    q.portOut(0x20, 0xa0, 1); // rotate on non-specific EOI: IRQ 0 becomes the lowest
    pulse(q, 0);
    pulse(q, 5);
    expect(q.inta()).toBe(0x25);
  });

  it('special mask mode lets lower levels in while a masked level is in service', () => {
    const p = initialized();
    pulse(p, 0);
    p.inta();
    p.portOut(0x21, 0x01, 1); // mask IRQ 0 (in service)
    pulse(p, 4);
    expect(p.intr()).toBe(false);
    p.portOut(0x20, 0x68, 1); // OCW3: set special mask
    expect(p.inta()).toBe(0x24);
  });

  it('ELCR level mode: IRR follows the line and is not cleared by the acknowledge', () => {
    const p = initialized();
    p.portOut(0x4d1, 0xff, 1);
    expect(p.portIn(0x4d1, 1)).toBe(0xde); // IRQ 8 and 13 cannot be level-triggered
    p.setIrq(10, true);
    expect(p.inta()).toBe(0x2a);
    expect(p.registers(1).irr & 0x04).toBe(0x04);
    p.setIrq(10, false);
    expect(p.registers(1).irr & 0x04).toBe(0);
  });

  it('poll mode returns 0x80 | level and acknowledges it', () => {
    const p = initialized();
    pulse(p, 6);
    p.portOut(0x20, 0x0c, 1);
    expect(p.portIn(0x20, 1)).toBe(0x86);
    expect(p.registers(0).isr).toBe(0x40);
    p.portOut(0x20, 0x0c, 1);
    expect(p.portIn(0x20, 1)).toBe(0);
  });
});
