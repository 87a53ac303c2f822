/**
 * The primary ATA (IDE) channel of the PC: ports 0x1F0-0x1F7 (command block) and 0x3F6 (device
 * control / alternate status), a master and a slave disk, IRQ 14. PIO only, as the ATA/ATAPI-6
 * standard describes it and as QEMU's IDE disk (hw/ide/core.c, QEMU 7.2, on the `pc` machine)
 * behaves where the two differ; each such place says so below.
 *
 * Registers (port, read / write):
 *   0x1F0  data (16 or 32 bits; a byte access reads 0xFF and writes nothing, as QEMU)
 *   0x1F1  error / features          0x1F2  sector count
 *   0x1F3  sector number (LBA 7-0)    0x1F4  cylinder low (LBA 15-8)   0x1F5  cylinder high (LBA 23-16)
 *   0x1F6  device/head: bit 4 selects the slave, bit 6 LBA, bits 3-0 head or LBA 27-24
 *   0x1F7  status (reading it lowers IRQ 14) / command
 *   0x3F6  alternate status (no IRQ change) / device control: bit 1 nIEN, bit 2 SRST, bit 7 HOB
 * Both drives receive every register write (they share the cable); reads come from the selected
 * one. Each of the registers 0x1F1-0x1F5 is two deep for 48-bit commands: a write pushes the
 * previous value to its "high order byte", which reads back while HOB is set.
 *
 * Commands: IDENTIFY DEVICE (0xEC), READ SECTORS (0x20, 0x21), READ SECTORS EXT (0x24), WRITE
 * SECTORS (0x30, 0x31), WRITE SECTORS EXT (0x34), READ MULTIPLE (0xC4) and EXT (0x29), WRITE
 * MULTIPLE (0xC5) and EXT (0x39), SET MULTIPLE MODE (0xC6: 0 or a power of two up to 16), READ
 * VERIFY (0x40, 0x41, 0x42), SEEK (0x70), RECALIBRATE (0x10), INITIALIZE DEVICE PARAMETERS
 * (0x91), EXECUTE DEVICE DIAGNOSTIC (0x90), FLUSH CACHE (0xE7, 0xEA), the power commands (0xE0-0xE3,
 * 0xE5, 0xE6, 0x94-0x99; CHECK POWER MODE answers 0xFF, active), SET FEATURES (0xEF: write cache
 * on/off, transfer mode, and the ones QEMU accepts without effect), READ NATIVE MAX ADDRESS
 * (0xF8, 0x27). Sector addresses are 28-bit LBA, 48-bit LBA (the EXT commands) or CHS with the
 * geometry QEMU guesses for the image. Any other command, DMA ones included, is aborted (status
 * 0x41, error ABRT), as QEMU aborts commands it does not know (QEMU would run the DMA ones).
 *
 * Errors as QEMU reports them: a transfer past the end of the disk is aborted with ABRT (the
 * standard says IDNF; QEMU, which ringside follows, says ABRT), status DRDY|ERR, IRQ 14.
 *
 * Timing. A command completes within the instruction that writes it: its data is ready (DRQ)
 * or its result posted, with IRQ 14, when that instruction retires, and a write is applied when
 * the instruction that transfers its last word retires. No wall clock: BSY is seen only while
 * SRST is held (the reset happens when the guest clears SRST).
 *
 * State after the firmware (SeaBIOS probes the drives before the kernel starts): device control
 * 0x08 (interrupts enabled), the master selected, both drives as after a reset (status 0x50,
 * signature in the task file), multiple mode 16 sectors, and the IDENTIFY data built (QEMU
 * builds it once, at the firmware's IDENTIFY: SET MULTIPLE MODE does not change word 59 later,
 * SET FEATURES changes words 62, 63, 85 and 88). Which drive SeaBIOS leaves selected and what
 * it leaves in the task file are not reproduced.
 *
 * Not emulated: DMA (bus mastering), ATAPI, the secondary channel, SMART, security, TRIM.
 */
import type { AccessSize, PortDevice } from './bus';
import { DiskImage, SECTOR_SIZE } from './disk-image';
import { sealState, openState } from '../state/codec';

export const ATA_PRIMARY = 0x1f0;
export const ATA_PRIMARY_CONTROL = 0x3f6;
export const ATA_IRQ = 14;

const ST_ERR = 0x01, ST_DRQ = 0x08, ST_DSC = 0x10, ST_DRDY = 0x40, ST_BSY = 0x80;
const ERR_ABRT = 0x04;
const CTL_NIEN = 0x02, CTL_SRST = 0x04, CTL_HOB = 0x80;
/** Sectors per block of READ/WRITE MULTIPLE at most (QEMU's MAX_MULT_SECTORS). */
export const MAX_MULT_SECTORS = 16;

/** What happens when the guest has moved the whole data block. */
const END_STOP = 0, END_READ = 1, END_WRITE = 2;

/** The CHS geometry QEMU guesses for a raw image (hw/block/hd-geometry.c). */
export function guessGeometry(disk: DiskImage): { cylinders: number; heads: number; sectors: number } {
  const n = disk.sectors;
  const mbr = new Uint8Array(SECTOR_SIZE);
  disk.read(0, mbr, 0);
  if (mbr[510] === 0x55 && mbr[511] === 0xaa) {
    // A partition table: its first partition that ends on a cylinder boundary gives the logical geometry.
    for (let i = 0; i < 4; i++) {
      const p = 0x1be + 16 * i;
      const sects = (mbr[p + 12] | (mbr[p + 13] << 8) | (mbr[p + 14] << 16) | (mbr[p + 15] << 24)) >>> 0;
      const endHead = mbr[p + 5];
      if (sects === 0 || endHead === 0) continue;
      const heads = endHead + 1, sectors = mbr[p + 6] & 63;
      if (sectors === 0) continue;
      const cylinders = Math.floor(n / (heads * sectors));
      if (cylinders < 1 || cylinders > 16383) continue;
      if (heads > 15) break; // an LBA or "large" layout: the standard physical geometry instead
      return { cylinders, heads, sectors };
    }
  }
  return { cylinders: Math.max(2, Math.min(16383, Math.floor(n / (16 * 63)))), heads: 16, sectors: 63 };
}

/** An ATA string: space-padded, two characters per word, the first in the high byte. */
function putString(words: Uint16Array, first: number, count: number, s: string): void {
  for (let k = 0; k < count; k++) {
    const hi = s.charCodeAt(2 * k), lo = s.charCodeAt(2 * k + 1);
    words[first + k] = ((Number.isNaN(hi) ? 0x20 : hi) << 8) | (Number.isNaN(lo) ? 0x20 : lo);
  }
}

/** The IDENTIFY DEVICE data of a disk, word for word as QEMU's IDE disk reports it. */
export function identifyData(disk: DiskImage, unit: number, geometry: { cylinders: number; heads: number; sectors: number }, multSectors: number): Uint8Array {
  const w = new Uint16Array(256);
  const { cylinders, heads, sectors } = geometry;
  const n = disk.sectors;
  w[0] = 0x0040; // fixed disk
  w[1] = cylinders;
  w[3] = heads;
  w[4] = (512 * sectors) & 0xffff;
  w[5] = 512;
  w[6] = sectors;
  putString(w, 10, 10, `QM0000${unit + 1}`); // serial: QEMU numbers its IDE drives from 1
  w[20] = 3;
  w[21] = 512;
  w[22] = 4;
  putString(w, 23, 4, '2.5+'); // firmware revision: QEMU's hardware version of the pc machine
  putString(w, 27, 20, 'QEMU HARDDISK'); // model
  w[47] = 0x8000 | MAX_MULT_SECTORS;
  w[48] = 1; // dword I/O
  w[49] = (1 << 11) | (1 << 9) | (1 << 8); // IORDY, LBA, DMA
  w[51] = 0x200;
  w[52] = 0x200;
  w[53] = 7; // words 54-58, 64-70 and 88 valid
  w[54] = cylinders;
  w[55] = heads;
  w[56] = sectors;
  const old = cylinders * heads * sectors;
  w[57] = old & 0xffff;
  w[58] = (old >>> 16) & 0xffff;
  if (multSectors !== 0) w[59] = 0x100 | multSectors;
  const lba28 = Math.min(n, 0x0fffffff);
  w[60] = lba28 & 0xffff;
  w[61] = lba28 >>> 16;
  w[62] = 0x07;
  w[63] = 0x07;
  w[64] = 0x03;
  w[65] = w[66] = w[67] = w[68] = 120;
  w[69] = 1 << 14; // deterministic read after TRIM (QEMU's IDE disks announce TRIM, word 169)
  w[80] = 0xf0; // ATA-4 to ATA-7
  w[81] = 0x16;
  w[82] = (1 << 14) | (1 << 5) | 1; // NOP, write cache, SMART
  w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); // FLUSH CACHE EXT, FLUSH CACHE, 48-bit
  w[84] = 1 << 14;
  w[85] = (1 << 14) | (1 << 5) | 1; // write cache enabled
  w[86] = (1 << 13) | (1 << 12) | (1 << 10);
  w[87] = 1 << 14;
  w[88] = 0x3f | (1 << 13); // UDMA 0-5 supported, 5 selected
  w[93] = 1 | (1 << 14) | 0x2000;
  w[100] = n & 0xffff;
  w[101] = Math.floor(n / 0x10000) & 0xffff;
  w[102] = Math.floor(n / 0x100000000) & 0xffff;
  w[103] = 0;
  w[106] = 0x6000; // one logical sector per physical sector
  w[169] = 1; // DATA SET MANAGEMENT (TRIM) supported, as QEMU announces it (ringside aborts the command)
  const out = new Uint8Array(512);
  for (let k = 0; k < 256; k++) {
    out[2 * k] = w[k] & 0xff;
    out[2 * k + 1] = w[k] >>> 8;
  }
  return out;
}

/** One drive on the channel: its task-file registers, its data block and its disk (or none). */
class AtaDrive {
  feature = 0; hobFeature = 0;
  nsector = 0; hobNsector = 0; // nsector holds up to 65536 once a command has taken it
  sector = 0; hobSector = 0;
  lcyl = 0; hobLcyl = 0;
  hcyl = 0; hobHcyl = 0;
  select = 0xa0;
  status = 0;
  error = 0;
  lba48 = false;
  multSectors = MAX_MULT_SECTORS;
  reqSectors = 1; // sectors per data block of the command in progress
  heads: number; // CHS translation (INITIALIZE DEVICE PARAMETERS may change heads and sectors)
  sectors: number;
  readonly cylinders: number;
  endKind = END_STOP; // what the end of the data block does
  dataPos = 0; // next byte of the block
  dataEnd = 0; // end of the block
  readonly buffer = new Uint8Array(MAX_MULT_SECTORS * SECTOR_SIZE);
  readonly identify: Uint8Array; // the IDENTIFY data (built once, as QEMU)

  constructor(readonly disk: DiskImage | null, unit: number) {
    const g = disk !== null ? guessGeometry(disk) : { cylinders: 0, heads: 0, sectors: 0 };
    this.cylinders = g.cylinders;
    this.heads = g.heads;
    this.sectors = g.sectors;
    this.identify = disk !== null ? identifyData(disk, unit, g, MAX_MULT_SECTORS) : new Uint8Array(512);
    this.reset();
  }

  /** A software or power-on reset, then the diagnostic's signature (QEMU: ide_reset + ide_set_signature). */
  reset(): void {
    this.multSectors = MAX_MULT_SECTORS;
    this.feature = this.hobFeature = this.hobNsector = this.hobSector = this.hobLcyl = this.hobHcyl = 0;
    this.lba48 = false;
    this.transferStop();
    this.select = 0xa0;
    this.signature();
  }

  /** The signature a diagnostic leaves in the task file: a disk answers 1, 1, 0, 0; an absent drive 0xFF. */
  signature(): void {
    this.select &= 0xf0;
    this.nsector = 1;
    this.sector = 1;
    this.lcyl = this.hcyl = this.disk !== null ? 0 : 0xff;
    this.status = this.disk !== null ? ST_DRDY | ST_DSC : 0;
    this.error = 0x01; // diagnostic: no error
  }

  transferStart(bytes: number, end: number): void {
    this.endKind = end;
    this.dataPos = 0;
    this.dataEnd = bytes;
    if ((this.status & ST_ERR) === 0) this.status |= ST_DRQ;
  }

  transferStop(): void {
    this.endKind = END_STOP;
    this.dataPos = 0;
    this.dataEnd = 0;
    this.status &= ~ST_DRQ;
  }

  abort(): void {
    this.transferStop();
    this.status = ST_DRDY | ST_ERR;
    this.error = ERR_ABRT;
  }

  /** The sector count a command works on (0 means 256, or 65536 for 48-bit commands). */
  takeCount(lba48: boolean): void {
    this.lba48 = lba48;
    if (!lba48) {
      if (this.nsector === 0) this.nsector = 256;
    } else if (this.nsector === 0 && this.hobNsector === 0) this.nsector = 65536;
    else this.nsector = (this.hobNsector << 8) | this.nsector;
  }

  /** The address in the task file: LBA (28 or 48 bits) or CHS; -1 for a CHS sector 0. */
  address(): number {
    if (this.select & 0x40) {
      if (!this.lba48) return ((this.select & 0x0f) * 0x1000000) + (this.hcyl << 16) + (this.lcyl << 8) + this.sector;
      return this.hobHcyl * 0x10000000000 + this.hobLcyl * 0x100000000 + this.hobSector * 0x1000000 + (this.hcyl << 16) + (this.lcyl << 8) + this.sector;
    }
    if (this.sector === 0) return -1;
    return ((this.hcyl << 8) | this.lcyl) * this.heads * this.sectors + (this.select & 0x0f) * this.sectors + (this.sector - 1);
  }

  setAddress(n: number): void {
    if (this.select & 0x40) {
      if (!this.lba48) {
        this.select = (this.select & 0xf0) | (Math.floor(n / 0x1000000) & 0x0f);
        this.hcyl = (n >>> 16) & 0xff;
        this.lcyl = (n >>> 8) & 0xff;
        this.sector = n & 0xff;
      } else {
        this.sector = n & 0xff;
        this.lcyl = (n >>> 8) & 0xff;
        this.hcyl = (n >>> 16) & 0xff;
        this.hobSector = Math.floor(n / 0x1000000) & 0xff;
        this.hobLcyl = Math.floor(n / 0x100000000) & 0xff;
        this.hobHcyl = Math.floor(n / 0x10000000000) & 0xff;
      }
    } else {
      const perCyl = this.heads * this.sectors;
      if (perCyl === 0) return;
      const cyl = Math.floor(n / perCyl), r = n % perCyl;
      this.hcyl = (cyl >>> 8) & 0xff;
      this.lcyl = cyl & 0xff;
      this.select = (this.select & 0xf0) | (Math.floor(r / this.sectors) & 0x0f);
      this.sector = (r % this.sectors) + 1;
    }
  }

  inRange(first: number, count: number): boolean {
    const total = this.disk === null ? 0 : this.disk.sectors;
    return first >= 0 && first <= total && count <= total - first;
  }
}

export class AtaChannel implements PortDevice {
  private readonly drives: [AtaDrive, AtaDrive];
  private unit = 0; // the selected drive
  private control = 0x08; // device control as SeaBIOS leaves it
  private line = false; // IRQ 14

  constructor(
    disks: readonly (DiskImage | null)[], // [master, slave]
    private readonly irq: (high: boolean) => void,
  ) {
    this.drives = [new AtaDrive(disks[0] ?? null, 0), new AtaDrive(disks[1] ?? null, 1)];
  }

  /** The disks, master first (null: none). */
  get disks(): (DiskImage | null)[] {
    return this.drives.map((d) => d.disk);
  }

  private get active(): AtaDrive {
    return this.drives[this.unit];
  }

  /** Whether the selected drive is an absent slave (QEMU reads its status and error as 0). */
  private get absent(): boolean {
    return this.active.disk === null;
  }

  private setLine(high: boolean): void {
    if (high === this.line) return;
    this.line = high;
    this.irq(high);
  }

  private raise(): void {
    if ((this.control & CTL_NIEN) === 0) this.setLine(true);
  }

  // ---------------------------------------------------------------- ports

  portIn(port: number, size: AccessSize): number {
    if (port === ATA_PRIMARY_CONTROL) return this.absent ? 0 : this.active.status;
    const reg = port - ATA_PRIMARY;
    if (reg === 0) {
      if (size === 1) return 0xff;
      return this.readData(size);
    }
    const s = this.active;
    const hob = (this.control & CTL_HOB) !== 0;
    let v: number;
    switch (reg) {
      case 1: v = this.absent ? 0 : hob ? s.hobFeature : s.error; break;
      case 2: v = hob ? s.hobNsector : s.nsector & 0xff; break;
      case 3: v = hob ? s.hobSector : s.sector; break;
      case 4: v = hob ? s.hobLcyl : s.lcyl; break;
      case 5: v = hob ? s.hobHcyl : s.hcyl; break;
      case 6: v = s.select; break;
      default:
        v = this.absent ? 0 : s.status;
        this.setLine(false);
    }
    return size === 1 ? v : size === 2 ? v | 0xff00 : (v | 0xffffff00) >>> 0;
  }

  portOut(port: number, value: number, size: AccessSize): void {
    if (port === ATA_PRIMARY_CONTROL) {
      this.writeControl(value & 0xff);
      return;
    }
    const reg = port - ATA_PRIMARY;
    if (reg === 0) {
      if (size !== 1) this.writeData(value, size);
      return;
    }
    const v = value & 0xff;
    // The command block ignores writes while the selected drive is busy or moving data.
    if (reg !== 7 && (this.active.status & (ST_BSY | ST_DRQ)) !== 0) return;
    this.control &= ~CTL_HOB;
    for (const d of this.drives) {
      switch (reg) {
        case 1: d.hobFeature = d.feature; d.feature = v; break;
        case 2: d.hobNsector = d.nsector & 0xff; d.nsector = v; break;
        case 3: d.hobSector = d.sector; d.sector = v; break;
        case 4: d.hobLcyl = d.lcyl; d.lcyl = v; break;
        case 5: d.hobHcyl = d.hcyl; d.hcyl = v; break;
        case 6: d.select = v | 0xa0; break;
      }
    }
    if (reg === 6) this.unit = (v >> 4) & 1;
    if (reg === 7) {
      this.setLine(false);
      this.execute(v);
    }
  }

  private writeControl(v: number): void {
    const was = this.control;
    this.control = v;
    if ((v & CTL_SRST) !== 0 && (was & CTL_SRST) === 0) for (const d of this.drives) d.status |= ST_BSY;
    if ((v & CTL_SRST) === 0 && (was & CTL_SRST) !== 0) for (const d of this.drives) d.reset();
  }

  private readData(size: AccessSize): number {
    const s = this.active;
    if ((s.status & ST_DRQ) === 0 || s.endKind === END_WRITE) return 0;
    if (s.dataPos + size > s.dataEnd) return 0;
    const b = s.buffer, p = s.dataPos;
    const v = size === 2 ? b[p] | (b[p + 1] << 8) : (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    s.dataPos = p + size;
    if (s.dataPos >= s.dataEnd) this.endOfBlock(s);
    return v;
  }

  private writeData(value: number, size: AccessSize): void {
    const s = this.active;
    if ((s.status & ST_DRQ) === 0 || s.endKind !== END_WRITE) return;
    if (s.dataPos + size > s.dataEnd) return;
    const b = s.buffer, p = s.dataPos;
    b[p] = value & 0xff;
    b[p + 1] = (value >>> 8) & 0xff;
    if (size === 4) {
      b[p + 2] = (value >>> 16) & 0xff;
      b[p + 3] = (value >>> 24) & 0xff;
    }
    s.dataPos = p + size;
    if (s.dataPos >= s.dataEnd) this.endOfBlock(s);
  }

  private endOfBlock(s: AtaDrive): void {
    s.status &= ~ST_DRQ;
    if (s.endKind === END_READ) this.readBlock(s);
    else if (s.endKind === END_WRITE) this.writeBlock(s);
    else s.transferStop();
  }

  // ---------------------------------------------------------------- commands

  private execute(cmd: number): void {
    const s = this.active;
    if (s.disk === null) return; // commands to an absent slave are ignored
    if ((s.status & (ST_BSY | ST_DRQ)) !== 0) return;
    s.status = ST_DRDY | ST_BSY;
    s.error = 0;
    const done = this.run(s, cmd);
    if (done === null) {
      s.abort();
      this.raise();
    } else if (done) {
      s.status &= ~ST_BSY;
      if (SET_DSC.has(cmd) && s.error === 0) s.status |= ST_DSC;
      this.raise();
    }
  }

  /**
   * Runs command `cmd` on `s`: true when it completed at once (status posted with IRQ 14 by
   * execute), false when it moves data (it has set DRQ and raised IRQ 14 itself where the
   * protocol says so), null when it is not supported (aborted).
   */
  private run(s: AtaDrive, cmd: number): boolean | null {
    switch (cmd) {
      case 0xec: // IDENTIFY DEVICE
        s.buffer.set(s.identify);
        s.status = ST_DRDY | ST_DSC;
        s.transferStart(512, END_STOP);
        this.raise();
        return false;
      case 0x20: case 0x21: case 0x24: // READ SECTORS (EXT)
        s.takeCount(cmd === 0x24);
        s.reqSectors = 1;
        this.readBlock(s);
        return false;
      case 0xc4: case 0x29: // READ MULTIPLE (EXT)
        if (s.multSectors === 0) return null;
        s.takeCount(cmd === 0x29);
        s.reqSectors = s.multSectors;
        this.readBlock(s);
        return false;
      case 0x30: case 0x31: case 0x34: // WRITE SECTORS (EXT)
        s.takeCount(cmd === 0x34);
        s.reqSectors = 1;
        s.status = ST_DSC | ST_DRDY;
        s.transferStart(SECTOR_SIZE, END_WRITE);
        return false;
      case 0xc5: case 0x39: { // WRITE MULTIPLE (EXT)
        if (s.multSectors === 0) return null;
        s.takeCount(cmd === 0x39);
        s.reqSectors = s.multSectors;
        s.status = ST_DSC | ST_DRDY;
        s.transferStart(Math.min(s.nsector, s.reqSectors) * SECTOR_SIZE, END_WRITE);
        return false;
      }
      case 0xc6: { // SET MULTIPLE MODE
        const n = s.nsector & 0xff;
        if (n !== 0 && (n > MAX_MULT_SECTORS || (n & (n - 1)) !== 0)) return null;
        s.multSectors = n;
        return true;
      }
      case 0x40: case 0x41: case 0x42: // READ VERIFY SECTORS (EXT): nothing to check on an image
        s.takeCount(cmd === 0x42);
        return true;
      case 0x10: case 0x70: // RECALIBRATE, SEEK
        return true;
      case 0x91: // INITIALIZE DEVICE PARAMETERS: the CHS translation
        s.heads = (s.select & 0x0f) + 1;
        s.sectors = s.nsector & 0xff;
        return true;
      case 0x90: // EXECUTE DEVICE DIAGNOSTIC: error 0x01 is its "passed", not an error
        s.signature();
        s.status = ST_DRDY | ST_DSC;
        s.error = 0x01;
        this.raise();
        return false;
      case 0xe7: case 0xea: // FLUSH CACHE (EXT): writes are applied at once
        s.status = ST_DRDY | ST_DSC | ST_BSY;
        return true;
      case 0xe5: case 0x98: // CHECK POWER MODE: active or idle
        s.nsector = 0xff;
        return true;
      case 0xe0: case 0xe1: case 0xe2: case 0xe3: case 0xe6: case 0x94: case 0x95: case 0x96: case 0x97: case 0x99: // power management
        return true;
      case 0xef: return this.setFeatures(s);
      case 0xf8: case 0x27: // READ NATIVE MAX ADDRESS (EXT)
        s.lba48 = cmd === 0x27;
        s.setAddress((s.disk?.sectors ?? 1) - 1);
        return true;
      default:
        return null;
    }
  }

  private setFeatures(s: AtaDrive): boolean | null {
    const id = s.identify;
    const put = (word: number, v: number) => {
      id[2 * word] = v & 0xff;
      id[2 * word + 1] = v >>> 8;
    };
    switch (s.feature) {
      case 0x02: put(85, (1 << 14) | (1 << 5) | 1); return true; // write cache on
      case 0x82: put(85, (1 << 14) | 1); return true; // write cache off
      case 0x03: { // transfer mode
        const mode = s.nsector & 0x07;
        switch (s.nsector >> 3) {
          case 0x00: case 0x01: put(62, 0x07); put(63, 0x07); put(88, 0x3f); return true;
          case 0x02: put(62, 0x07 | (1 << (mode + 8))); put(63, 0x07); put(88, 0x3f); return true;
          case 0x04: put(62, 0x07); put(63, 0x07 | (1 << (mode + 8))); put(88, 0x3f); return true;
          case 0x08: put(62, 0x07); put(63, 0x07); put(88, 0x3f | (1 << (mode + 8))); return true;
          default: return null;
        }
      }
      case 0xcc: case 0x66: case 0xaa: case 0x55: case 0x05: case 0x85: case 0x69: case 0x67: case 0x96: case 0x9a: case 0x42: case 0xc2:
        return true; // accepted without effect (QEMU)
      default:
        return null;
    }
  }

  /** Posts the next block of a read (DRQ and IRQ 14), or ends the command when none is left. */
  private readBlock(s: AtaDrive): void {
    s.status = ST_DRDY | ST_DSC;
    s.error = 0;
    const first = s.address();
    if (s.nsector === 0) {
      s.transferStop();
      return;
    }
    const n = Math.min(s.nsector, s.reqSectors);
    if (!s.inRange(first, n)) {
      s.abort();
      this.raise();
      return;
    }
    for (let k = 0; k < n; k++) s.disk!.read(first + k, s.buffer, k * SECTOR_SIZE);
    s.transferStart(n * SECTOR_SIZE, END_READ);
    this.raise();
    s.setAddress(first + n);
    s.nsector -= n;
  }

  /** Applies a block the guest has written, then asks for the next one or ends the command (IRQ 14). */
  private writeBlock(s: AtaDrive): void {
    s.status = ST_DRDY | ST_DSC;
    const first = s.address();
    const n = Math.min(s.nsector, s.reqSectors);
    if (!s.inRange(first, n)) {
      s.abort();
      this.raise();
      return;
    }
    for (let k = 0; k < n; k++) s.disk!.write(first + k, s.buffer, k * SECTOR_SIZE);
    s.nsector -= n;
    if (s.nsector === 0) s.transferStop();
    else s.transferStart(Math.min(s.nsector, s.reqSectors) * SECTOR_SIZE, END_WRITE);
    s.setAddress(first + n);
    this.raise();
  }

  // ---------------------------------------------------------------- snapshots

  /** The channel's state; each disk's contents are its write count (the write log holds the rest). */
  saveState(): Uint8Array {
    return sealState('ATA0', 1, (w) => {
      w.u8(this.unit);
      w.u8(this.control);
      w.bool(this.line);
      for (const d of this.drives) {
        for (const v of [d.feature, d.hobFeature, d.nsector, d.hobNsector, d.sector, d.hobSector, d.lcyl, d.hobLcyl, d.hcyl, d.hobHcyl, d.select, d.status, d.error]) w.u32(v);
        w.bool(d.lba48);
        w.u8(d.multSectors);
        w.u8(d.reqSectors);
        w.u32(d.heads);
        w.u32(d.sectors);
        w.u8(d.endKind);
        w.u32(d.dataPos);
        w.bytes(d.buffer.subarray(0, d.dataEnd));
        w.bytes(d.identify);
        w.f64(d.disk === null ? 0 : d.disk.writes);
      }
    });
  }

  loadState(bytes: Uint8Array): void {
    const r = openState('ATA0', 1, bytes, 'ATA state');
    const unit = r.u8(), control = r.u8(), line = r.bool();
    if (unit > 1) r.fail(`selected drive ${unit}`);
    const saved = this.drives.map((d) => {
      const regs: number[] = [];
      for (let k = 0; k < 13; k++) regs.push(r.u32());
      const lba48 = r.bool(), mult = r.u8(), req = r.u8(), heads = r.u32(), sectors = r.u32(), endKind = r.u8(), dataPos = r.u32();
      const data = r.bytes(), identify = r.bytes(), writes = r.f64();
      if (regs[2] > 65536 || regs.some((v, k) => k !== 2 && v > 0xff)) r.fail('a task-file register out of range');
      if (mult > MAX_MULT_SECTORS || req < 1 || req > MAX_MULT_SECTORS || endKind > END_WRITE) r.fail('bad multiple count or transfer');
      if (data.length > d.buffer.length || dataPos > data.length || identify.length !== 512) r.fail('bad data block');
      if (heads > 16 || sectors > 255) r.fail('bad geometry');
      const problem = d.disk === null ? (writes === 0 ? null : 'writes to an absent disk') : d.disk.rewindProblem(writes);
      if (problem !== null) r.fail(problem);
      return { regs, lba48, mult, req, heads, sectors, endKind, dataPos, data, identify, writes };
    });
    r.end();
    this.unit = unit;
    this.control = control;
    this.line = line;
    this.drives.forEach((d, k) => {
      const s = saved[k];
      [d.feature, d.hobFeature, d.nsector, d.hobNsector, d.sector, d.hobSector, d.lcyl, d.hobLcyl, d.hcyl, d.hobHcyl, d.select, d.status, d.error] = s.regs;
      d.lba48 = s.lba48;
      d.multSectors = s.mult;
      d.reqSectors = s.req;
      d.heads = s.heads;
      d.sectors = s.sectors;
      d.endKind = s.endKind;
      d.dataPos = s.dataPos;
      d.dataEnd = s.data.length;
      d.buffer.set(s.data);
      d.identify.set(s.identify);
      d.disk?.rewind(s.writes);
    });
  }
}

/** Commands after which QEMU sets DSC in the status (ide_cmd_table's SET_DSC). */
const SET_DSC = new Set([0x10, 0x70, 0x40, 0x41, 0x42, 0xc6, 0x91, 0xef, 0xf8, 0x27, 0xe5, 0x98]);
