/**
 * The disks a guest runs with: its source names their sizes on a line "; Disks: SIZE [SIZE]"
 * (bytes; the first is the primary master, the second the slave). Sector n of disk k starts with
 * the text "diskK sec NNNNNN" and goes on with a pattern of n, k and the offset, so that a guest
 * can show which sector it read. The files are made afresh for every run (QEMU writes to its
 * copy; ringside must not write to its own).
 *
 *   node --import tsx tests/helpers/guest-disks.ts NAME DIR   writes DIR/NAME.disk0.img ... and prints the paths
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GUEST_DIR } from '../../scenarios/scenarios';

/** The sizes of the disks a guest's source asks for (none: []). */
export function guestDiskSizes(name: string): number[] {
  const src = readFileSync(join(GUEST_DIR, `${name}.asm`), 'utf8');
  const m = /^; Disks: (.*)$/m.exec(src);
  return m ? m[1].trim().split(/\s+/).map(Number) : [];
}

/** The bytes of disk `k` of `size` bytes. */
export function guestDiskBytes(k: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let n = 0; n * 512 < size; n++) {
    const sector = new Uint8Array(512);
    const text = `disk${k} sec ${String(n).padStart(6, '0')}`;
    for (let i = 0; i < 512; i++) sector[i] = i < 16 ? text.charCodeAt(i) : (n * 31 + i * 7 + k * 13) & 0xff;
    out.set(sector.subarray(0, Math.min(512, size - n * 512)), n * 512);
  }
  return out;
}

/** Writes the guest's disks into `dir`; returns their paths, master first. */
export function makeGuestDisks(name: string, dir: string): string[] {
  return guestDiskSizes(name).map((size, k) => {
    const path = join(dir, `${name}.disk${k}.img`);
    writeFileSync(path, guestDiskBytes(k, size));
    return path;
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [name, dir] = process.argv.slice(2);
  for (const p of makeGuestDisks(name, dir)) console.log(p);
}
