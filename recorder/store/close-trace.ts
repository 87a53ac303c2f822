/**
 * Closes a trace. A writable one is checkpointed and returned to rollback-journal mode first,
 * so the trace is one self-contained file again (no -wal or -shm beside it), which read-only
 * connections can open even in a read-only directory without creating anything. If another
 * connection still has the file open, it stays in WAL mode: that is harmless.
 */
import type { TraceDb } from './types';

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
}
