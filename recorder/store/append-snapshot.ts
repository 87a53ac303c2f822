/**
 * Stores a snapshot and returns its id: its row, then its pages a chunk at a time (each chunk
 * is bound and written before the next is made, so memory holds one chunk, whatever the size
 * of the snapshot). While recording, prefer EventWriter.addSnapshot, which commits the
 * snapshot together with every event before it.
 */
import type { Snapshot, TraceDb } from './types';

export function appendSnapshot(db: TraceDb, run: number, s: Snapshot): number {
  const r = db
    .prepare('INSERT INTO snapshots (run, icount, kind, event_seq, input_seq, cpu, devices) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(run, s.icount, s.kind, s.eventSeq, s.inputSeq, s.cpu, s.devices);
  const id = Number(r.lastInsertRowid);
  const insert = db.prepare('INSERT INTO snapshot_pages (snapshot, chunk, pages) VALUES (?, ?, ?)');
  let chunk = 0;
  for (const pages of s.pages) if (pages.length > 0) insert.run(id, chunk++, pages);
  return id;
}
