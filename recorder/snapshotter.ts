/**
 * Taking snapshots while recording: CPU and device state, and RAM as dirty-page deltas (the
 * first snapshot holds every page the loader wrote; each later one the pages written since the
 * previous one, as the TLB's write tracking marked them). Pages are packed in chunks of
 * SNAPSHOT_CHUNK_PAGES, made one at a time as the store writes them: a snapshot of 2 GiB of
 * written pages costs the recorder one chunk of memory, not a copy of the pages.
 */
import type { Machine } from '../emulator/machine';
import { packPages } from '../emulator/state/codec';
import { saveMachineState } from '../emulator/machine-state';
import { SNAPSHOT_CHUNK_PAGES } from './store/schema';
import type { SnapshotContent } from './store';

/** The pages a snapshot stores, in order; clears the write marks (the next snapshot starts from here). */
export function snapshotPageList(m: Machine, first: boolean): number[] {
  const cpu = m.cpu;
  const written = cpu.pageWritten;
  const pages: number[] = [];
  if (first) {
    // At the start, RAM holds only what the firmware and the loader wrote; everything else is zero.
    const set = new Set<number>();
    for (const r of [...m.firmwareRanges, ...m.image.ranges]) for (let p = r.start >>> 12; p < (r.end + 4095) >>> 12; p++) set.add(p);
    for (let p = 0; p < written.length; p++) if (written[p] !== 0) set.add(p);
    pages.push(...[...set].filter((p) => p < written.length).sort((a, b) => a - b));
  } else {
    for (let p = 0; p < written.length; p++) if (written[p] !== 0) pages.push(p);
  }
  cpu.clearWrittenPages();
  return pages;
}

/**
 * The pages of `ram` packed in chunks, each made when it is asked for: consume it before the
 * machine runs on (the store does, inside the snapshot's transaction).
 */
export function* pageChunks(ram: Uint8Array, pages: readonly number[]): Generator<Uint8Array, void, undefined> {
  for (let k = 0; k < pages.length; k += SNAPSHOT_CHUNK_PAGES) yield packPages(ram, pages.slice(k, k + SNAPSHOT_CHUNK_PAGES));
}

/** A snapshot held in memory (tests and in-memory recordings), its chunks packed at once. */
export function takeSnapshot(m: Machine, first: boolean): SnapshotContent {
  const pages = [...pageChunks(m.cpu.ram, snapshotPageList(m, first))];
  const state = saveMachineState(m);
  return { icount: m.cpu.icount, cpu: state.cpu, devices: state.devices, pages };
}
