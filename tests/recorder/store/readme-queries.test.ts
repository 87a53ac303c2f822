import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEvent, type EventFields, type EventKindName, type TraceEvent } from '../../../recorder/events';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { createRun } from '../../../recorder/store/create-run';
import { EventWriter } from '../../../recorder/store/append-events';
import { runQuery } from '../../../recorder/store/run-query';
import { SAMPLE_RUN, smallTrace, tempDir } from './helpers';

const README = join(import.meta.dirname, '../../../recorder/README-queries.md');
const queries = [...readFileSync(README, 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1].trim());

/** A second, incomplete run with system calls, an irq input and its delivery, monitor exits, a stale descriptor. */
function addSyscallRun(path: string): void {
  const db = openTrace(path, { create: false });
  const run = createRun(db, { ...SAMPLE_RUN, mode: 'sw-033' });
  const w = new EventWriter(db, run);
  let seq = 0;
  const ev = <K extends EventKindName>(icount: number, kind: K, fields: EventFields<K>): TraceEvent =>
    makeEvent(kind, fields, { seq: seq++, icount, cpl: 3, cs: 0x1b, eip: 0x400000 + icount });
  const events = [
    ev(10, 'fast_syscall', { to_cs: 0, to_eip: 0, to_cpl: 0, op: 'sysenter' }),
    ev(10, 'privilege', { from_cpl: 3, to_cpl: 0, to_cs: 0, to_eip: 0, cause: 'sysenter' }),
    ev(50, 'fast_syscall', { to_cs: 0, to_eip: 0, to_cpl: 0, op: 'sysexit' }),
    ev(60, 'input', { value: 0x20, channel: 'irq' }),
    ev(75, 'interrupt', { vector: 0x20, to_cs: 0, to_eip: 0, to_cpl: 0, source: 'apic' }),
    ev(80, 'segment_load', { reg: 3, selector: 0x23, base: 0, seg_limit: -1, rights: '00cff300' }),
    ev(90, 'stale_descriptor', { reg: 3, selector: 0x23 }),
    ev(95, 'monitor_exit', { exit_reason: 48, qualification: 0x10, reason: 'ept-violation' }),
    ev(99, 'monitor_exit', { exit_reason: 48, qualification: 0x11, reason: 'ept-violation' }),
    ev(100, 'fast_syscall', { to_cs: 0, to_eip: 0, to_cpl: 0, op: 'sysenter' }),
    ev(130, 'fast_syscall', { to_cs: 0, to_eip: 0, to_cpl: 0, op: 'sysexit' }),
    ev(140, 'tpr', { old_tpr: 0, new_tpr: 0x20 }),
  ];
  for (const e of events) w.add(e);
  w.addInput({ icount: 60, channel: 'irq', value: 0x20 });
  w.close();
  closeTrace(db);
}

describe('recorder/README-queries.md', () => {
  const path = process.env.KEEP_README_TRACE ?? join(tempDir('readme'), 'readme.sqlite');
  smallTrace(path);
  addSyscallRun(path);

  it('has at least ten queries', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
  });

  it.each(queries.map((q, i) => [i + 1, q]))('query %i runs against the schema', (_i, sql) => {
    const db = openTraceReadOnly(path);
    try {
      const r = runQuery(db, sql as string);
      expect(r.columns.length).toBeGreaterThan(0);
    } finally {
      closeTrace(db);
    }
  });

  it('gives the expected answers on a known trace', () => {
    const db = openTraceReadOnly(path);
    const find = (needle: string) => queries.find((q) => q.includes(needle))!;
    expect(runQuery(db, find("x.op = 'sysexit'")).rows).toEqual([
      [1, 1, null, null, null], // a SYSENTER without SYSEXIT
      [2, 2, 30, 35, 40],
    ]);
    expect(runQuery(db, find('AS waited')).rows).toEqual([[2, 3, 0x20, 60, 75, 15, 1]]);
    expect(runQuery(db, find("op IN ('sgdt', 'sidt')")).rows).toEqual([[1, 6, 160, 2, '0008:00100012', 'sgdt', '00101000', 0x2f]]);
    expect(runQuery(db, find('AS loaded_at_seq')).rows).toEqual([
      [1, 5, 150, 3, '0023', 4],
      [2, 6, 90, 3, '0023', 5],
    ]);
    expect(runQuery(db, find("coalesce(end_reason, 'incomplete')")).rows.map((r) => [r[0], r[3], r[6]])).toEqual([
      [1, 'exit', 21],
      [2, 'incomplete', 12],
    ]);
    expect(runQuery(db, find("name = 'dtr'")).rows).toHaveLength(1);
    const window = find('BETWEEN 1000000 AND 1100000').replaceAll('1100000', '200').replaceAll('1000000', '100');
    expect(runQuery(db, window).rows.map((r) => r[1])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    closeTrace(db);
  });
});
