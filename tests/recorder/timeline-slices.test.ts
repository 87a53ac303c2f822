/** Continue and reverse-continue in slices (what the debugger uses to keep reading keys during a long move). */
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../recorder/timeline';
import { guestImage } from '../helpers/guests';
import { recordInMemory } from '../helpers/record-memory';

describe('time travel in slices', () => {
  const { run } = recordInMemory(guestImage('minikernel'), { snapshotInterval: 100_000, jitterSeed: 7 });

  it('continue(until) stops at `until` when nothing is hit before, and slices reach the same hit as one continue', () => {
    const tl = new Timeline(run);
    tl.seek(600_000);
    const target = tl.linearIp();
    tl.seek(0);
    tl.setBreakpoints([target]);
    expect(tl.continue(1000)).toBe('target');
    expect(tl.icount).toBe(1000);
    let why = tl.continue(tl.icount + 50_000);
    while (why === 'target') why = tl.continue(tl.icount + 50_000);
    expect(why).toBe('breakpoint');
    const sliced = tl.icount;
    const whole = new Timeline(run);
    whole.setBreakpoints([target]);
    expect(whole.continue()).toBe('breakpoint');
    expect(sliced).toBe(whole.icount);
    expect(tl.linearIp()).toBe(target);
  });

  it('reverseContinue(notBefore) searches only the intervals after notBefore: it stays when the last hit is before them, and the next slice finds it', () => {
    const tl = new Timeline(run);
    const target = tl.machine.symbols.addressOf('main')!; // executed once, at the start
    expect(target).toBeDefined();
    const whole = new Timeline(run);
    whole.setBreakpoints([target]);
    whole.seek(300_000);
    expect(whole.reverseContinue()).toBe(true);
    const last = whole.icount;
    // From 300,000, searching back only the snapshot intervals after the one holding `last`
    // finds nothing and stays; the next slice, from there, finds `last`.
    const notBefore = (Math.floor(last / 100_000) + 1) * 100_000;
    expect(notBefore).toBeLessThan(300_000);
    tl.setBreakpoints([target]);
    tl.seek(300_000);
    expect(tl.reverseContinue(notBefore)).toBe(false);
    expect(tl.icount).toBe(300_000);
    tl.seek(notBefore);
    expect(tl.reverseContinue(notBefore - 100_000)).toBe(true);
    expect(tl.icount).toBe(last);
  });
});
