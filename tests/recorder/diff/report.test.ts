import { afterAll, describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRunInMemory, type MemoryRun } from '../../../recorder/diff/memory-run';
import { buildReport } from '../../../recorder/diff/report';
import { CLASSIFIER_KINDS, STALE_KIND } from '../../../recorder/diff/categories';
import { traceDiffRun } from '../../../recorder/diff/trace-run';
import type { DiffRun, EventQuery } from '../../../recorder/diff/engine';
import { recordRun } from '../../../recorder/record';
import { openTraceReadOnly, closeTrace, readEvents } from '../../../recorder/store';
import { pickRun } from '../../../recorder/load-run';
import { EventKind } from '../../../recorder/events';
import { scenarioImage } from '../../../scenarios/scenarios';
import type { RunOptions } from '../../../recorder/session';

interface Read { from: number; to: number; filter?: EventQuery; returned: number }

/** `run` with every events() call it answers written down. */
function counted(run: MemoryRun, reads: Read[]): DiffRun {
  return {
    ...run,
    events: (from, to, filter) => {
      const es = run.events(from, to, filter);
      reads.push({ from, to, filter, returned: es.length });
      return es;
    },
  };
}

describe('diff report: what classification reads', () => {
  const cases = [
    { guest: 'hidden-state', mode: 'sw-013', category: 'hidden state' }, // the stale-descriptor rule
    { guest: 'ring-compression', mode: 'sw-033', shadow: 'shared', category: 'ring compression' }, // the page-fault rule
  ];
  for (const c of cases) {
    it(`${c.guest} under ${c.mode}: reads only the classifier's kinds at the divergence and one stale_descriptor row per run`, () => {
      const img = scenarioImage(c.guest);
      const left = recordRunInMemory(img, { mode: 'native' }, 'native');
      const right = recordRunInMemory(img, { mode: c.mode, shadow: c.shadow }, c.mode);
      const reads: Read[] = [];
      const r = buildReport(counted(left, reads), counted(right, reads), { maxLater: 8 });
      expect(r.first?.category).toBe(c.category);
      const allowed = new Set([...CLASSIFIER_KINDS, STALE_KIND]);
      const staleReads = reads.filter((x) => x.filter?.kinds?.includes(STALE_KIND));
      expect(staleReads.length).toBeLessThanOrEqual(2); // once per run, whatever the number of divergences
      for (const x of staleReads) expect(x.filter?.limit).toBe(1);
      for (const x of reads) {
        if (x.filter?.kinds !== undefined) {
          for (const k of x.filter.kinds) expect(allowed.has(k)).toBe(true);
          if (!x.filter.kinds.includes(STALE_KIND)) expect(x.to - x.from).toBeLessThanOrEqual(1); // the divergent instruction
        } else {
          expect(x.to - x.from).toBeLessThanOrEqual(51); // the events shown around the first divergence
        }
      }
      const returned = reads.reduce((n, x) => n + x.returned, 0);
      expect(returned).toBeLessThan((left.allEvents.length + right.allEvents.length) / 50);
    });
  }

  it('the classifier kinds follow from the rules: faults (interrupt, monitor_exit) and emulations', () => {
    expect([...CLASSIFIER_KINDS]).toEqual([EventKind.interrupt, EventKind.monitor_exit, EventKind.monitor_emulation].sort((a, b) => a - b));
    expect(STALE_KIND).toBe(EventKind.stale_descriptor);
  });
});

describe('diff report: a stored run answers by kind and icount range in SQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-diff-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns exactly the events of the kinds asked for within the range, and stops at the limit', () => {
    const out = join(dir, 'hs.sqlite');
    const options: RunOptions = { mode: 'sw-013', cmdline: '', ramSize: 128 << 20, snapshotInterval: 50_000 };
    recordRun({ image: scenarioImage('hidden-state'), imageName: 'hidden-state.elf', out, options });
    const db = openTraceReadOnly(out);
    try {
      const run = pickRun(db, undefined);
      const d = traceDiffRun(db, run, 'sw-013');
      const all = [...readEvents(db, run.id)];
      const from = 100_000, to = 106_000;
      const want = all.filter((e) => e.icount >= from && e.icount <= to && CLASSIFIER_KINDS.includes(e.kind));
      expect(want.length).toBeGreaterThan(0);
      expect(d.events(from, to, { kinds: CLASSIFIER_KINDS })).toEqual(want);
      const stale = all.filter((e) => e.kind === STALE_KIND);
      expect(stale.length).toBeGreaterThan(0);
      expect(d.events(0, Number.MAX_SAFE_INTEGER, { kinds: [STALE_KIND], limit: 1 })).toEqual([stale[0]]);
      expect(d.events(from, to)).toEqual(all.filter((e) => e.icount >= from && e.icount <= to)); // no filter: every kind
    } finally {
      closeTrace(db);
    }
  });
});
