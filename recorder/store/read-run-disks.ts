/** The disks of a run as stored: slot, name, the image's recorded hash and size, and its bytes put together from its chunks. */
import { hasDiskTables } from './has-disk-tables';
import type { StoredRunDisk, TraceDb } from './types';

export function readRunDisks(db: TraceDb, run: number): StoredRunDisk[] {
  if (!hasDiskTables(db)) return []; // a version 3 trace: no run has disks
  const rows = db
    .prepare('SELECT d.slot, d.name, d.sha256, i.size FROM run_disks d LEFT JOIN disk_images i ON i.sha256 = d.sha256 WHERE d.run = ? ORDER BY d.slot')
    .all(run) as { slot: unknown; name: unknown; sha256: unknown; size: unknown }[];
  const chunks = db.prepare('SELECT chunk, data FROM disk_image_chunks WHERE sha256 = ? ORDER BY chunk');
  return rows.map((r) => {
    const parts = chunks.all(r.sha256) as { chunk: unknown; data: unknown }[];
    const chunkNumbers = parts.map((p) => p.chunk);
    const blobs = parts.map((p) => p.data).filter((d): d is Uint8Array => d instanceof Uint8Array);
    const bytes = new Uint8Array(blobs.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of blobs) {
      bytes.set(b, at);
      at += b.length;
    }
    return { slot: r.slot, name: r.name, sha256: r.sha256, size: r.size, chunkNumbers, allBlobs: blobs.length === parts.length, bytes };
  });
}
