/**
 * A run's disks as replay and time travel use them, read from the trace and checked value by
 * value (a crafted or damaged trace gives one line, never a wrong disk): the images in slot
 * order (master, slave), each matching its SHA-256 and size, and the sector writes of the
 * copy-on-write layer numbered from 0, on a disk of the run, inside it, 512 bytes each.
 */
import { createHash } from 'node:crypto';
import { readRunDisks, readDiskWrites, type TraceDb } from './store';
import { SECTOR_SIZE, type SectorWrite } from '../emulator/devices/disk-image';
import { damaged } from './validate-run';

/** One disk of a recorded run: the image it started from and every write the guest made to it, in order. */
export interface RecordedDisk {
  name: string; // the file's base name (informative)
  bytes: Uint8Array; // the image as recorded
  writes: SectorWrite[]; // the guest's writes to it, in order
}

export function runDisks(db: TraceDb, run: number): RecordedDisk[] {
  const bad = (what: string) => damaged(db, `run ${run}: ${what}`);
  const stored = readRunDisks(db, run);
  if (stored.length > 2) throw bad(`${stored.length} disks (the primary channel has a master and a slave)`);
  const disks: RecordedDisk[] = stored.map((d, k) => {
    const where = `disk ${k}`;
    if (d.slot !== k) throw bad(`disk slot ${String(d.slot)} where ${k} was expected (slot 0 is the master, 1 the slave)`);
    if (typeof d.name !== 'string') throw bad(`${where}: name is not text`);
    if (typeof d.size !== 'number') throw bad(`${where}: its image ${String(d.sha256)} is not in disk_images`);
    if (!Number.isSafeInteger(d.size) || d.size <= 0) throw bad(`${where}: size ${d.size} is not a size`);
    d.chunkNumbers.forEach((c, j) => {
      if (c !== j) throw bad(`${where}: image chunk ${String(c)} where ${j} was expected (chunks are numbered from 0 without gaps)`);
    });
    if (!d.allBlobs) throw bad(`${where}: an image chunk is not a BLOB`);
    if (d.bytes.length !== d.size) throw bad(`${where}: the image holds ${d.bytes.length} bytes, disk_images says ${d.size}`);
    if (createHash('sha256').update(d.bytes).digest('hex') !== d.sha256) throw bad(`${where}: the image does not match its SHA-256`);
    return { name: d.name, bytes: d.bytes, writes: [] };
  });
  readDiskWrites(db, run).forEach((w, k) => {
    const where = `disk write #${k}`;
    if (w.seq !== k) throw bad(`${where}: seq ${String(w.seq)} where ${k} was expected (writes are numbered from 0 without gaps)`);
    if (!(Number.isSafeInteger(w.icount) && w.icount >= 0)) throw bad(`${where}: icount ${String(w.icount)} is not a count`);
    const disk = disks[w.slot];
    if (!Number.isInteger(w.slot) || disk === undefined) throw bad(`${where}: slot ${String(w.slot)} is not a disk of the run`);
    const sectors = Math.ceil(disk.bytes.length / SECTOR_SIZE);
    if (!(Number.isSafeInteger(w.lba) && w.lba >= 0 && w.lba < sectors)) throw bad(`${where}: sector ${String(w.lba)} is outside disk ${w.slot} (${sectors} sectors)`);
    if (!(w.data instanceof Uint8Array) || w.data.length !== SECTOR_SIZE) throw bad(`${where}: data is not a BLOB of ${SECTOR_SIZE} bytes`);
    disk.writes.push({ lba: w.lba, data: w.data });
  });
  return disks;
}
