import { describe, it, expect } from 'vitest';
import { recordInMemory } from '../../../helpers/record-memory';
import { guestImage } from '../../../helpers/guests';
import { EventKind } from '../../../../recorder/events';

/** The tpr events of the tpr scenario under `over`, as (old, new) pairs. */
function tprEvents(over: Parameters<typeof recordInMemory>[1]): [number, number][] {
  const { events, result } = recordInMemory(guestImage('tpr'), { ...over, maxInstructions: 50_000_000 });
  expect(result.reason).toBe('exit');
  return events.filter((e) => e.kind === EventKind.tpr).map((e) => [e.a, e.b]);
}

describe('VT-x TPR shadow: the guest\'s TPR writes in the trace (machine revision 4)', () => {
  const native = tprEvents({ mode: 'native' });

  it('records every TPR write the guest makes to the virtual TPR, with the values it makes natively, and no exit for them', () => {
    expect(native.length).toBeGreaterThanOrEqual(100_000);
    const { events } = recordInMemory(guestImage('tpr'), { mode: 'vtx', maxInstructions: 50_000_000 });
    const tpr = events.filter((e) => e.kind === EventKind.tpr).map((e) => [e.a, e.b]);
    expect(tpr).toEqual(native);
    expect(events.filter((e) => e.kind === EventKind.monitor_exit && /apic/i.test(e.text)).length).toBeLessThan(100);
  });

  it('keeps the runs of revision 3 as they were recorded: no tpr event for a VTPR write', () => {
    expect(tprEvents({ mode: 'vtx', machineRevision: 3 })).toEqual([]);
  });

  it('generation 1 has no TPR shadow: its TPR writes exit and reach the APIC, recorded as natively', () => {
    expect(tprEvents({ mode: 'vtx', vtxGen: 1 })).toEqual(native);
  });
});
