import { describe, expect, it } from 'vitest';
import { AtaChannel, guessGeometry, identifyData } from '../../../emulator/devices/ata';
import { DiskImage, SECTOR_SIZE } from '../../../emulator/devices/disk-image';
import { SnapshotError } from '../../../emulator/state/codec';

/** A disk whose sector n starts with the bytes n (LE u32) and 'k' + slot. */
function disk(sectors: number, slot = 0, bytes = sectors * SECTOR_SIZE): DiskImage {
  const b = new Uint8Array(bytes);
  for (let n = 0; n * SECTOR_SIZE < bytes; n++) {
    const at = n * SECTOR_SIZE;
    for (let i = 0; i < 4 && at + i < bytes; i++) b[at + i] = (n >>> (8 * i)) & 0xff;
    if (at + 4 < bytes) b[at + 4] = 0x6b + slot;
  }
  return new DiskImage(b, `disk${slot}`, true);
}

function setup(disks: (DiskImage | null)[]) {
  const irq: boolean[] = [];
  const ata = new AtaChannel(disks, (h) => irq.push(h));
  const out = (port: number, v: number, size: 1 | 2 | 4 = 1) => ata.portOut(port, v, size);
  const inb = (port: number) => ata.portIn(port, 1);
  const status = () => inb(0x3f6);
  /** LBA28 task file and a command. */
  const command = (cmd: number, lba: number, count: number, dev = 0xe0) => {
    out(0x1f2, count);
    out(0x1f3, lba & 0xff);
    out(0x1f4, (lba >>> 8) & 0xff);
    out(0x1f5, (lba >>> 16) & 0xff);
    out(0x1f6, dev | ((lba >>> 24) & 0x0f));
    out(0x1f7, cmd);
  };
  const readWords = (n: number) => Array.from({ length: n }, () => ata.portIn(0x1f0, 2));
  const readSector = () => {
    const b = new Uint8Array(SECTOR_SIZE);
    for (let i = 0; i < SECTOR_SIZE; i += 4) {
      const v = ata.portIn(0x1f0, 4);
      b[i] = v & 0xff; b[i + 1] = (v >>> 8) & 0xff; b[i + 2] = (v >>> 16) & 0xff; b[i + 3] = v >>> 24;
    }
    return b;
  };
  const writeSector = (fill: number) => {
    for (let i = 0; i < SECTOR_SIZE; i += 2) out(0x1f0, fill | (fill << 8), 2);
  };
  const lbaRegs = () => inb(0x1f3) | (inb(0x1f4) << 8) | (inb(0x1f5) << 16) | ((inb(0x1f6) & 0x0f) << 24);
  return { ata, irq, out, inb, status, command, readWords, readSector, writeSector, lbaRegs };
}

const u32 = (b: Uint8Array) => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;

describe('ATA primary channel', () => {
  it('IDENTIFY gives QEMU\'s words: model, serial by position, capacity in words 60-61 and 100-103, multiple mode 16, LBA and 48-bit support', () => {
    const t = setup([disk(20_000), disk(3000, 1)]);
    t.command(0xec, 0, 0);
    expect(t.status()).toBe(0x58);
    const w = t.readWords(256);
    expect(t.status()).toBe(0x50);
    const text = (first: number, count: number) => w.slice(first, first + count).map((x) => String.fromCharCode(x >> 8, x & 0xff)).join('');
    expect(text(27, 20).trimEnd()).toBe('QEMU HARDDISK');
    expect(text(10, 10).trimEnd()).toBe('QM00001');
    expect(text(23, 4)).toBe('2.5+    ');
    expect(w[60] | (w[61] << 16)).toBe(20_000);
    expect([w[100], w[101], w[102], w[103]]).toEqual([20_000 & 0xffff, 0, 0, 0]);
    expect([w[1], w[3], w[6]]).toEqual([19, 16, 63]); // 20,000 / 1008 cylinders of 16 heads x 63 sectors
    expect(w[47]).toBe(0x8010);
    expect(w[59]).toBe(0x0110);
    expect(w[49] & 0x0200).toBe(0x0200); // LBA
    expect(w[83] & 0x0400).toBe(0x0400); // 48-bit
    t.out(0x1f6, 0xf0); // the slave
    t.out(0x1f7, 0xec);
    const s = t.readWords(256);
    expect(String.fromCharCode(s[13] >> 8, s[13] & 0xff)).toBe('2 '); // QM00002
    expect(s[60]).toBe(3000);
  });

  it('the capacity is the file size rounded up to sectors; bytes past the end of the file read as zeros', () => {
    const d = disk(3, 0, 2 * SECTOR_SIZE + 100);
    expect(d.sectors).toBe(3);
    const t = setup([d]);
    t.command(0x20, 2, 1);
    const b = t.readSector();
    expect(u32(b)).toBe(2);
    expect(b.subarray(100).every((x) => x === 0)).toBe(true);
  });

  it('READ SECTORS posts one block per sector with DRQ and IRQ 14, advances the task file, and ends without an interrupt', () => {
    const t = setup([disk(100)]);
    t.command(0x20, 10, 3);
    expect(t.irq).toEqual([true]);
    for (let k = 0; k < 3; k++) {
      expect(t.status()).toBe(0x58);
      expect(t.inb(0x1f7)).toBe(0x58); // the status register lowers IRQ 14
      expect(u32(t.readSector())).toBe(10 + k);
    }
    expect(t.irq).toEqual([true, false, true, false, true, false]);
    expect(t.status()).toBe(0x50);
    expect(t.inb(0x1f2)).toBe(0);
    expect(t.lbaRegs()).toBe(13);
    expect(t.ata.portIn(0x1f0, 2)).toBe(0); // no data left
  });

  it('WRITE SECTORS takes each block, writes it to the overlay only, and the image bytes never change', () => {
    const d = disk(100);
    const base = d.base.slice();
    const t = setup([d]);
    t.command(0x30, 7, 2);
    expect(t.status()).toBe(0x58);
    expect(t.irq).toEqual([]); // no interrupt before the first block
    t.writeSector(0xaa);
    expect(t.status()).toBe(0x58);
    t.writeSector(0xbb);
    expect(t.status()).toBe(0x50);
    expect(d.writes).toBe(2);
    expect(d.writtenSectors().map((w) => [w.lba, w.data[0]])).toEqual([[7, 0xaa], [8, 0xbb]]);
    expect(d.base).toEqual(base);
    t.command(0x20, 8, 1);
    expect(t.readSector()[100]).toBe(0xbb);
    expect(d.contents().subarray(7 * SECTOR_SIZE, 7 * SECTOR_SIZE + 4)).toEqual(new Uint8Array([0xaa, 0xaa, 0xaa, 0xaa]));
  });

  it('READ and WRITE MULTIPLE move blocks of the multiple count; SET MULTIPLE MODE takes 0 or a power of two up to 16', () => {
    const t = setup([disk(100)]);
    t.command(0xc6, 0, 4);
    expect(t.status()).toBe(0x50);
    t.command(0xc4, 0, 6);
    t.readWords(4 * 256);
    expect(t.status()).toBe(0x58); // the second block: 2 sectors
    t.readWords(2 * 256);
    expect(t.status()).toBe(0x50);
    t.command(0xc5, 50, 5);
    for (let k = 0; k < 4; k++) t.writeSector(k);
    expect(t.status()).toBe(0x58);
    t.writeSector(9);
    expect(t.status()).toBe(0x50);
    t.command(0xc6, 0, 3);
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]);
    t.command(0xc6, 0, 0);
    t.command(0xc4, 0, 1);
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]); // multiple mode off
  });

  it('an unknown command is aborted (ABRT) with IRQ 14; a transfer past the end is aborted as QEMU does (ABRT, not IDNF)', () => {
    const t = setup([disk(100)]);
    t.command(0x50, 0, 1);
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]);
    expect(t.irq).toEqual([true]);
    t.command(0x20, 100, 1);
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]);
    t.command(0x20, 99, 2);
    t.readSector();
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]);
    t.command(0x30, 100, 1);
    expect(t.status()).toBe(0x58); // the data is taken first
    t.writeSector(1);
    expect([t.status(), t.inb(0x1f1)]).toEqual([0x41, 0x04]);
  });

  it('nIEN keeps IRQ 14 low; SRST holds BSY and resets both drives when cleared (signature 1, 1, 0, 0; error 0x01)', () => {
    const t = setup([disk(100)]);
    t.out(0x3f6, 0x0a);
    t.command(0x20, 0, 1);
    expect(t.irq).toEqual([]);
    t.readSector();
    t.out(0x3f6, 0x0c);
    expect(t.status() & 0x80).toBe(0x80);
    t.out(0x3f6, 0x08);
    expect(t.status()).toBe(0x50);
    expect([t.inb(0x1f1), t.inb(0x1f2), t.inb(0x1f3), t.inb(0x1f4), t.inb(0x1f5), t.inb(0x1f6)]).toEqual([1, 1, 1, 0, 0, 0xa0]);
  });

  it('48-bit commands take the high-order bytes written first; HOB reads them back', () => {
    const t = setup([disk(70_000)]);
    t.out(0x1f2, 0); t.out(0x1f2, 2); // count 2
    t.out(0x1f3, 0); t.out(0x1f3, 0x10); // LBA 7-0 = 0x10, 31-24 = 0
    t.out(0x1f4, 0); t.out(0x1f4, 0x01); // LBA 15-8
    t.out(0x1f5, 0); t.out(0x1f5, 0x00);
    t.out(0x1f6, 0x40);
    t.out(0x1f7, 0x24);
    expect(u32(t.readSector())).toBe(0x110);
    expect(u32(t.readSector())).toBe(0x111);
    expect(t.inb(0x1f3)).toBe(0x12);
    t.out(0x3f6, 0x88);
    expect([t.inb(0x1f2), t.inb(0x1f3)]).toEqual([0, 0]);
  });

  it('CHS addresses go through the guessed geometry (16 heads, 63 sectors), or the one a partition table gives', () => {
    const t = setup([disk(5000)]);
    t.out(0x1f2, 1); t.out(0x1f3, 2); t.out(0x1f4, 1); t.out(0x1f5, 0); t.out(0x1f6, 0xa3); // C1 H3 S2
    t.out(0x1f7, 0x20);
    expect(u32(t.readSector())).toBe(1 * 16 * 63 + 3 * 63 + 1);
    const d = disk(4000);
    d.base[510] = 0x55; d.base[511] = 0xaa;
    d.base[0x1be + 5] = 3; d.base[0x1be + 6] = 32; d.base[0x1be + 12] = 100; // ends at head 3, sector 32
    expect(guessGeometry(d)).toEqual({ cylinders: Math.floor(4000 / 128), heads: 4, sectors: 32 });
    expect(identifyData(d, 0, guessGeometry(d), 16)[2]).toBe(31);
  });

  it('with one disk the slave is absent: its status reads 0 and its commands are ignored', () => {
    const t = setup([disk(100)]);
    t.out(0x1f6, 0xb0);
    expect(t.status()).toBe(0);
    t.out(0x1f7, 0xec);
    expect(t.status()).toBe(0);
    expect(t.irq).toEqual([]);
    t.out(0x1f6, 0xa0);
    expect(t.status()).toBe(0x50);
  });

  it('byte accesses to the data port read 0xFF and write nothing', () => {
    const t = setup([disk(10)]);
    t.command(0x20, 0, 1);
    expect(t.inb(0x1f0)).toBe(0xff);
    expect(u32(t.readSector())).toBe(0);
  });

  it('a snapshot in the middle of a transfer restores the transfer and the disk as it was (write count)', () => {
    const d = disk(100);
    const t = setup([d]);
    t.command(0x30, 1, 1);
    t.writeSector(0x11);
    t.command(0x30, 2, 2);
    t.writeSector(0x22);
    for (let i = 0; i < 64; i++) t.out(0x1f0, 0x3333, 2); // part of the second block
    const saved = t.ata.saveState();
    for (let i = 64; i < 256; i++) t.out(0x1f0, 0x3333, 2);
    t.command(0x30, 9, 1);
    t.writeSector(0x44);
    expect(d.writes).toBe(4);
    t.ata.loadState(saved);
    expect(d.writes).toBe(2);
    expect(d.writtenSectors().map((w) => w.lba)).toEqual([1, 2]);
    for (let i = 64; i < 256; i++) t.out(0x1f0, 0x3333, 2);
    expect(d.writes).toBe(3);
    expect(d.writtenSectors().map((w) => [w.lba, w.data[0], w.data[300]])).toEqual([[1, 0x11, 0x11], [2, 0x22, 0x22], [3, 0x33, 0x33]]);
    expect(t.status()).toBe(0x50);
  });

  it('a state that counts more writes than the disk knows is refused, and nothing changes', () => {
    const d = new DiskImage(new Uint8Array(SECTOR_SIZE * 4));
    const t = setup([d]);
    const other = setup([disk(4)]);
    other.command(0x30, 0, 1);
    other.writeSector(1);
    expect(() => t.ata.loadState(other.ata.saveState())).toThrow(SnapshotError);
    expect(d.writes).toBe(0);
  });
});

describe('disk image write log', () => {
  it('rewinding replays the first n writes; writing the same again keeps the rest of the log, a different write drops it', () => {
    const d = new DiskImage(new Uint8Array(SECTOR_SIZE * 8), 'd', true);
    const sector = (v: number) => new Uint8Array(SECTOR_SIZE).fill(v);
    d.write(1, sector(1), 0);
    d.write(2, sector(2), 0);
    d.write(1, sector(3), 0);
    d.rewind(1);
    const b = new Uint8Array(SECTOR_SIZE);
    d.read(1, b, 0);
    expect(b[0]).toBe(1);
    d.read(2, b, 0);
    expect(b[0]).toBe(0);
    d.write(2, sector(2), 0); // as recorded
    d.rewind(3);
    d.read(1, b, 0);
    expect(b[0]).toBe(3);
    d.rewind(1);
    d.write(5, sector(9), 0); // another future
    expect(d.rewindProblem(3)).toMatch(/beyond the 2 writes known/);
  });
});
