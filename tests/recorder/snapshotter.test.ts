/**
 * Snapshot pages are packed and stored in chunks: a guest that writes a gigabyte between two
 * snapshots is recorded with the recorder's memory bounded by the guest's RAM plus a chunk.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pageChunks } from '../../recorder/snapshotter';
import { SNAPSHOT_CHUNK_PAGES } from '../../recorder/store/schema';
import { unpackPages } from '../../emulator/state/codec';
import { ringside, ROOT } from '../helpers/cli';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-snapshotter-'));

describe('snapshot pages', () => {
  it('are packed in chunks of at most SNAPSHOT_CHUNK_PAGES pages that together hold every page', () => {
    const ram = new Uint8Array(4096 * 1000);
    for (let p = 0; p < 1000; p++) ram[p * 4096 + 7] = p & 0xff;
    const pages = Array.from({ length: 700 }, (_, k) => k + 300);
    const chunks = [...pageChunks(ram, pages)];
    expect(chunks.map((c) => c.length / 4100)).toEqual([SNAPSHOT_CHUNK_PAGES, SNAPSHOT_CHUNK_PAGES, 700 - 2 * SNAPSHOT_CHUNK_PAGES]);
    const copy = new Uint8Array(ram.length);
    for (const c of chunks) unpackPages(copy, c);
    expect(Buffer.from(copy.subarray(300 * 4096)).equals(Buffer.from(ram.subarray(300 * 4096)))).toBe(true);
    expect(copy.subarray(0, 300 * 4096).every((b) => b === 0)).toBe(true);
  });

  it('a guest that writes 1 GiB between two snapshots is recorded with bounded memory, and replays', () => {
    // A flat guest: one byte written in each of 262,144 pages (1 GiB), then a spin past the
    // snapshot at icount 1,000,000, then exit. As one BLOB, that snapshot is 1.07 GB: more than
    // SQLite binds ("bound string, buffer, or bigint is too big"), and a second copy of the pages.
    const image = join(tmp, 'dirty.bin');
    writeFileSync(image, Buffer.from([
      0xbf, 0x00, 0x00, 0x20, 0x00, // mov edi, 0x200000
      0xb9, 0x00, 0x00, 0x04, 0x00, // mov ecx, 262144
      0xc6, 0x07, 0x01, // l: mov byte [edi], 1
      0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, // add edi, 4096
      0xe2, 0xf5, // loop l
      0xb9, 0xe0, 0x93, 0x04, 0x00, // mov ecx, 300000
      0xe2, 0xfe, // loop $
      0xb0, 0x00, 0xe6, 0xf4, // mov al, 0 / out 0xf4, al
    ]));
    const out = join(tmp, 'dirty.sqlite');
    const ramSize = 1100 * 1024 * 1024;
    const script = join(tmp, 'record-child.ts');
    writeFileSync(script, `import { readFileSync } from 'node:fs';
import { recordRun } from ${JSON.stringify(join(ROOT, 'recorder/record.ts'))};
const r = recordRun({ image: readFileSync(process.argv[2]), imageName: 'dirty.bin', out: process.argv[3],
  options: { mode: 'native', cmdline: '', ramSize: ${ramSize}, flatAddress: 0x100000, snapshotInterval: 1000000 } });
process.stdout.write(JSON.stringify({ reason: r.result.reason, events: r.events, snapshots: r.snapshots, maxRss: process.resourceUsage().maxRSS * 1024 }));
`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, image, out], { cwd: ROOT, timeout: 300_000, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const r = JSON.parse(child.stdout);
    expect(r).toMatchObject({ reason: 'exit', snapshots: 2 });
    expect(r.events).toBeGreaterThan(0);
    // The guest's RAM, the program and one chunk at a time: far less than a second gigabyte.
    expect(r.maxRss).toBeLessThan(ramSize + 450 * 1024 * 1024);
    const db = new Database(out, { readonly: true });
    const chunks = db.prepare('SELECT count(*) AS n, max(length(pages)) AS biggest, sum(length(pages)) AS bytes FROM snapshot_pages p JOIN snapshots s ON s.id = p.snapshot WHERE s.icount = 1000000').get() as { n: number; biggest: number; bytes: number };
    db.close();
    expect(chunks.bytes).toBe(262144 * 4100);
    expect(chunks.biggest).toBeLessThanOrEqual(SNAPSHOT_CHUNK_PAGES * 4100);
    const v = ringside(['replay', out, '--verify']);
    expect(v.stderr).toMatch(/verified: \d+ events identical/);
    expect(v.code).toBe(0);
  }, 320_000);
});
