import { describe, expect, it } from 'vitest';
import { Pit8254, PIT_TICK_INSTRUCTIONS as T } from '../../../emulator/devices/pit8254';
import { PcSpeaker } from '../../../emulator/devices/pc-speaker';

function setup() {
  const clock = { now: 0 };
  const edges: [number, boolean][] = [];
  const pit = new Pit8254(() => clock.now, (h) => edges.push([clock.now, h]));
  const run = (to: number) => {
    while (pit.nextDeadline() <= to) {
      clock.now = pit.nextDeadline();
      pit.advance(clock.now);
    }
    clock.now = to;
  };
  return { clock, edges, pit, run };
}

function program(pit: Pit8254, ch: number, mode: number, count: number): void {
  pit.portOut(0x43, (ch << 6) | 0x30 | (mode << 1), 1);
  pit.portOut(0x40 + ch, count & 0xff, 1);
  pit.portOut(0x40 + ch, (count >>> 8) & 0xff, 1);
}

const rises = (edges: [number, boolean][]) => edges.filter(([, h]) => h).map(([t]) => t);

describe('8254 PIT', () => {
  it(`ticks once every ${T} retired instructions: mode 2 interrupts every N ticks exactly`, () => {
    const { clock, edges, pit, run } = setup();
    clock.now = 5 * T;
    program(pit, 0, 2, 100);
    run(5 * T + 350 * T);
    expect(rises(edges)).toEqual([105 * T, 205 * T, 305 * T]);
  });

  it('mode 3 is a square wave: high for ceil(N/2) ticks, low for floor(N/2)', () => {
    const { edges, pit, run } = setup();
    program(pit, 0, 3, 5);
    edges.length = 0;
    run(11 * T);
    expect(edges).toEqual([[3 * T, false], [5 * T, true], [8 * T, false], [10 * T, true]]);
  });

  it('mode 0 raises OUT once at the terminal count and the counter wraps; the control word drops OUT', () => {
    const { clock, edges, pit, run } = setup();
    program(pit, 0, 0, 10);
    run(30 * T);
    expect(rises(edges)).toEqual([10 * T]);
    pit.portOut(0x43, 0x00, 1); // latch channel 0
    expect(pit.portIn(0x40, 1) | (pit.portIn(0x40, 1) << 8)).toBe(0x10000 - 20);
    clock.now = 31 * T;
    pit.portOut(0x43, 0x30, 1);
    expect(edges[edges.length - 1]).toEqual([31 * T, false]);
  });

  it('mode 4 strobes OUT low for one tick at the terminal count', () => {
    const { edges, pit, run } = setup();
    program(pit, 0, 4, 7);
    edges.length = 0;
    run(20 * T);
    expect(edges).toEqual([[7 * T, false], [8 * T, true]]);
  });

  it('counter latch holds the count until read; read-back latches status (OUT, access, mode, BCD)', () => {
    const { clock, pit } = setup();
    program(pit, 2, 0, 1000);
    clock.now = 100 * T;
    pit.portOut(0x43, 0x80, 1); // latch channel 2
    clock.now = 500 * T;
    expect(pit.portIn(0x42, 1) | (pit.portIn(0x42, 1) << 8)).toBe(1000); // gate low: not counting
    pit.portOut(0x43, 0xe8, 1); // read-back status of channel 2
    expect(pit.portIn(0x42, 1)).toBe(0x30);
  });

  it('a control word without a count reports null count in the read-back status', () => {
    const { pit } = setup();
    pit.portOut(0x43, 0xb4, 1); // channel 2, mode 2
    pit.portOut(0x43, 0xe8, 1);
    expect(pit.portIn(0x42, 1)).toBe(0x80 | 0x40 | 0x34);
  });

  it('port 0x61: gate 2 starts the mode 0 count, bit 5 is OUT 2, bit 4 toggles on every read', () => {
    const { clock, pit } = setup();
    const b = new PcSpeaker(pit);
    program(pit, 2, 0, 50);
    clock.now = 100 * T;
    expect(b.portIn(0x61, 1) & 0x21).toBe(0); // gate low, OUT low
    b.portOut(0x61, 0x01, 1);
    clock.now = 149 * T;
    expect(b.portIn(0x61, 1) & 0x20).toBe(0);
    clock.now = 150 * T;
    expect(b.portIn(0x61, 1) & 0x21).toBe(0x21);
    expect((b.portIn(0x61, 1) ^ b.portIn(0x61, 1)) & 0x10).toBe(0x10);
  });

  it('gate low suspends counting in mode 0 and resumes it; a rising gate retriggers mode 1', () => {
    const { clock, pit } = setup();
    const b = new PcSpeaker(pit);
    b.portOut(0x61, 1, 1);
    program(pit, 2, 0, 100);
    clock.now = 40 * T;
    b.portOut(0x61, 0, 1);
    clock.now = 1000 * T;
    b.portOut(0x61, 1, 1);
    pit.portOut(0x43, 0x80, 1);
    expect(pit.portIn(0x42, 1)).toBe(60);
    program(pit, 2, 1, 30);
    clock.now = 1100 * T;
    expect(b.portIn(0x61, 1) & 0x20).toBe(0x20); // not triggered yet: OUT high
    b.portOut(0x61, 0, 1);
    b.portOut(0x61, 1, 1);
    expect(b.portIn(0x61, 1) & 0x20).toBe(0); // triggered: low until the count ends
    clock.now = 1130 * T;
    expect(b.portIn(0x61, 1) & 0x20).toBe(0x20);
  });

  it('BCD counting: count 0x0100 is one hundred ticks and reads back in BCD', () => {
    const { clock, edges, pit, run } = setup();
    pit.portOut(0x43, 0x35, 1); // channel 0, LSB/MSB, mode 2, BCD
    pit.portOut(0x40, 0x00, 1);
    pit.portOut(0x40, 0x01, 1);
    run(250 * T);
    expect(rises(edges).slice(-2)).toEqual([100 * T, 200 * T]);
    clock.now = 225 * T;
    pit.portOut(0x43, 0x00, 1);
    expect(pit.portIn(0x40, 1)).toBe(0x75);
  });

  it('starts as the firmware leaves it: channel 0 mode 2 every 65536 ticks', () => {
    const { edges, run } = setup();
    run(2 * 65536 * T + 1);
    expect(rises(edges)).toEqual([65536 * T, 2 * 65536 * T]);
  });
});

describe('8254 PIT snapshots', () => {
  it('a state saved exactly at a deadline, before the edge is delivered, delivers it after a restore', () => {
    const a = setup();
    program(a.pit, 0, 2, 10);
    a.run(10 * T - 1);
    a.clock.now = 10 * T; // the deadline has come, advance() not called yet
    const b = setup();
    b.clock.now = 10 * T;
    b.pit.loadState(a.pit.saveState());
    expect(b.pit.nextDeadline()).toBe(10 * T);
    b.pit.advance(10 * T);
    a.pit.advance(10 * T);
    expect(b.edges).toEqual([[10 * T, true]]);
    expect(b.pit.saveState()).toEqual(a.pit.saveState());
  });
});
