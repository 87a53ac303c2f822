/**
 * Stores a snapshot and returns its id: its row, then its pages a chunk at a time (each chunk
 * is bound and written before the next is made, so memory holds one chunk, whatever the size
 * of the snapshot). While recording, prefer EventWriter.addSnapshot, which commits the
 * snapshot together with every event before it; the writer's thread (recorder/writer) gets the
 * row and the chunks one message at a time and calls the two steps itself.
 */
import type { Snapshot, TraceDb } from './types';

/** The snapshot's row, without its pages; returns its id. */
export function appendSnapshotRow(db: TraceDb, run: number, s: Omit<Snapshot, 'pages'>): number {
  const r = db
    .prepare('INSERT INTO snapshots (run, icount, kind, event_seq, input_seq, cpu, devices) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(run, s.icount, s.kind, s.eventSeq, s.inputSeq, s.cpu, s.devices);
  return Number(r.lastInsertRowid);
}

/** One chunk of a snapshot's pages, numbered `chunk` (0, 1, 2...). */
export function appendSnapshotPages(db: TraceDb, snapshot: number, chunk: number, pages: Uint8Array): void {
  db.prepare('INSERT INTO snapshot_pages (snapshot, chunk, pages) VALUES (?, ?, ?)').run(snapshot, chunk, pages);
}

export function appendSnapshot(db: TraceDb, run: number, s: Snapshot): number {
  const id = appendSnapshotRow(db, run, s);
  let chunk = 0;
  for (const pages of s.pages) if (pages.length > 0) appendSnapshotPages(db, id, chunk++, pages);
  return id;
}
