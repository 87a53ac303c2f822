/**
 * Loads a kernel image of any supported kind: a Multiboot v1 kernel when the file has a
 * Multiboot header (checked first, whatever else the file is), otherwise a flat binary when
 * a flat load address is given. Anything else is an ImageError.
 */
import { loadFlat } from './flat';
import { type MultibootModule, findMultibootHeader, loadMultiboot } from './multiboot';
import { ImageError, type LoadedImage } from './types';

export interface LoadImageOptions {
  /** Kernel command line for Multiboot kernels ("" when absent). */
  cmdline?: string;
  /** Multiboot modules, like QEMU's -initrd list. */
  modules?: readonly MultibootModule[];
  /** Load address for a flat binary; without it a non-Multiboot file is rejected. */
  flatAddress?: number;
}

export function loadImage(image: Uint8Array, ram: Uint8Array, opts: LoadImageOptions = {}): LoadedImage {
  if (image.length === 0) throw new ImageError('bad image: the file is empty');
  const cmdline = opts.cmdline ?? '';
  const modules = opts.modules ?? [];
  if (findMultibootHeader(image) !== undefined) return loadMultiboot(image, ram, { cmdline, modules });
  if (opts.flatAddress !== undefined) {
    if (modules.length > 0 || cmdline !== '') {
      throw new ImageError('bad image: a flat binary takes no command line or modules (they need a Multiboot kernel)');
    }
    return loadFlat(image, ram, opts.flatAddress);
  }
  const hint = hasMultiboot2Header(image) ? ' (it has a Multiboot 2 header: only Multiboot 1 is supported)' : '';
  throw new ImageError(`not a Multiboot kernel: no Multiboot header in the first 8192 bytes${hint}`);
}

/** Multiboot 2 (spec section 3.1.1): magic, architecture, header length and checksum summing to 0, 8-byte aligned in the first 32 KiB. */
const MULTIBOOT2_MAGIC = 0xe85250d6;
const MULTIBOOT2_SEARCH = 32768;

function hasMultiboot2Header(image: Uint8Array): boolean {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(image.length, MULTIBOOT2_SEARCH) - 16;
  for (let off = 0; off <= end; off += 8) {
    if (view.getUint32(off, true) !== MULTIBOOT2_MAGIC) continue;
    const sum = (MULTIBOOT2_MAGIC + view.getUint32(off + 4, true) + view.getUint32(off + 8, true) + view.getUint32(off + 12, true)) >>> 0;
    if (sum === 0) return true;
  }
  return false;
}
