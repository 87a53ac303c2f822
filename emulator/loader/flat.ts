/** Flat binaries: the file's bytes copied to one physical address, entered at its start. */
import { SymbolTable } from './symbols';
import { ImageError, type LoadedImage, hex } from './types';

/** Copies `image` to `loadAddress` in `ram`; entry = loadAddress, EAX = EBX = 0. */
export function loadFlat(image: Uint8Array, ram: Uint8Array, loadAddress: number): LoadedImage {
  if (!Number.isInteger(loadAddress) || loadAddress < 0 || loadAddress >= 0x100000000) {
    throw new ImageError(`bad image: flat load address ${loadAddress} is not a 32-bit physical address`);
  }
  if (image.length === 0) throw new ImageError('bad image: the file is empty');
  const end = loadAddress + image.length;
  if (end > ram.length) {
    throw new ImageError(`bad image: the flat image [${hex(loadAddress)}-${hex(end)}) lies outside RAM (${hex(ram.length)} bytes)`);
  }
  ram.set(image, loadAddress);
  return {
    kind: 'flat',
    entry: loadAddress,
    eax: 0,
    ebx: 0,
    symbols: SymbolTable.empty(),
    ranges: [{ start: loadAddress, end }],
  };
}
