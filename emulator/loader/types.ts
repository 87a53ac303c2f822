/** Types shared by the image loaders. */
import type { SymbolTable } from './symbols';

/** A kernel image that cannot be loaded. The message is one user-facing line. */
export class ImageError extends Error {
  override readonly name = 'ImageError'; // shown by error printers
}

/** What a loader did: where to start and which memory it wrote. */
export interface LoadedImage {
  kind: 'multiboot-elf' | 'multiboot-aout' | 'flat';
  /** Initial EIP. */
  entry: number;
  /** Initial EAX/EBX: 0x2BADB002 and the Multiboot information address for Multiboot. */
  eax: number;
  ebx: number;
  /** Symbols of the image (empty when it has none). */
  symbols: SymbolTable;
  /** Physical ranges [start, end) written by the loader, in the order they were written. */
  ranges: { start: number; end: number }[];
}

/** `n` as 0x-prefixed hex, at least 8 digits (for error messages). */
export function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
