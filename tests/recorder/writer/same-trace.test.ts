/**
 * The writer's thread and the inline writer write the same trace: every row of every table
 * (events, blocks with their digests, texts, inputs, snapshots and their page chunks, the run).
 */
import { describe, expect, it } from 'vitest';
import { inputsAtStart } from '../../../recorder/session';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../../recorder/record';
import { DEFAULT_RAM_SIZE } from '../../../emulator/machine';
import { ThreadWriter } from '../../../recorder/writer/thread-writer';
import { InlineWriter } from '../../../recorder/writer/inline-writer';
import type { RunWriter } from '../../../recorder/writer/run-writer';
import { guestImage } from '../../helpers/guests';
import { SAMPLE_RUN, eventsOfEveryKind, syntheticEvents } from '../store/helpers';
import { dumpTrace } from './dump-trace';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-writer-same-'));

describe('the thread writer and the inline writer', () => {
  it('record a guest into identical traces (events, blocks, digests, inputs, snapshots), and the thread leaves one file', () => {
    const options = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 20_000, jitterSeed: 7 };
    const spec = { image: guestImage('interrupts'), imageName: 'interrupts.elf', options, inputs: inputsAtStart('uart', new TextEncoder().encode('hello')) };
    const thread = recordRun({ ...spec, out: join(tmp, 'thread.sqlite'), writer: 'thread' });
    const inline = recordRun({ ...spec, out: join(tmp, 'inline.sqlite'), writer: 'inline' });
    expect(thread.events).toBe(inline.events);
    expect(thread.snapshots).toBeGreaterThan(3);
    const a = dumpTrace(join(tmp, 'thread.sqlite'));
    const b = dumpTrace(join(tmp, 'inline.sqlite'));
    expect(a.events.length).toBe(thread.events);
    expect(a.inputs.length).toBeGreaterThanOrEqual(5); // the UART bytes (and any jitter interrupt)
    expect(a).toEqual(b);
    expect(readdirSync(tmp).filter((f) => f.startsWith('thread.sqlite'))).toEqual(['thread.sqlite']);
  });

  it('write identical traces from the same calls: small batches, new texts late, inputs, a snapshot of several chunks, a second run', () => {
    const write = (w: RunWriter, salt: number) => {
      let n = 0;
      const events = [...syntheticEvents(5_000), ...eventsOfEveryKind(5_000, 10_000_000)];
      for (const e of events) {
        // texts first seen mid-run (a new rights string every 700 events)
        const text = e.seq % 700 === 0 ? `late-${e.seq}` : e.text;
        w.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, text);
        if (++n % 333 === 0) w.input({ icount: e.icount, channel: n % 666 === 0 ? 'irq' : 'uart', value: n & 0xff });
        if (n === 2_500) {
          // three chunks: 256 pages, 256 pages, 10 pages
          const chunk = (pages: number, first: number) => {
            const c = new Uint8Array(pages * 4100);
            for (let p = 0; p < pages; p++) {
              new DataView(c.buffer).setUint32(p * 4100, first + p, true);
              c.fill((first + p + salt) & 0xff, p * 4100 + 4, (p + 1) * 4100);
            }
            return c;
          };
          w.snapshot({ icount: e.icount, kind: 'full', eventSeq: e.seq + 1, inputSeq: Math.floor(n / 333), cpu: Uint8Array.of(1, 2, 3), devices: Uint8Array.of(4, 5), pages: [chunk(256, 0), chunk(256, 256), chunk(10, 512)] });
        }
        if (n % 1_234 === 0) w.flush();
      }
      w.finish({ endReason: 'exit', exitCode: 1, finalIcount: events[events.length - 1].icount, eventCount: events.length });
    };
    const paths = { thread: join(tmp, 'calls-thread.sqlite'), inline: join(tmp, 'calls-inline.sqlite') };
    for (const run of [1, 2]) {
      write(new ThreadWriter(paths.thread, SAMPLE_RUN, { batchEvents: 512 }), run);
      write(new InlineWriter(paths.inline, SAMPLE_RUN, { batchEvents: 512 }), run);
    }
    const a = dumpTrace(paths.thread);
    const b = dumpTrace(paths.inline);
    expect(a.runs.length).toBe(2);
    expect(a.pages.length).toBe(6);
    expect(a.strings.length).toBeGreaterThan(10);
    expect(a).toEqual(b);
  });
});
