import { describe, expect, it } from 'vitest';
import { LocalApic } from '../../../emulator/devices/local-apic';

const ID = 0x20;
const VER = 0x30;
const TPR = 0x80;
const APR = 0x90;
const PPR = 0xa0;
const EOI = 0xb0;
const LDR = 0xd0;
const DFR = 0xe0;
const SVR = 0xf0;
const ISR = 0x100;
const IRR = 0x200;
const ESR = 0x280;
const ICR_LO = 0x300;
const ICR_HI = 0x310;
const LVT_TIMER = 0x320;
const LVT_LINT0 = 0x350;
const LVT_ERROR = 0x370;
const TMICT = 0x380;
const TMCCT = 0x390;
const TDCR = 0x3e0;

const MASKED = 0x10000;
const PERIODIC = 0x20000;
const TSC_DEADLINE = 0x40000;

function setup(start = 0) {
  let now = start;
  const apic = new LocalApic(() => now);
  const rd = (off: number) => apic.mmioRead(off, 4);
  const wr = (off: number, v: number) => apic.mmioWrite(off, v, 4);
  const clock = {
    get now() {
      return now;
    },
    set(t: number) {
      now = t;
    },
  };
  wr(SVR, 0x1ff); // software enable, spurious vector 0xFF
  return { apic, rd, wr, clock };
}

function irrHas(rd: (o: number) => number, v: number): boolean {
  return ((rd(IRR + 0x10 * (v >>> 5)) >>> (v & 31)) & 1) === 1;
}

function isrHas(rd: (o: number) => number, v: number): boolean {
  return ((rd(ISR + 0x10 * (v >>> 5)) >>> (v & 31)) & 1) === 1;
}

const DIVISORS: [number, number][] = [
  [0x0, 2],
  [0x1, 4],
  [0x2, 8],
  [0x3, 16],
  [0x8, 32],
  [0x9, 64],
  [0xa, 128],
  [0xb, 1],
];

describe('LocalApic registers', () => {
  it('has the reset values of QEMU / the SDM', () => {
    const apic = new LocalApic(() => 0);
    const rd = (o: number) => apic.mmioRead(o, 4);
    expect(rd(ID)).toBe(0);
    expect(rd(VER)).toBe(0x00050014);
    expect(rd(TPR)).toBe(0);
    expect(rd(PPR)).toBe(0);
    expect(rd(LDR)).toBe(0);
    expect(rd(DFR)).toBe(0xffffffff);
    expect(rd(SVR)).toBe(0xff);
    for (let off = 0x320; off <= 0x370; off += 0x10) expect(rd(off)).toBe(MASKED);
    expect(rd(TMICT)).toBe(0);
    expect(rd(TMCCT)).toBe(0);
    expect(rd(TDCR)).toBe(0);
    expect(rd(ICR_LO)).toBe(0);
    expect(apic.apicBaseMsr).toBe(0xfee00900);
    expect(apic.nextDeadline()).toBe(Infinity);
    expect(apic.pendingVector()).toBe(-1);
  });

  it('stores writable bits only and ignores writes to read-only registers', () => {
    const { rd, wr } = setup();
    wr(ID, 0x0fffffff);
    expect(rd(ID)).toBe(0x0f000000);
    wr(ID, 0);
    wr(VER, 0);
    expect(rd(VER)).toBe(0x00050014);
    wr(LDR, 0x12345678);
    expect(rd(LDR)).toBe(0x12000000);
    wr(DFR, 0x0);
    expect(rd(DFR)).toBe(0x0fffffff);
    wr(SVR, 0xffffffff);
    expect(rd(SVR)).toBe(0x1ff);
    wr(LVT_TIMER, 0xffffffff);
    expect(rd(LVT_TIMER)).toBe(0x000700ff);
    wr(LVT_LINT0, 0xffffffff);
    expect(rd(LVT_LINT0)).toBe(0x0001a7ff);
    wr(TDCR, 0xffffffff);
    expect(rd(TDCR)).toBe(0xb);
    wr(ICR_HI, 0xffffffff);
    expect(rd(ICR_HI)).toBe(0xff000000);
    wr(PPR, 0xff);
    wr(APR, 0xff);
    wr(IRR, 0xffffffff);
    wr(TMCCT, 5);
    expect(rd(PPR)).toBe(0);
    expect(rd(IRR)).toBe(0);
    expect(rd(TMCCT)).toBe(0);
  });

  it('reads bytes of the containing register for narrow or unaligned reads; ignores such writes', () => {
    const { apic, rd, wr } = setup();
    wr(TPR, 0x5a);
    expect(apic.mmioRead(TPR, 1)).toBe(0x5a);
    expect(apic.mmioRead(VER + 2, 1)).toBe(0x05);
    expect(apic.mmioRead(VER + 2, 2)).toBe(0x0005);
    expect(apic.mmioRead(VER + 1, 4)).toBe(0x000500);
    expect(apic.mmioRead(VER + 4, 4)).toBe(0);
    apic.mmioWrite(TPR, 0x11, 1);
    apic.mmioWrite(TPR + 4, 0x22, 4);
    apic.mmioWrite(TPR, 0x33, 2);
    expect(rd(TPR)).toBe(0x5a);
  });

  it('reads unimplemented registers as 0 and logs an illegal register address in ESR', () => {
    const { rd, wr } = setup();
    expect(rd(0x3f0)).toBe(0);
    wr(0x400, 1);
    expect(rd(ESR)).toBe(0);
    wr(ESR, 0);
    expect(rd(ESR)).toBe(0x80);
    wr(ESR, 0);
    expect(rd(ESR)).toBe(0);
  });
});

describe('LocalApic timer', () => {
  for (const [cfg, div] of DIVISORS) {
    it(`one-shot expires after initial * ${div} instructions (divide config ${cfg})`, () => {
      const { apic, rd, wr, clock } = setup(1000);
      wr(TDCR, cfg);
      wr(LVT_TIMER, 0x40);
      wr(TMICT, 10);
      const deadline = 1000 + 10 * div;
      expect(apic.nextDeadline()).toBe(deadline);
      expect(rd(TMCCT)).toBe(10);
      clock.set(1000 + div - 1);
      expect(rd(TMCCT)).toBe(10);
      clock.set(1000 + 3 * div);
      expect(rd(TMCCT)).toBe(7);
      clock.set(deadline - 1);
      apic.advance(deadline - 1);
      expect(rd(TMCCT)).toBe(1);
      expect(irrHas(rd, 0x40)).toBe(false);
      clock.set(deadline);
      apic.advance(deadline);
      expect(irrHas(rd, 0x40)).toBe(true);
      expect(apic.pendingVector()).toBe(0x40);
      expect(apic.nextDeadline()).toBe(Infinity);
      expect(rd(TMCCT)).toBe(0);
      clock.set(deadline + 100000);
      expect(rd(TMCCT)).toBe(0);
      expect(rd(TMICT)).toBe(10);
    });

    it(`periodic reloads every initial * ${div} instructions (divide config ${cfg})`, () => {
      const { apic, rd, wr, clock } = setup(500);
      wr(TDCR, cfg);
      wr(LVT_TIMER, PERIODIC | 0x41);
      wr(TMICT, 5);
      const period = 5 * div;
      expect(apic.nextDeadline()).toBe(500 + period);
      clock.set(500 + period);
      apic.advance(clock.now);
      expect(apic.acknowledge()).toBe(0x41);
      wr(EOI, 0);
      expect(apic.nextDeadline()).toBe(500 + 2 * period);
      expect(rd(TMCCT)).toBe(5); // reloaded at once: 0 is never read
      clock.set(500 + period + div);
      expect(rd(TMCCT)).toBe(4);
      // catching up over many periods sets IRR once and keeps the phase
      clock.set(500 + 37 * period + 2 * div);
      apic.advance(clock.now);
      expect(apic.pendingVector()).toBe(0x41);
      expect(apic.nextDeadline()).toBe(500 + 38 * period);
      expect(rd(TMCCT)).toBe(3);
    });
  }

  it('processes expiries on register access when the CPU has not called advance', () => {
    const { rd, wr, clock } = setup();
    wr(LVT_TIMER, 0x50);
    wr(TMICT, 3); // divisor 2: deadline 6
    clock.set(6);
    expect(irrHas(rd, 0x50)).toBe(true);
  });

  it('stops when the initial count is written 0, restarts on a new write', () => {
    const { apic, rd, wr, clock } = setup();
    wr(LVT_TIMER, 0x50);
    wr(TMICT, 100);
    clock.set(50);
    wr(TMICT, 0);
    expect(apic.nextDeadline()).toBe(Infinity);
    expect(rd(TMCCT)).toBe(0);
    wr(TMICT, 4);
    expect(apic.nextDeadline()).toBe(58);
  });

  it('keeps counting and reloading while masked without setting IRR, and resumes in phase', () => {
    const { apic, rd, wr, clock } = setup();
    wr(TDCR, 0xb); // divide by 1
    wr(LVT_TIMER, MASKED | PERIODIC | 0x60);
    wr(TMICT, 100);
    expect(apic.nextDeadline()).toBe(Infinity);
    clock.set(250);
    apic.advance(250);
    expect(rd(TMCCT)).toBe(50);
    expect(irrHas(rd, 0x60)).toBe(false);
    wr(LVT_TIMER, PERIODIC | 0x60);
    expect(irrHas(rd, 0x60)).toBe(false);
    expect(apic.nextDeadline()).toBe(300);
    clock.set(300);
    apic.advance(300);
    expect(irrHas(rd, 0x60)).toBe(true);
  });

  it('a one-shot timer that expired while masked does not fire when unmasked', () => {
    const { apic, rd, wr, clock } = setup();
    wr(TDCR, 0xb);
    wr(LVT_TIMER, MASKED | 0x60);
    wr(TMICT, 10);
    clock.set(20);
    wr(LVT_TIMER, 0x60);
    expect(irrHas(rd, 0x60)).toBe(false);
    expect(apic.nextDeadline()).toBe(Infinity);
    expect(rd(TMCCT)).toBe(0);
  });

  it('a masked one-shot timer unmasked before expiry fires at its deadline', () => {
    const { apic, wr, clock } = setup();
    wr(TDCR, 0xb);
    wr(LVT_TIMER, MASKED | 0x60);
    wr(TMICT, 10);
    clock.set(5);
    wr(LVT_TIMER, 0x60);
    expect(apic.nextDeadline()).toBe(10);
  });

  it('switches between one-shot and periodic without restarting the countdown', () => {
    const { apic, rd, wr, clock } = setup();
    wr(TDCR, 0xb);
    wr(LVT_TIMER, 0x60);
    wr(TMICT, 100);
    clock.set(40);
    wr(LVT_TIMER, PERIODIC | 0x60);
    expect(rd(TMCCT)).toBe(60);
    expect(apic.nextDeadline()).toBe(100);
    clock.set(100);
    apic.advance(100);
    expect(apic.nextDeadline()).toBe(200);
    clock.set(150);
    wr(LVT_TIMER, 0x60);
    expect(apic.nextDeadline()).toBe(200);
    clock.set(200);
    apic.advance(200);
    expect(apic.nextDeadline()).toBe(Infinity);
  });

  it('keeps the count but restarts the tick phase when the divide configuration changes', () => {
    const { apic, rd, wr, clock } = setup();
    wr(TDCR, 0x3); // 16
    wr(LVT_TIMER, 0x60);
    wr(TMICT, 10);
    clock.set(16 * 4 + 5); // count 6, 5 instructions into the next tick
    wr(TDCR, 0x0); // 2
    expect(rd(TMCCT)).toBe(6);
    expect(apic.nextDeadline()).toBe(69 + 12);
  });

  it('disarms in TSC-deadline mode (unsupported) and ignores initial-count writes there', () => {
    const { apic, rd, wr, clock } = setup();
    wr(LVT_TIMER, 0x60);
    wr(TMICT, 100);
    clock.set(10);
    wr(LVT_TIMER, TSC_DEADLINE | 0x60);
    expect(rd(LVT_TIMER)).toBe(TSC_DEADLINE | 0x60);
    expect(apic.nextDeadline()).toBe(Infinity);
    expect(rd(TMCCT)).toBe(0);
    wr(TMICT, 5);
    expect(rd(TMICT)).toBe(100);
    expect(apic.nextDeadline()).toBe(Infinity);
    wr(LVT_TIMER, 0x60); // back to one-shot: still disarmed until a new initial count
    expect(apic.nextDeadline()).toBe(Infinity);
    wr(TMICT, 5);
    expect(apic.nextDeadline()).toBe(20);
  });

  it('stays exact near large clock values and with the largest count and divisor', () => {
    const start = 2 ** 52;
    const { apic, rd, wr, clock } = setup(start);
    wr(TDCR, 0xa); // 128
    wr(LVT_TIMER, PERIODIC | 0x70);
    wr(TMICT, 0xffffffff);
    const period = 0xffffffff * 128;
    expect(apic.nextDeadline()).toBe(start + period);
    clock.set(start + period - 1);
    expect(rd(TMCCT)).toBe(1);
    clock.set(start + 3 * period + 127);
    apic.advance(clock.now);
    expect(apic.nextDeadline()).toBe(start + 4 * period);
    expect(rd(TMCCT)).toBe(0xffffffff);
    clock.set(start + 3 * period + 128);
    expect(rd(TMCCT)).toBe(0xfffffffe);
  });
});

describe('LocalApic priorities', () => {
  it('computes PPR from TPR and the highest ISR vector (SDM 10.8.3.1)', () => {
    const { apic, rd, wr } = setup();
    apic.raise(0x51);
    expect(apic.acknowledge()).toBe(0x51);
    wr(TPR, 0x5a);
    expect(rd(PPR)).toBe(0x5a);
    wr(TPR, 0x3a);
    expect(rd(PPR)).toBe(0x50);
    wr(TPR, 0x00);
    expect(rd(PPR)).toBe(0x50);
  });

  it('accepts only vectors whose class exceeds the PPR class', () => {
    const { apic, rd, wr } = setup();
    apic.raise(0x51);
    apic.raise(0x32);
    wr(TPR, 0x50);
    expect(apic.pendingVector()).toBe(-1);
    wr(TPR, 0x4f);
    expect(apic.pendingVector()).toBe(0x51);
    expect(apic.acknowledge()).toBe(0x51);
    expect(isrHas(rd, 0x51)).toBe(true);
    expect(irrHas(rd, 0x51)).toBe(false);
    expect(rd(PPR)).toBe(0x50);
    wr(TPR, 0);
    expect(apic.pendingVector()).toBe(-1); // 0x32 is below the in-service 0x51
    apic.raise(0x52);
    expect(apic.pendingVector()).toBe(-1); // same class as in-service
    apic.raise(0x61);
    expect(apic.pendingVector()).toBe(0x61); // nesting
  });

  it('EOI clears the highest ISR bit and reports it', () => {
    const { apic, rd, wr } = setup();
    const eois: number[] = [];
    apic.onEoi = (v) => eois.push(v);
    apic.raise(0x40);
    apic.acknowledge();
    apic.raise(0x80);
    apic.acknowledge();
    apic.raise(0x32);
    expect(apic.pendingVector()).toBe(-1);
    wr(EOI, 0);
    expect(eois).toEqual([0x80]);
    expect(isrHas(rd, 0x80)).toBe(false);
    expect(isrHas(rd, 0x40)).toBe(true);
    wr(EOI, 0);
    expect(eois).toEqual([0x80, 0x40]);
    expect(apic.pendingVector()).toBe(0x32);
    wr(EOI, 0); // ISR empty: nothing
    expect(eois).toEqual([0x80, 0x40]);
  });

  it('computes APR per the SDM', () => {
    const { apic, rd, wr } = setup();
    wr(TPR, 0x45);
    expect(rd(APR)).toBe(0x45);
    apic.raise(0x71);
    expect(rd(APR)).toBe(0x70);
  });

  it('calls onTprWrite with the old and new TPR', () => {
    const { apic, wr } = setup();
    const calls: [number, number][] = [];
    apic.onTprWrite = (a, b) => calls.push([a, b]);
    wr(TPR, 0x20);
    wr(TPR, 0x130);
    expect(calls).toEqual([
      [0, 0x20],
      [0x20, 0x30],
    ]);
    expect(apic.taskPriority).toBe(0x30);
  });

  it('returns the spurious vector from acknowledge when nothing is pending', () => {
    const { apic, wr } = setup();
    wr(SVR, 0x13f);
    expect(apic.acknowledge()).toBe(0x3f);
  });

  it('does not deliver while software-disabled: IRR is held, new interrupts are not accepted, LVTs stay masked', () => {
    const { apic, rd, wr } = setup();
    apic.raise(0x40);
    wr(LVT_TIMER, 0x50);
    wr(SVR, 0xff);
    expect(apic.pendingVector()).toBe(-1);
    expect(irrHas(rd, 0x40)).toBe(true);
    expect(rd(LVT_TIMER) & MASKED).toBe(MASKED);
    wr(LVT_TIMER, 0x50);
    expect(rd(LVT_TIMER)).toBe(MASKED | 0x50);
    apic.raise(0x90);
    expect(irrHas(rd, 0x90)).toBe(false);
    wr(SVR, 0x1ff);
    expect(apic.pendingVector()).toBe(0x40);
  });

  it('rejects illegal vectors 0-15 with ESR bit 6 and raises the LVT error vector', () => {
    const { apic, rd, wr } = setup();
    wr(LVT_ERROR, 0xfe);
    apic.raise(5);
    expect(rd(IRR)).toBe(0);
    wr(ESR, 0);
    expect(rd(ESR)).toBe(0x40);
    expect(apic.pendingVector()).toBe(0xfe);
  });
});

describe('LocalApic IPIs', () => {
  it('delivers fixed self-IPIs through the self and all-including-self shorthands', () => {
    const { rd, wr } = setup();
    wr(ICR_LO, (1 << 18) | 0x61);
    wr(ICR_LO, (2 << 18) | 0x62);
    wr(ICR_LO, (3 << 18) | 0x63); // all excluding self: nobody
    expect(irrHas(rd, 0x61)).toBe(true);
    expect(irrHas(rd, 0x62)).toBe(true);
    expect(irrHas(rd, 0x63)).toBe(false);
    expect(rd(ICR_LO) & 0x1000).toBe(0); // delivery status idle
    expect(rd(ICR_LO)).toBe((3 << 18) | 0x63);
  });

  it('delivers to its own physical APIC ID and to the broadcast ID only', () => {
    const { apic, rd, wr } = setup();
    wr(ID, 0x03000000);
    wr(ICR_HI, 0x03000000);
    wr(ICR_LO, 0x64);
    wr(ICR_HI, 0x01000000);
    wr(ICR_LO, 0x65);
    wr(ICR_HI, 0xff000000);
    wr(ICR_LO, 0x66);
    expect([irrHas(rd, 0x64), irrHas(rd, 0x65), irrHas(rd, 0x66)]).toEqual([true, false, true]);
    expect(apic.pendingVector()).toBe(0x66);
  });

  it('matches logical destinations in the flat and cluster models', () => {
    const { rd, wr } = setup();
    wr(LDR, 0x12000000);
    wr(ICR_HI, 0x02000000);
    wr(ICR_LO, 0x800 | 0x70); // flat: 0x02 & 0x12
    wr(ICR_HI, 0x01000000);
    wr(ICR_LO, 0x800 | 0x71);
    wr(DFR, 0x0fffffff); // cluster
    wr(ICR_HI, 0x12000000);
    wr(ICR_LO, 0x800 | 0x72);
    wr(ICR_HI, 0x22000000);
    wr(ICR_LO, 0x800 | 0x73);
    wr(ICR_HI, 0xf2000000);
    wr(ICR_LO, 0x800 | 0x74);
    expect([0x70, 0x71, 0x72, 0x73, 0x74].map((v) => irrHas(rd, v))).toEqual([true, false, true, false, true]);
  });

  it('sets nmiPending for an NMI to self and ignores INIT, SIPI and SMI', () => {
    const { apic, rd, wr } = setup();
    wr(ICR_LO, (1 << 18) | (4 << 8));
    expect(apic.nmiPending).toBe(true);
    apic.nmiPending = false;
    wr(ICR_LO, (3 << 18) | (4 << 8)); // NMI to all others
    expect(apic.nmiPending).toBe(false);
    wr(ICR_LO, (3 << 18) | (5 << 8) | 0x4000); // INIT
    wr(ICR_LO, (3 << 18) | (6 << 8) | 0x08); // SIPI
    wr(ICR_LO, (1 << 18) | (2 << 8)); // SMI to self
    wr(ICR_HI, 0);
    wr(ICR_LO, (5 << 8) | 0x4000); // INIT to own ID
    expect(apic.nmiPending).toBe(false);
    for (let i = 0; i < 8; i++) expect(rd(IRR + 0x10 * i)).toBe(0);
    wr(ESR, 0);
    expect(rd(ESR)).toBe(0);
  });

  it('refuses to send an illegal vector (ESR bit 5)', () => {
    const { apic, rd, wr } = setup();
    wr(ICR_LO, (1 << 18) | 0x0e);
    expect(rd(IRR)).toBe(0);
    wr(ESR, 0);
    expect(rd(ESR)).toBe(0x20);
    expect(apic.pendingVector()).toBe(-1);
  });
});

describe('LocalApic IA32_APIC_BASE', () => {
  it('keeps the base and BSP bit; clearing the enable bit disables the APIC', () => {
    const { apic, rd } = setup();
    apic.raise(0x40);
    apic.apicBaseMsr = 0xfed00900;
    expect(apic.apicBaseMsr).toBe(0xfee00900);
    apic.apicBaseMsr = 0xfee00100;
    expect(apic.apicBaseMsr).toBe(0xfee00100);
    expect(apic.hardwareEnabled).toBe(false);
    expect(apic.pendingVector()).toBe(-1);
    expect(rd(SVR) & 0x100).toBe(0);
  });

  it('setting the enable bit again re-enables it without a reset, in the power-up state (SDM 10.4.3, 10.4.7.1)', () => {
    const { apic, rd, wr } = setup();
    wr(SVR, 0x1ff);
    wr(TPR, 0x20);
    wr(LDR, 0x01000000);
    wr(DFR, 0x0fffffff);
    wr(LVT_TIMER, 0x30);
    wr(TDCR, 0xb);
    wr(TMICT, 1000);
    wr(ICR_HI, 0x05000000);
    apic.raise(0x40);
    apic.acknowledge();
    apic.raise(0x50);
    apic.apicBaseMsr = 0xfee00100;
    apic.apicBaseMsr = 0xfee00900;
    expect(apic.hardwareEnabled).toBe(true);
    expect(apic.apicBaseMsr).toBe(0xfee00900);
    // IRR, ISR, TMR, ICR, LDR, TPR, timer counts and divide zero; DFR all ones; LVTs masked; SVR 0xFF.
    for (let k = 0; k < 8; k++) {
      expect(rd(ISR + 16 * k)).toBe(0);
      expect(rd(IRR + 16 * k)).toBe(0);
      expect(rd(0x180 + 16 * k)).toBe(0);
    }
    expect([rd(ICR_LO), rd(ICR_HI), rd(LDR), rd(TPR), rd(TMICT), rd(TMCCT), rd(TDCR)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(rd(DFR) >>> 0).toBe(0xffffffff);
    for (let k = 0; k < 6; k++) expect(rd(LVT_TIMER + 16 * k)).toBe(MASKED);
    expect(rd(SVR)).toBe(0xff);
    expect(rd(VER)).toBe(LocalApic.VERSION);
    // Still software-disabled (SVR bit 8 clear) until software sets it, as after reset: then it accepts interrupts again.
    apic.raise(0x60);
    expect(apic.pendingVector()).toBe(-1);
    wr(SVR, 0x1ff);
    apic.raise(0x60);
    expect(apic.pendingVector()).toBe(0x60);
  });

  it('software-disabled through the SVR: LVTs are masked and stay masked, registers stay readable (SDM 10.4.7.2)', () => {
    const { apic, rd, wr } = setup();
    wr(SVR, 0x1ff);
    wr(TPR, 0x30);
    wr(LVT_TIMER, 0x31);
    wr(LVT_ERROR, 0x32);
    apic.raise(0x70);
    wr(SVR, 0x0ff);
    expect(rd(LVT_TIMER)).toBe(0x31 | MASKED);
    expect(rd(LVT_ERROR)).toBe(0x32 | MASKED);
    wr(LVT_TIMER, 0x33); // the mask cannot be cleared while software-disabled
    expect(rd(LVT_TIMER)).toBe(0x33 | MASKED);
    expect(rd(TPR)).toBe(0x30);
    expect(rd(IRR + 0x30)).toBe(1 << 16); // vector 0x70 is held in IRR
    expect(apic.pendingVector()).toBe(-1);
    wr(SVR, 0x1ff); // enabling again leaves the LVTs masked (software unmasks them)
    expect(rd(LVT_TIMER)).toBe(0x33 | MASKED);
    expect(apic.pendingVector()).toBe(0x70);
  });

});
