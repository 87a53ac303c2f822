/** The state codec: packed RAM pages, and the rule that it stands below everything that uses it. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/cli';
import { packPages, unpackPages, sealState, openState, SnapshotError, PAGE_SIZE } from '../../../emulator/state/codec';

describe('the state codec stands below what it encodes', () => {
  it('emulator/state/codec.ts imports nothing', () => {
    const src = readFileSync(join(ROOT, 'emulator/state/codec.ts'), 'utf8');
    expect(src.match(/^\s*import\b.*$/gm) ?? []).toEqual([]);
  });

  it('no device imports the machine or the code that saves a whole machine', () => {
    const dir = join(ROOT, 'emulator/devices');
    const bad = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '\.\.\/(machine|machine-state|snapshot)'/.test(readFileSync(join(dir, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});

describe('packPages / unpackPages', () => {
  it('round-trips the given pages and leaves the others alone', () => {
    const ram = new Uint8Array(64 * PAGE_SIZE).map((_, i) => (i * 7 + (i >> 12)) & 0xff);
    const packed = packPages(ram, new Set([3, 0, 63]));
    expect(packed.length).toBe(3 * (4 + PAGE_SIZE));
    expect(new DataView(packed.buffer).getUint32(0, true)).toBe(3);
    const dst = new Uint8Array(64 * PAGE_SIZE);
    expect(unpackPages(dst, packed)).toBe(3);
    for (const p of [0, 3, 63]) expect(dst.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)).toEqual(ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    expect(dst.subarray(PAGE_SIZE, 3 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    expect(packPages(ram, [])).toEqual(new Uint8Array(0));
  });

  it('rejects pages outside RAM and malformed input, without writing anything', () => {
    const ram = new Uint8Array(4 * PAGE_SIZE);
    expect(() => packPages(ram, [4])).toThrow(RangeError);
    expect(() => packPages(ram, [-1])).toThrow(RangeError);
    const big = new Uint8Array(8 * PAGE_SIZE).fill(9);
    const packed = packPages(big, [1, 7]);
    expect(() => unpackPages(ram, packed)).toThrow(/outside RAM/);
    expect(ram.every((b) => b === 0)).toBe(true);
    expect(() => unpackPages(ram, packed.subarray(0, packed.length - 1))).toThrow(SnapshotError);
  });
});


describe('openState: the format versions a reader takes', () => {
  const blob = (version: number) => sealState('TEST', version, (w) => w.u32(version * 10));

  it('takes the one version given, and tells the reader which it opened', () => {
    const r = openState('TEST', 2, blob(2), 'test state');
    expect(r.version).toBe(2);
    expect(r.u32()).toBe(20);
    expect(() => openState('TEST', 2, blob(1), 'test state')).toThrow(/^test state: unsupported format version 1 \(this build reads 2\)$/);
  });

  it('takes every version from `oldest` on, and refuses the ones outside', () => {
    expect(openState('TEST', 3, blob(1), 'test state', 1).version).toBe(1);
    expect(openState('TEST', 3, blob(3), 'test state', 1).u32()).toBe(30);
    expect(() => openState('TEST', 3, blob(4), 'test state', 2)).toThrow(/unsupported format version 4 \(this build reads 2 to 3\)/);
    expect(() => openState('TEST', 3, blob(1), 'test state', 2)).toThrow(/unsupported format version 1 \(this build reads 2 to 3\)/);
  });
});
