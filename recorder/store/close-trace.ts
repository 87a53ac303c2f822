/**
 * Closes a trace. A writable one is checkpointed and returned to rollback-journal mode first,
 * so the trace is one self-contained file again (no -wal or -shm beside it), which read-only
 * connections can open even in a read-only directory without creating anything. If another
 * connection still has the file open, it stays in WAL mode: that is harmless. A read-only
 * connection that had to create side files (a WAL-mode trace without its -wal) removes them.
 */
import { existsSync, statSync, unlinkSync } from 'node:fs';
import type { TraceDb } from './types';
import { sidesCreatedBy } from './open-trace';

export function closeTrace(db: TraceDb): void {
  if (!db.open) return;
  if (!db.readonly) {
    try {
      db.pragma('busy_timeout = 0'); // never wait for other connections here
      db.pragma('journal_mode = DELETE');
    } catch {
      // another connection holds the file: it keeps WAL mode
    }
  }
  db.close();
  // Reading never leaves files beside a trace: remove the empty -wal (and its -shm) a read-only
  // connection had to create. A -wal with frames in it belongs to a writer: it stays.
  const sides = sidesCreatedBy.get(db);
  if (sides !== undefined) {
    try {
      if (!existsSync(sides[0]) || statSync(sides[0]).size === 0) for (const f of sides) if (existsSync(f)) unlinkSync(f);
    } catch {
      // gone already, or not ours to remove
    }
  }
}
