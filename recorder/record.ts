/**
 * Recording a run into a trace file: the machine runs under a Session whose events, inputs
 * and snapshots go to the store in batches. The trace is self-contained: it holds the image.
 */
import { openTrace, closeTrace, createRun, finishRun, EventWriter } from './store';
import { Session, buildMachine, type Input, type RunOptions } from './session';
import { takeSnapshot } from './snapshotter';
import type { Machine, RunResult } from '../emulator/machine';
import { RINGSIDE_VERSION } from './version';

export interface RecordSpec {
  image: Uint8Array; // the guest image
  imageName: string; // its file name
  options: RunOptions; // machine set-up, limits, jitter seed, snapshot interval
  out: string; // trace file (created if needed; several runs may share one)
  uartInput?: Uint8Array; // bytes fed to the UART receiver at the start
  keyboardInput?: Uint8Array; // scancodes typed on the keyboard at the start
  onUartByte?: (b: number) => void; // the guest's UART output
  onProgress?: (icount: number, events: number) => void; // called between slices
}

export interface RecordResult {
  runId: number;
  result: RunResult;
  events: number;
  snapshots: number;
  machine: Machine; // the machine as the run left it (for end-of-run diagnostics)
}

/** Instructions per slice between progress reports. */
const SLICE = 10_000_000;

export function recordRun(spec: RecordSpec): RecordResult {
  const db = openTrace(spec.out, { create: true });
  try {
    const runId = createRun(db, {
      image: spec.image,
      imageName: spec.imageName,
      mode: spec.options.mode,
      options: spec.options,
      ringsideVersion: RINGSIDE_VERSION,
      snapshotInterval: spec.options.snapshotInterval,
    });
    const writer = new EventWriter(db, runId);
    const inputs: Input[] = [
      ...Array.from(spec.uartInput ?? [], (value) => ({ icount: 0, channel: 'uart' as const, value })),
      ...Array.from(spec.keyboardInput ?? [], (value) => ({ icount: 0, channel: 'keyboard' as const, value })),
    ];
    let inputCount = 0;
    let snapshots = 0;
    const machine = buildMachine(spec.image, spec.options, spec.onUartByte);
    const session: Session = new Session(
      machine,
      spec.options,
      (e) => writer.add(e),
      inputs,
      {
        snapshot: (m) => {
          const s = takeSnapshot(m, snapshots === 0);
          writer.addSnapshot({ ...s, kind: snapshots === 0 ? 'full' : 'delta', eventSeq: session.recorder.count, inputSeq: inputCount });
          snapshots++;
        },
        input: (i) => {
          writer.addInput(i);
          inputCount++;
        },
      },
      true,
    );
    const max = spec.options.maxInstructions ?? Infinity;
    let result: RunResult;
    for (;;) {
      result = session.run(Math.min(max, machine.cpu.icount + SLICE));
      if (result.reason !== 'limit' || machine.cpu.icount >= max) break;
      writer.flush();
      spec.onProgress?.(machine.cpu.icount, session.recorder.count);
    }
    session.end(result);
    writer.close();
    finishRun(db, runId, { endReason: result.reason, exitCode: result.exitCode, finalIcount: result.icount, eventCount: session.recorder.count });
    return { runId, result, events: session.recorder.count, snapshots, machine };
  } finally {
    closeTrace(db);
  }
}
