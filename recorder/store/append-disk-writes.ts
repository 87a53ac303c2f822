/** Appends sector writes to a run's copy-on-write layer (disk_writes), in one transaction. */
import type { StoredDiskWrite, TraceDb } from './types';

export function appendDiskWrites(db: TraceDb, run: number, writes: readonly StoredDiskWrite[]): void {
  if (writes.length === 0) return;
  const insert = db.prepare('INSERT INTO disk_writes (run, seq, icount, slot, lba, data) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const w of writes) insert.run(run, w.seq, w.icount, w.slot, w.lba, w.data);
  })();
}
