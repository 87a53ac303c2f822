/**
 * QEMU's fw_cfg device, legacy (non-DMA) I/O interface as on the x86 `pc` machine
 * (hw/nvram/fw_cfg.c, "fw_cfg_io"): one 2-byte region at 0x510.
 *
 *  - A 16-bit write to 0x510 selects an item and resets the data offset to 0.
 *  - A byte read of 0x510 or 0x511 returns the next byte of the selected item (QEMU's
 *    combined region reads data regardless of the offset) and advances the offset; past
 *    the end of the item, and for unknown items, it reads 0.
 *  - Byte writes (to the data port) are ignored, as in current QEMU.
 *  - Other widths are invalid in QEMU's region (`fw_cfg_comb_valid`): they read 0 and
 *    writes are ignored, which is what QEMU's unassigned-access path gives.
 *
 * At reset item 0 (the signature) is selected, as QEMU's fw_cfg_reset does.
 *
 * Items: 0x0000 signature "QEMU"; 0x0001 ID = 1 (traditional interface only, no DMA);
 * 0x0003 RAM size (u64 LE); 0x0005 NB_CPUS (u16 LE) = 1; 0x000f MAX_CPUS (u16 LE) = 1;
 * 0x0019 FILE_DIR = big-endian u32 count 0 (no files). Everything else reads as 0.
 */
import type { AccessSize, PortDevice } from './bus';
import { sealState, openState } from '../state/codec';

export const FW_CFG_SIGNATURE = 0x0000;
export const FW_CFG_ID = 0x0001;
export const FW_CFG_RAM_SIZE = 0x0003;
export const FW_CFG_NB_CPUS = 0x0005;
export const FW_CFG_MAX_CPUS = 0x000f;
export const FW_CFG_FILE_DIR = 0x0019;

const EMPTY = new Uint8Array(0);

export class FwCfg implements PortDevice {
  static readonly SELECTOR_PORT = 0x510; // 16-bit item selector
  static readonly DATA_PORT = 0x511; // byte-wide data port

  private readonly items = new Map<number, Uint8Array>(); // item key -> contents
  private current: Uint8Array; // contents of the selected item (empty when unknown)
  private offset = 0; // next byte of `current` to read

  constructor(ramSize: number) {
    if (!Number.isSafeInteger(ramSize) || ramSize < 0) throw new RangeError(`fw_cfg: invalid RAM size ${ramSize}`);
    this.items.set(FW_CFG_SIGNATURE, new Uint8Array([0x51, 0x45, 0x4d, 0x55])); // "QEMU"
    this.items.set(FW_CFG_ID, le(1, 4));
    this.items.set(FW_CFG_RAM_SIZE, le(ramSize, 8));
    this.items.set(FW_CFG_NB_CPUS, le(1, 2));
    this.items.set(FW_CFG_MAX_CPUS, le(1, 2));
    this.items.set(FW_CFG_FILE_DIR, new Uint8Array(4)); // big-endian count 0
    this.current = EMPTY;
    this.select(FW_CFG_SIGNATURE);
  }

  portIn(_port: number, size: AccessSize): number {
    if (size !== 1) return 0;
    if (this.offset >= this.current.length) return 0;
    return this.current[this.offset++];
  }

  portOut(port: number, value: number, size: AccessSize): void {
    if (size === 2 && port === FwCfg.SELECTOR_PORT) this.select(value & 0xffff);
  }

  /**
   * The selected item and the read offset, as bytes in the state codec (emulator/state/codec.ts). The items are
   * configuration (fixed by the constructor), not state. An unknown selection saves as -1:
   * every unknown item reads the same (zeros).
   */
  saveState(): Uint8Array {
    let key = -1;
    for (const [k, v] of this.items) if (v === this.current) key = k;
    return sealState('FWCF', 1, (w) => {
      w.i32(key);
      w.f64(this.offset);
    });
  }

  /** Loads a state saved by saveState; a rejected blob changes nothing. */
  loadState(bytes: Uint8Array): void {
    const r = openState('FWCF', 1, bytes, 'fw_cfg state');
    const key = r.i32();
    const offset = r.f64();
    r.end();
    const current = key === -1 ? EMPTY : this.items.get(key);
    if (current === undefined) return r.fail(`unknown item ${key}`);
    if (!Number.isInteger(offset) || offset < 0 || offset > current.length) r.fail(`offset ${offset} out of range`);
    this.current = current;
    this.offset = offset;
  }

  private select(key: number): void {
    this.current = this.items.get(key) ?? EMPTY;
    this.offset = 0;
  }
}

/** `value` as `bytes` little-endian bytes (value < 2^53). */
function le(value: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}
