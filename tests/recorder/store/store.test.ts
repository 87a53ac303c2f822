import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventKind, KIND_FIELDS, KIND_NAMES, type TraceEvent } from '../../../recorder/events';
import { openTrace, openTraceReadOnly } from '../../../recorder/store/open-trace';
import { closeTrace } from '../../../recorder/store/close-trace';
import { createRun } from '../../../recorder/store/create-run';
import { finishRun } from '../../../recorder/store/finish-run';
import { readRun } from '../../../recorder/store/read-run';
import { listRuns } from '../../../recorder/store/list-runs';
import { EventWriter } from '../../../recorder/store/append-events';
import { readEvents } from '../../../recorder/store/read-events';
import { readInputs } from '../../../recorder/store/read-inputs';
import { appendSnapshot } from '../../../recorder/store/append-snapshot';
import { nearestSnapshot } from '../../../recorder/store/nearest-snapshot';
import { readSnapshots } from '../../../recorder/store/read-snapshots';
import { seqRangeForIcount } from '../../../recorder/store/seek-icount';
import { runQuery } from '../../../recorder/store/run-query';
import { APPLICATION_ID, BLOCK_EVENTS, EVENT_MODEL, SCHEMA_VERSION, describeEventModel } from '../../../recorder/store/schema';
import { SAMPLE_RUN, eventsOfEveryKind, namedColumns, siblings, smallTrace, syntheticEvents, tempDir } from './helpers';

const dir = tempDir('store');
let n = 0;
const newPath = (): string => join(dir, `t${n++}.sqlite`);

function snapshot(icount: number, kind: 'full' | 'delta', tag: number) {
  return {
    icount,
    kind,
    eventSeq: icount / 10,
    inputSeq: tag,
    cpu: new Uint8Array([tag, 1, 2]),
    devices: new Uint8Array([tag, 3]),
    pages: [new Uint8Array(4100).fill(tag)],
  };
}

describe('trace store', () => {
  it('writes a run, its events, inputs and snapshots, and reads them back exactly', () => {
    const path = newPath();
    const db = openTrace(path, { create: true });
    const run = createRun(db, SAMPLE_RUN);
    expect(run).toBe(1);
    // One event of each kind, then a recording-like stream after them.
    const events = [...eventsOfEveryKind(0, 100), ...[...syntheticEvents(3000, KIND_NAMES.filter(Boolean).length)].map((e) => ({ ...e, icount: e.icount + 1000 }))];
    const last = events[events.length - 1].icount;
    const w = new EventWriter(db, run, { batchEvents: 700 });
    const inputs = [
      { icount: 120, channel: 'uart', value: 0x61 },
      { icount: 130, channel: 'irq', value: 0x20 },
      { icount: 140, channel: 'uart', value: new Uint8Array([1, 2, 3]) },
    ] as const;
    events.forEach((e, i) => {
      w.add(e);
      const input = inputs[i];
      if (input !== undefined && typeof input.value === 'number') w.addInput({ ...input, value: input.value });
      if (i === 1000) w.addSnapshot(snapshot(2000, 'full', 1));
      if (i === 2000) w.addSnapshot(snapshot(3000, 'delta', 2));
    });
    w.close();
    // Several bytes in one BLOB: what the inputs table allows (replay applies them one by one), though recording writes one each.
    db.prepare('INSERT INTO inputs (run, seq, icount, channel, value) VALUES (?, 2, ?, ?, ?)').run(run, inputs[2].icount, inputs[2].channel, inputs[2].value);
    appendSnapshot(db, run, snapshot(4000, 'delta', 3));
    expect(w.count).toBe(events.length);
    expect(readRun(db, run).complete).toBe(false);
    finishRun(db, run, { endReason: 'exit', exitCode: 3, finalIcount: last + 5, eventCount: events.length });
    closeTrace(db);
    expect(siblings(path)).toEqual([`t${n - 1}.sqlite`]); // one self-contained file

    const ro = openTraceReadOnly(path);
    expect(siblings(path)).toEqual([`t${n - 1}.sqlite`]); // reading creates nothing beside it
    const r = readRun(ro, run);
    expect(r).toMatchObject({
      id: 1,
      imageName: 'sample.elf',
      imageSha256: createHash('sha256').update(SAMPLE_RUN.image).digest('hex'),
      imageSize: SAMPLE_RUN.image.length,
      mode: 'native',
      options: SAMPLE_RUN.options,
      ringsideVersion: '0.1.0',
      schemaVersion: SCHEMA_VERSION,
      snapshotInterval: 1000,
      createdAt: '2025-01-01T00:00:00.000Z',
      endReason: 'exit',
      exitCode: 3,
      finalIcount: last + 5,
      eventCount: events.length,
      complete: true,
      storedEvents: events.length,
      lastIcount: last,
    });
    expect([...r.image]).toEqual([...SAMPLE_RUN.image]);
    expect([...r.startState!]).toEqual([...SAMPLE_RUN.startState!]);
    expect([...readEvents(ro, run)]).toEqual(events);
    expect(readInputs(ro, run).map((i) => ({ ...i, value: i.value instanceof Uint8Array ? [...i.value] : i.value }))).toEqual(
      inputs.map((i, seq) => ({ seq, ...i, value: i.value instanceof Uint8Array ? [...i.value] : i.value })),
    );
    expect(readInputs(ro, run, { fromIcount: 130 }).map((i) => i.seq)).toEqual([1, 2]);
    const snaps = readSnapshots(ro, run);
    expect(snaps.map((s) => [s.icount, s.kind, s.eventSeq, s.inputSeq, s.cpu[0], s.pages.map((c) => c.length)])).toEqual([
      [2000, 'full', 200, 1, 1, [4100]],
      [3000, 'delta', 300, 2, 2, [4100]],
      [4000, 'delta', 400, 3, 3, [4100]],
    ]);
    expect(listRuns(ro).map((x) => [x.id, x.complete, x.storedEvents])).toEqual([[1, true, events.length]]);
    closeTrace(ro);
  });

  it('finds the latest snapshot at or before an icount', () => {
    const path = newPath();
    const db = openTrace(path, { create: true });
    const run = createRun(db, SAMPLE_RUN);
    const other = createRun(db, SAMPLE_RUN);
    appendSnapshot(db, run, snapshot(0, 'full', 1));
    appendSnapshot(db, run, snapshot(1000, 'delta', 2));
    appendSnapshot(db, run, snapshot(2000, 'full', 3));
    appendSnapshot(db, run, snapshot(3000, 'delta', 4));
    appendSnapshot(db, other, snapshot(2500, 'full', 5));
    const at = (icount: number, kind?: 'full' | 'delta') => nearestSnapshot(db, run, icount, { kind })?.icount;
    expect(at(0)).toBe(0);
    expect(at(999)).toBe(0);
    expect(at(1000)).toBe(1000);
    expect(at(2999)).toBe(2000);
    expect(at(1e12)).toBe(3000);
    expect(at(3500, 'full')).toBe(2000);
    expect(at(1500, 'delta')).toBe(1000);
    expect(nearestSnapshot(db, other, 2499)).toBeUndefined();
    expect(nearestSnapshot(db, run, -1)).toBeUndefined();
    expect(nearestSnapshot(db, run, 2999)!.cpu[0]).toBe(3);
    expect(readSnapshots(db, run, { fromIcount: 2001, toIcount: 3000 }).map((s) => s.icount)).toEqual([3000]);
    expect(db.prepare('EXPLAIN QUERY PLAN SELECT id FROM snapshots WHERE run = 1 AND icount <= 5 ORDER BY icount DESC LIMIT 1').all()).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/USING (COVERING )?INDEX snapshots_at/) }),
    ]);
    expect(() => appendSnapshot(db, run, snapshot(3000, 'full', 6))).toThrow(/UNIQUE/);
    closeTrace(db);
  });

  it('names the slots of every kind in its ev_<kind> view, and shows every event in ev_all', () => {
    const path = newPath();
    smallTrace(path);
    const db = openTraceReadOnly(path);
    const events = eventsOfEveryKind();
    for (const e of events) {
      const name = KIND_NAMES[e.kind];
      const f = KIND_FIELDS[name] as Record<string, string | undefined>;
      const { columns, rows } = runQuery(db, `SELECT * FROM ev_${name}`);
      const named = ['a', 'b', 'c', 'd', 'text'].map((s) => f[s]).filter((x): x is string => x !== undefined);
      expect(columns).toEqual(['run', 'seq', 'icount', 'cpl', 'cs', 'eip', ...named]);
      expect(rows).toHaveLength(1);
      expect(Object.fromEntries(columns.map((c, i) => [c, rows[0][i]]))).toEqual(namedColumns(e));
    }
    const all = runQuery(db, 'SELECT run, seq, icount, kind, kind_id, cpl, cs, eip, a, b, c, d, text FROM ev_all ORDER BY seq');
    expect(all.rows).toEqual(events.map((e) => [1, e.seq, e.icount, KIND_NAMES[e.kind], e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text]));
    expect(runQuery(db, "SELECT to_cpl, cause FROM ev_privilege WHERE cause = 'interrupt'").rows).toEqual([[0, 'interrupt']]);
    closeTrace(db);
  });

  it('reopens a trace to add runs; several runs share one file', () => {
    const path = newPath();
    smallTrace(path);
    const db = openTrace(path, { create: false });
    const run = createRun(db, { ...SAMPLE_RUN, mode: 'vtx', startState: null, createdAt: undefined });
    expect(run).toBe(2);
    const w = new EventWriter(db, run);
    const events = [...syntheticEvents(100)];
    for (const e of events) w.add(e);
    w.close();
    closeTrace(db);
    const ro = openTraceReadOnly(path);
    expect(listRuns(ro).map((r) => [r.id, r.mode, r.complete, r.storedEvents])).toEqual([
      [1, 'native', true, KIND_NAMES.length - 1],
      [2, 'vtx', false, 100],
    ]);
    expect(readRun(ro, 2).startState).toBeNull();
    expect(readRun(ro, 2).createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect([...readEvents(ro, 2)]).toEqual(events);
    expect([...readEvents(ro, 1)]).toEqual(eventsOfEveryKind());
    expect(() => readRun(ro, 3)).toThrow(/no run 3/);
    closeTrace(ro);
  });

  it('reads by seq range, icount range and kinds through event_blocks', () => {
    const path = newPath();
    const db = openTrace(path, { create: true });
    const run = createRun(db, SAMPLE_RUN);
    // Bursts of events at one icount across block boundaries, and a few rare kinds.
    const events: TraceEvent[] = [];
    let icount = 0;
    for (const e of syntheticEvents(20_000)) {
      if (e.seq % 997 === 0) icount += 1;
      else if (e.seq % 300 > 20) icount += 3;
      const rare = e.seq % 4999 === 7;
      events.push(rare ? { ...e, icount, kind: EventKind.exception, a: 13, b: 0, c: 0, d: 0, text: '' } : { ...e, icount });
    }
    const w = new EventWriter(db, run, { batchEvents: 1000 + 37 }); // flushes end blocks early: partial blocks too
    for (const e of events) w.add(e);
    w.close();
    const blocks = db.prepare('SELECT count(*) AS n, max(events) AS m FROM event_blocks').get() as { n: number; m: number };
    expect(blocks.m).toBe(BLOCK_EVENTS);
    expect(blocks.n).toBeGreaterThan(20_000 / BLOCK_EVENTS);

    const pick = (f: (e: TraceEvent) => boolean) => events.filter(f);
    expect([...readEvents(db, run, { fromSeq: 5000, toSeq: 5100 })]).toEqual(pick((e) => e.seq >= 5000 && e.seq <= 5100));
    for (const [lo, hi] of [
      [0, 0],
      [events[3000].icount, events[3000].icount],
      [events[777].icount, events[15_000].icount],
      [events[19_999].icount, 1e12],
      [-5, events[10].icount],
      [1e12, 2e12],
    ]) {
      expect([...readEvents(db, run, { fromIcount: lo, toIcount: hi })]).toEqual(pick((e) => e.icount >= lo && e.icount <= hi));
      const range = seqRangeForIcount(db, run, lo, hi);
      for (const e of pick((e) => e.icount >= lo && e.icount <= hi)) expect(e.seq >= range.lo && e.seq <= range.hi).toBe(true);
    }
    expect([...readEvents(db, run, { kinds: [EventKind.exception] })]).toEqual(pick((e) => e.kind === EventKind.exception));
    expect([...readEvents(db, run, { kinds: [EventKind.exception, EventKind.iflag], fromSeq: 4000, toIcount: events[12_000].icount })]).toEqual(
      pick((e) => (e.kind === EventKind.exception || e.kind === EventKind.iflag) && e.seq >= 4000 && e.icount <= events[12_000].icount),
    );
    expect([...readEvents(db, run, { kinds: [EventKind.shutdown] })]).toEqual([]);
    // More than one page (4096 events) through the blocks.
    expect([...readEvents(db, run, { kinds: [EventKind.io], fromSeq: 33 })]).toEqual(pick((e) => e.kind === EventKind.io && e.seq >= 33));
    closeTrace(db);
  });

  it('refuses events out of order', () => {
    const path = newPath();
    const db = openTrace(path, { create: true });
    const w = new EventWriter(db, createRun(db, SAMPLE_RUN));
    const [a, b] = eventsOfEveryKind();
    w.add(a);
    expect(() => w.add(a)).toThrow(/out of order/);
    expect(() => w.add({ ...b, icount: a.icount - 1 })).toThrow(/out of order/);
    expect(() => w.add({ ...b, kind: 99 })).toThrow(/kind 99/);
    w.close();
    expect(() => w.add(b)).toThrow(/after close/);
    closeTrace(db);
  });

  it('marks the file as a ringside trace of this schema version, with views made from the event model', () => {
    expect(describeEventModel()).toBe(EVENT_MODEL); // if this fails: bump SCHEMA_VERSION with a migration that recreates the views
    const path = newPath();
    smallTrace(path);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('delete'); // closeTrace leaves one file
    const views = raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name").pluck().all();
    expect(views).toEqual(['ev_all', ...KIND_NAMES.filter(Boolean).map((k) => `ev_${k}`)].sort());
    raw.close();
  });

  it('keeps WAL mode while recording, so readers see each committed batch', () => {
    const path = newPath();
    const db = openTrace(path, { create: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    const run = createRun(db, SAMPLE_RUN);
    const w = new EventWriter(db, run, { batchEvents: 100 });
    const events = [...syntheticEvents(250)];
    for (const e of events) w.add(e);
    const reader = openTraceReadOnly(path);
    expect(readRun(reader, run).storedEvents).toBe(200);
    w.close();
    expect([...readEvents(reader, run)]).toEqual(events);
    closeTrace(reader);
    closeTrace(db);
  });
});
