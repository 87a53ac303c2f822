import { describe, expect, it } from 'vitest';
import { RtcCmos } from '../../../emulator/devices/rtc-cmos';

const SEC = 1_000_000_000;

function setup() {
  const clock = { now: 0 };
  const irq: [number, boolean][] = [];
  const rtc = new RtcCmos(() => clock.now, (h) => irq.push([clock.now, h]), 128 << 20, 128 << 20);
  const read = (i: number) => {
    rtc.portOut(0x70, i, 1);
    return rtc.portIn(0x71, 1);
  };
  const write = (i: number, v: number) => {
    rtc.portOut(0x70, i, 1);
    rtc.portOut(0x71, v, 1);
  };
  const run = (to: number) => {
    while (rtc.nextDeadline() <= to) {
      clock.now = rtc.nextDeadline();
      rtc.advance(clock.now);
    }
    clock.now = to;
  };
  return { clock, irq, rtc, read, write, run };
}

const time = (read: (i: number) => number) => [4, 2, 0].map((i) => read(i).toString(16).padStart(2, '0')).join(':');

describe('CMOS RTC', () => {
  it('starts at 2024-01-01 00:00:00, a Monday, in BCD 24-hour mode, and advances one second per 10^9 instructions', () => {
    const { clock, read } = setup();
    expect([read(9), read(8), read(7), read(6)]).toEqual([0x24, 0x01, 0x01, 0x02]);
    expect(time(read)).toBe('00:00:00');
    clock.now = 3661 * SEC + SEC - 1;
    expect(time(read)).toBe('01:01:01');
    clock.now = 86400 * SEC * 31;
    expect([read(8), read(7), read(6)]).toEqual([0x02, 0x01, 0x05]); // 2024-02-01, Thursday
  });

  it('binary and 12-hour modes change how the same time reads', () => {
    const { clock, read, write } = setup();
    clock.now = (13 * 3600 + 45 * 60) * SEC;
    write(0x0b, 0x04); // binary, 12-hour
    expect(read(4)).toBe(0x80 | 1);
    expect(read(2)).toBe(45);
    write(0x0b, 0x00); // BCD, 12-hour
    expect(read(4)).toBe(0x81);
  });

  it('status A shows UIP in the last 244 us of each second; D reads 0x80; port 0x70 reads 0xFF', () => {
    const { clock, read, rtc } = setup();
    clock.now = SEC - 244_001;
    expect(read(0x0a)).toBe(0x26);
    clock.now = SEC - 244_000;
    expect(read(0x0a)).toBe(0xa6);
    expect(read(0x0d)).toBe(0x80);
    expect(rtc.portIn(0x70, 1)).toBe(0xff);
  });

  it('periodic interrupt: rate 6 is 1024 Hz on IRQ 8, which stays high until status C is read', () => {
    const { irq, read, write, run } = setup();
    write(0x0b, 0x42); // PIE
    // 32 ticks of the 32.768 kHz oscillator: 976562.5 ns, so the first tick is instruction 976563
    run(976_562);
    expect(irq).toEqual([]);
    run(976_563 + 10);
    expect(irq).toEqual([[976_563, true]]);
    run(3 * 976_563);
    expect(irq.length).toBe(1); // no new edge while IRQ 8 is high
    expect(read(0x0c)).toBe(0xc0);
    expect(irq[1][1]).toBe(false);
    expect(read(0x0c)).toBe(0x00);
  });

  it('update-ended and alarm interrupts once a second; alarm don\'t-care bytes', () => {
    const { irq, read, write, run } = setup();
    write(0x01, 0x05); // alarm at hh:mm:05 with
    write(0x03, 0xc0); // any minute
    write(0x05, 0xff); // any hour
    write(0x0b, 0x22); // AIE
    run(4 * SEC + 5);
    expect(irq).toEqual([]);
    run(5 * SEC);
    expect(irq).toEqual([[5 * SEC, true]]);
    expect(read(0x0c) & 0xb0).toBe(0xb0); // IRQF, AF, UF
  });

  it('SET stops the clock; the time written under SET runs from where SET is cleared', () => {
    const { clock, read, write } = setup();
    clock.now = 10 * SEC;
    write(0x0b, 0x82);
    write(0x04, 0x12);
    write(0x02, 0x34);
    write(0x00, 0x56);
    clock.now = 20 * SEC;
    expect(time(read)).toBe('12:34:56');
    write(0x0b, 0x02);
    clock.now = 22 * SEC;
    expect(time(read)).toBe('12:34:58');
  });

  it('the NMI-mask bit of port 0x70 is stored and does not change the index', () => {
    const { rtc } = setup();
    rtc.portOut(0x70, 0x8d, 1);
    expect(rtc.nmiMasked).toBe(true);
    expect(rtc.portIn(0x71, 1)).toBe(0x80);
  });

  it('CMOS RAM holds QEMU\'s memory sizes for the RAM given, and keeps what the guest writes', () => {
    const { read, write } = setup();
    expect([read(0x15), read(0x16), read(0x17), read(0x18), read(0x34), read(0x35), read(0x32)]).toEqual([0x80, 0x02, 0xff, 0xff, 0x00, 0x07, 0x20]);
    write(0x40, 0x5a);
    expect(read(0x40)).toBe(0x5a);
  });
});
