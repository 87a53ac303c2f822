import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_RAM_SIZE, Machine } from '../../emulator/machine';
import { saveCpuState, saveDevicesState } from '../../emulator/machine-state';
import { DiskImage, SECTOR_SIZE } from '../../emulator/devices/disk-image';
import { recordRun } from '../../recorder/record';
import { replayRun } from '../../recorder/replay';
import { pickRun, openTimeline } from '../../recorder/load-run';
import { openTraceReadOnly, closeTrace, readDiskWrites } from '../../recorder/store';
import { guestImage, expectedOutput } from '../helpers/guests';
import { makeGuestDisks, guestDiskBytes } from '../helpers/guest-disks';
import { runScenario, COLUMNS, VTX_COLUMNS } from '../../scenarios/scenarios';
import { Prng } from '../helpers/prng';

const options = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 50_000 };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** CPU, RAM, every device, and the sectors written to each disk. */
function fingerprint(m: Machine): string {
  const h = createHash('sha256').update(saveCpuState(m.cpu)).update(saveDevicesState(m)).update(m.cpu.ram);
  for (const d of m.ata?.disks ?? []) for (const w of d?.writtenSectors() ?? []) h.update(String(w.lba)).update(w.data);
  return h.digest('hex');
}

function sectorText(m: Machine, slot: number, lba: number): string {
  const buf = new Uint8Array(SECTOR_SIZE);
  m.ata!.disks[slot]!.read(lba, buf, 0);
  return Buffer.from(buf.subarray(0, 16)).toString('latin1');
}

/** The ata guest recorded with its two disks: the trace holds them and their writes; replay and seek see the same bytes. */
describe('disks in recordings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-ata-'));
  const out = join(dir, 'ata.sqlite');
  let paths: string[] = [];
  let before: string[] = [];
  let output = '';
  let icount = 0;

  beforeAll(() => {
    paths = makeGuestDisks('ata', dir);
    before = paths.map((p) => sha(readFileSync(p)));
    const bytes: number[] = [];
    const rec = recordRun({
      image: guestImage('ata'), imageName: 'ata.elf', out, options, onUartByte: (b) => bytes.push(b),
      disks: paths.map((p, k) => ({ name: `disk${k}.img`, bytes: new Uint8Array(readFileSync(p)) })),
    });
    output = Buffer.from(bytes).toString('latin1');
    icount = rec.result.icount;
  });

  it('records what QEMU printed, and leaves the disk files as they were', () => {
    expect(output).toBe(expectedOutput('ata'));
    expect(paths.map((p) => sha(readFileSync(p)))).toEqual(before);
  });

  it('stores each image once with its hash and the guest writes in order (slot, sector, 512 bytes)', () => {
    const db = new Database(out, { readonly: true });
    try {
      const disks = db.prepare('SELECT slot, sha256, name FROM run_disks ORDER BY slot').all() as { slot: number; sha256: string; name: string }[];
      expect(disks).toEqual([{ slot: 0, sha256: before[0], name: 'disk0.img' }, { slot: 1, sha256: before[1], name: 'disk1.img' }]);
      expect(db.prepare('SELECT sha256, size FROM disk_images ORDER BY size DESC').all()).toEqual([{ sha256: before[0], size: 4194304 }, { sha256: before[1], size: 1049000 }]);
      const writes = readDiskWrites(db, 1);
      expect(writes.map((w) => [w.seq, w.slot, w.lba])).toEqual([[0, 0, 5], [1, 0, 6], [2, 0, 20], [3, 0, 21], [4, 0, 22], [5, 0, 23], [6, 0, 24], [7, 1, 1], [8, 0, 40], [9, 0, 41]]);
      expect(Buffer.from(writes[7].data.subarray(0, 16)).toString('latin1')).toBe('written ee 0    ');
    } finally {
      db.close();
    }
  });

  it('a second run with the same disk images stores no second copy', () => {
    const again = recordRun({
      image: guestImage('ata'), imageName: 'ata.elf', out, options: { ...options, maxInstructions: 1000 },
      disks: paths.map((p, k) => ({ name: `disk${k}.img`, bytes: new Uint8Array(readFileSync(p)) })),
    });
    expect(again.runId).toBe(2);
    const db = new Database(out, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM disk_images').pluck().get()).toBe(2);
      expect(db.prepare('SELECT count(*) FROM disk_image_chunks').pluck().get()).toBe(4 + 2); // 1 MiB chunks
      expect(db.prepare('SELECT count(*) FROM run_disks').pluck().get()).toBe(4);
    } finally {
      db.close();
    }
  });

  it('replay --verify regenerates every event and every sector write', () => {
    const db = openTraceReadOnly(out);
    try {
      const bytes: number[] = [];
      const rep = replayRun(db, { runId: 1, verify: true, onUartByte: (b) => bytes.push(b) });
      expect(rep.mismatch).toBeNull();
      expect(rep.result.icount).toBe(icount);
      expect(Buffer.from(bytes).toString('latin1')).toBe(output);
    } finally {
      closeTrace(db);
    }
  });

  it('seek(n) equals a plain machine with the same disks that ran n instructions, the disks included, in any order', () => {
    const db = openTraceReadOnly(out);
    try {
      const tl = openTimeline(db, pickRun(db, 1));
      const rng = new Prng(1414);
      const image = guestImage('ata');
      // Around the writes (96,643 and on: sectors 5 and 6), and random points, backwards and forwards.
      for (const n of [400_000, 96_000, 97_500, 177_700, rng.below(icount), 360_000, rng.below(400_000), 96_700]) {
        tl.seek(n);
        const m = new Machine(image, { disks: paths.map((p) => new DiskImage(new Uint8Array(readFileSync(p)))) });
        m.run(n);
        expect(fingerprint(tl.machine), `at ${n}`).toBe(fingerprint(m));
      }
    } finally {
      closeTrace(db);
    }
  });

  it('a sector written before the seek point is seen after it, and not before the write', () => {
    const db = openTraceReadOnly(out);
    try {
      const tl = openTimeline(db, pickRun(db, 1));
      tl.seek(300_000);
      expect(sectorText(tl.machine, 0, 5)).toBe('written bb 0    ');
      expect(sectorText(tl.machine, 0, 21)).toBe('written cc 1    ');
      expect(sectorText(tl.machine, 1, 1)).toBe('disk1 sec 000001'); // written at 358,524
      tl.seek(90_000);
      expect(sectorText(tl.machine, 0, 5)).toBe('disk0 sec 000005');
      tl.seek(icount - 10);
      expect(sectorText(tl.machine, 1, 1)).toBe('written ee 0    ');
      expect(sectorText(tl.machine, 0, 40)).toBe('written ff 0    ');
    } finally {
      closeTrace(db);
    }
  });
});

describe('disks in damaged traces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-ata-bad-'));

  function recorded(name: string): string {
    const out = join(dir, `${name}.sqlite`);
    const paths = makeGuestDisks('ata', dir);
    // The first 500,000 instructions hold the first eight writes.
    recordRun({ image: guestImage('ata'), imageName: 'ata.elf', out, options: { ...options, maxInstructions: 500_000 }, disks: paths.map((p) => ({ name: 'd.img', bytes: new Uint8Array(readFileSync(p)) })) });
    return out;
  }

  function verify(path: string) {
    const db = openTraceReadOnly(path);
    try {
      return replayRun(db, { verify: true });
    } finally {
      closeTrace(db);
    }
  }

  it('a changed sector in the copy-on-write layer is a difference that --verify names', () => {
    const out = recorded('changed-write');
    const raw = new Database(out);
    raw.prepare('UPDATE disk_writes SET data = zeroblob(512) WHERE seq = 3').run();
    raw.close();
    const rep = verify(out);
    expect(rep.mismatch?.recorded).toBe('disk 0 write #3: sector 21, bytes sha256:076a27c79e5ace2a'); // 512 zeros
    expect(rep.mismatch?.replayed).toMatch(/^disk 0 write #3: sector 21, bytes sha256:(?!076a27c79e5ace2a)[0-9a-f]{16}$/);
  });

  it('a damaged image, a write outside the disk, or a gap in the writes is a damaged trace', () => {
    const cases: [string, string, RegExp][] = [
      ['image', "UPDATE disk_image_chunks SET data = zeroblob(10) WHERE chunk = 1 AND sha256 = (SELECT sha256 FROM run_disks WHERE slot = 0)", /damaged trace: run 1: disk 0: the image holds 3145738 bytes, disk_images says 4194304/],
      ['lba', 'UPDATE disk_writes SET lba = 9000 WHERE seq = 0', /damaged trace: run 1: disk write #0: sector 9000 is outside disk 0 \(8192 sectors\)/],
      ['gap', 'DELETE FROM disk_writes WHERE seq = 4', /damaged trace: run 1: disk write #4: seq 5 where 4 was expected/],
      ['slot', 'UPDATE run_disks SET slot = 3 WHERE slot = 1', /damaged trace: run 1: disk slot 3 where 1 was expected/],
    ];
    for (const [name, sql, error] of cases) {
      const out = recorded(name);
      const raw = new Database(out);
      raw.exec(sql);
      raw.close();
      expect(() => verify(out), name).toThrow(error);
    }
  });
});

describe('disks under the monitors', () => {
  it('the ata guest prints what QEMU printed under sw-013, sw-033 and vtx too (their I/O traps reach the same channel)', () => {
    for (const col of [...COLUMNS.slice(1), VTX_COLUMNS[0]]) {
      const disks = [4194304, 1049000].map((size, k) => new DiskImage(guestDiskBytes(k, size)));
      const r = runScenario(guestImage('ata'), col, 2_000_000_000, disks);
      expect(r.output, col.label).toBe(expectedOutput('ata'));
      expect(r.exitCode, col.label).toBe(1);
    }
  });
});
