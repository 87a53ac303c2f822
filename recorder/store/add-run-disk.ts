/**
 * Gives a run a disk: the image is stored once per content (disk_images, its bytes in
 * disk_image_chunks; a trace that already holds the same bytes keeps its copy), and the run's
 * run_disks row names it. Returns the image's SHA-256.
 */
import { createHash } from 'node:crypto';
import { DISK_CHUNK_BYTES } from './schema';
import type { TraceDb } from './types';

export function addRunDisk(db: TraceDb, run: number, disk: { slot: number; name: string; bytes: Uint8Array }): string {
  const sha = createHash('sha256').update(disk.bytes).digest('hex');
  db.transaction(() => {
    const added = db.prepare('INSERT OR IGNORE INTO disk_images (sha256, size) VALUES (?, ?)').run(sha, disk.bytes.length);
    if (added.changes > 0) {
      const insert = db.prepare('INSERT INTO disk_image_chunks (sha256, chunk, data) VALUES (?, ?, ?)');
      for (let k = 0; k * DISK_CHUNK_BYTES < disk.bytes.length; k++) {
        insert.run(sha, k, disk.bytes.subarray(k * DISK_CHUNK_BYTES, (k + 1) * DISK_CHUNK_BYTES));
      }
    }
    db.prepare('INSERT INTO run_disks (run, slot, sha256, name) VALUES (?, ?, ?, ?)').run(run, disk.slot, sha, disk.name);
  })();
  return sha;
}
