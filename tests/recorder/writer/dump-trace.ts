/**
 * Every stored row of a trace that a recording writes, in key order, for comparing two traces
 * (BLOBs as their SHA-256: vitest compares a megabyte Buffer a byte at a time, for minutes).
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';

export interface TraceDump {
  runs: unknown[]; // without created_at (the wall clock)
  events: unknown[];
  blocks: unknown[];
  strings: unknown[];
  inputs: unknown[];
  snapshots: unknown[];
  pages: unknown[];
}

export function dumpTrace(path: string): TraceDump {
  const db = new Database(path, { readonly: true });
  try {
    const blob = (v: unknown) => (v instanceof Uint8Array ? `sha256:${createHash('sha256').update(v).digest('hex')}:${v.length}` : v);
    const all = (sql: string) => (db.prepare(sql).raw().all() as unknown[][]).map((row) => row.map(blob));
    return {
      runs: all('SELECT id, image, image_sha256, image_name, mode, options, ringside_version, schema_version, start_state, snapshot_interval, end_reason, exit_code, final_icount, event_count FROM runs ORDER BY id'),
      events: all('SELECT * FROM events ORDER BY run, seq'),
      blocks: all('SELECT * FROM event_blocks ORDER BY run, first_seq'),
      strings: all('SELECT id, text FROM strings ORDER BY id'),
      inputs: all('SELECT * FROM inputs ORDER BY run, seq'),
      snapshots: all('SELECT * FROM snapshots ORDER BY id'),
      pages: all('SELECT * FROM snapshot_pages ORDER BY snapshot, chunk'),
    };
  } finally {
    db.close();
  }
}
