/**
 * Stores a snapshot and returns its id. While recording, prefer EventWriter.addSnapshot, which
 * commits the snapshot together with every event before it.
 */
import type { Snapshot, TraceDb } from './types';

export function appendSnapshot(db: TraceDb, run: number, s: Snapshot): number {
  const r = db
    .prepare('INSERT INTO snapshots (run, icount, kind, event_seq, input_seq, cpu, devices, pages) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(run, s.icount, s.kind, s.eventSeq, s.inputSeq, s.cpu, s.devices, s.pages);
  return Number(r.lastInsertRowid);
}
