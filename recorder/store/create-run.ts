/** Adds a run (and its modules) to a trace and returns its id; its end stays NULL (incomplete) until finishRun. */
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION } from './schema';
import { addRunDisk } from './add-run-disk';
import type { NewRun, TraceDb } from './types';

export function createRun(db: TraceDb, run: NewRun): number {
  const sha = createHash('sha256').update(run.image).digest('hex');
  const r = db
    .prepare(
      `INSERT INTO runs (image, image_sha256, image_name, mode, options, ringside_version, schema_version, start_state, snapshot_interval, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      run.image,
      sha,
      run.imageName,
      run.mode,
      JSON.stringify(run.options ?? {}),
      run.ringsideVersion,
      SCHEMA_VERSION,
      run.startState ?? null,
      run.snapshotInterval,
      run.createdAt ?? new Date().toISOString(),
    );
  const id = Number(r.lastInsertRowid);
  const insert = db.prepare('INSERT INTO modules (run, position, name, data, sha256) VALUES (?, ?, ?, ?, ?)');
  (run.modules ?? []).forEach((m, k) => insert.run(id, k, m.name, m.data, createHash('sha256').update(m.data).digest('hex')));
  (run.disks ?? []).forEach((disk, slot) => addRunDisk(db, id, { slot, name: disk.name, bytes: disk.bytes }));
  return id;
}
