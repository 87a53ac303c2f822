import { describe, expect, it } from 'vitest';
import { Timeline } from '../../recorder/timeline';
import { guestImage } from '../helpers/guests';
import { recordInMemory } from '../helpers/record-memory';
import { readGuest } from '../../emulator/guest-view';

const image = guestImage('minikernel');

describe('time travel: watchpoints through the guest page tables, continue to a count, what stopped it', () => {
  const native = recordInMemory(image, { snapshotInterval: 100_000 }).run;
  const sw013 = recordInMemory(image, { mode: 'sw-013', snapshotInterval: 100_000 }).run;
  const tl0 = new Timeline(native);
  const at = (name: string) => tl0.machine.symbols.addressOf(name)!;

  it('a write watchpoint stops after the writing instruction, natively and under sw-013 at the same guest count', () => {
    const counts: number[] = [];
    for (const run of [native, sw013]) {
      const tl = new Timeline(run);
      tl.setWatchpoints([at('lines_written')]);
      expect(tl.continue()).toBe('watchpoint');
      expect(tl.lastHit).toEqual({ kind: 'watchpoint', watchAddress: at('lines_written'), watchKind: 'write' });
      expect(tl.linearIp()).toBe(at('sys_write.done') + 6);
      expect(readGuest(tl.machine, at('lines_written'), 4)).toEqual([1, 0, 0, 0]);
      counts.push(tl.icount);
    }
    expect(counts[1]).toBe(counts[0]);
  });

  it('a watch length covers only its bytes', () => {
    const tl = new Timeline(native);
    tl.setWatchpoints([at('lines_written') + 3], 1);
    expect(tl.continue()).toBe('watchpoint');
    expect(tl.lastHit?.watchAddress).toBe(at('lines_written') + 3);
    tl.seek(0);
    tl.setWatchpoints([at('lines_written') + 4], 1); // the byte after the counter: nothing writes it
    expect(tl.continue()).toBe('end');
  });

  it('continue(until) stops at the count when nothing is hit first', () => {
    const tl = new Timeline(native);
    tl.setBreakpoints([at('sys_write')]);
    expect(tl.continue(1000)).toBe('target');
    expect(tl.icount).toBe(1000);
    expect(tl.lastHit).toBeNull();
    expect(tl.continue()).toBe('breakpoint');
    expect(tl.lastHit?.kind).toBe('breakpoint');
  });

  it('reverse-continue says whether a breakpoint or a watchpoint stopped it', () => {
    const tl = new Timeline(native);
    tl.setBreakpoints([at('sys_exit')]);
    tl.setWatchpoints([at('lines_written')]);
    tl.seek(native.finalIcount);
    expect(tl.reverseContinue()).toBe(true);
    const first = tl.lastHit!;
    expect(['breakpoint', 'watchpoint']).toContain(first.kind);
    if (first.kind === 'breakpoint') expect(tl.linearIp()).toBe(at('sys_exit'));
    else expect(first.watchAddress).toBe(at('lines_written'));
  });
});
