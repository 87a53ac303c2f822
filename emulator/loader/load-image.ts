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
  throw new ImageError('not a Multiboot kernel: no Multiboot header in the first 8192 bytes');
}
