import { downgradeToVersion3 } from './helpers';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openTrace, openTraceReadOnly, closeTrace, createRun, addRunDisk, appendDiskWrites, readRunDisks, readDiskWrites, SCHEMA_VERSION } from '../../../recorder/store';
import { DISK_CHUNK_BYTES } from '../../../recorder/store/schema';
import { recordRun } from '../../../recorder/record';
import { replayRun } from '../../../recorder/replay';
import { DEFAULT_RAM_SIZE } from '../../../emulator/machine';
import { guestImage } from '../../helpers/guests';

const dir = mkdtempSync(join(tmpdir(), 'ringside-disk-store-'));
const DISK_TABLES = ['disk_images', 'disk_image_chunks', 'run_disks', 'disk_writes'];

describe('disk tables', () => {
  it('a disk image is stored once per content, in 1 MiB chunks, and read back whole for each run that uses it', () => {
    const db = openTrace(join(dir, 'disks.sqlite'), { create: true });
    try {
      const image = new Uint8Array(2 * DISK_CHUNK_BYTES + 1000).map((_, i) => (i * 7) & 0xff);
      const other = new Uint8Array(512).fill(9);
      const runs = [1, 2].map(() => createRun(db, { image: new Uint8Array([1]), imageName: 'k.elf', mode: 'native', options: {}, ringsideVersion: '0.1.0', snapshotInterval: 0 }));
      const sha = addRunDisk(db, runs[0], { slot: 0, name: 'a.img', bytes: image });
      expect(addRunDisk(db, runs[1], { slot: 0, name: 'b.img', bytes: image })).toBe(sha);
      addRunDisk(db, runs[1], { slot: 1, name: 'c.img', bytes: other });
      expect(db.prepare('SELECT count(*) FROM disk_image_chunks WHERE sha256 = ?').pluck().get(sha)).toBe(3);
      expect(db.prepare('SELECT count(*) FROM disk_images').pluck().get()).toBe(2);
      const back = readRunDisks(db, runs[1]);
      expect(back.map((d) => [d.slot, d.name, d.size, d.chunkNumbers])).toEqual([[0, 'b.img', image.length, [0, 1, 2]], [1, 'c.img', 512, [0]]]);
      expect(Buffer.from(back[0].bytes).equals(Buffer.from(image))).toBe(true);
      appendDiskWrites(db, runs[1], [{ seq: 0, icount: 10, slot: 1, lba: 0, data: new Uint8Array(512).fill(3) }]);
      const [w] = readDiskWrites(db, runs[1]);
      expect([w.seq, w.icount, w.slot, w.lba, w.data.length, w.data[0]]).toEqual([0, 10, 1, 0, 512, 3]);
      expect(readDiskWrites(db, runs[0])).toEqual([]);
    } finally {
      closeTrace(db);
    }
  });

  it('a schema version 3 trace replays as it is (read-only, untouched), and is upgraded when opened for recording (the disk tables are added)', () => {
    const path = join(dir, 'v3.sqlite');
    recordRun({ image: guestImage('tpr'), imageName: 'tpr.elf', out: path, options: { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 200_000 } });
    // The steps after version 3 only add: without what they added, the file is what version 3 wrote.
    const raw = new Database(path);
    downgradeToVersion3(raw);
    raw.close();
    const bytes = readFileSync(path);
    const old = openTraceReadOnly(path);
    try {
      expect(readRunDisks(old, 1)).toEqual([]);
      expect(readDiskWrites(old, 1)).toEqual([]);
      expect(replayRun(old, { verify: true }).mismatch).toBeNull();
    } finally {
      closeTrace(old);
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
    closeTrace(openTrace(path, { create: false }));
    const db = openTraceReadOnly(path);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(DISK_TABLES));
      expect(readRunDisks(db, 1)).toEqual([]);
      const rep = replayRun(db, { verify: true });
      expect(rep.mismatch).toBeNull();
      expect(rep.result.reason).toBe('exit');
    } finally {
      closeTrace(db);
    }
  });
});
