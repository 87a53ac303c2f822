/**
 * Recording a run into a trace file: the machine runs under a Session whose events, inputs
 * and snapshots go to the store in batches. The trace is self-contained: it holds the image.
 *
 * A Recording runs a slice at a time, so that its driver (the CLI) can look between slices for
 * a stop from outside (Ctrl-C): `finish` then ends the run at that instruction boundary, marked
 * `interrupted`, with everything recorded so far committed. recordRun drives one to its end.
 */
import { openTrace, closeTrace, createRun, finishRun, EventWriter, type TraceDb } from './store';
import { Session, buildMachine, type Input, type RunOptions } from './session';
import { snapshotPageList, pageChunks } from './snapshotter';
import { saveMachineState } from '../emulator/snapshot';
import type { Machine } from '../emulator/machine';
import { RINGSIDE_VERSION } from './version';
import { interruptedAt, type RunEndResult } from './end-reasons';
import { describeShutdown } from '../emulator/describe-state';

export interface RecordSpec {
  image: Uint8Array; // the guest image
  imageName: string; // its file name
  options: RunOptions; // machine set-up, limits, jitter seed, snapshot interval
  out: string; // trace file (created if needed; several runs may share one)
  uartInput?: Uint8Array; // bytes fed to the UART receiver at the start
  onUartByte?: (b: number) => void; // the guest's UART output
  onProgress?: (icount: number, events: number) => void; // called between slices
}

export interface RecordResult {
  runId: number;
  result: RunEndResult;
  events: number;
  snapshots: number;
  /** For a run that ended in a shutdown: where and why (describeShutdown), else ''. */
  shutdown: string;
}

/** Instructions per slice between progress reports. */
export const SLICE = 10_000_000;

export class Recording {
  readonly runId: number; // runs.id being written
  readonly machine: Machine; // the machine recorded
  private readonly db: TraceDb; // the trace
  private readonly writer: EventWriter; // events, inputs and snapshots, in batches
  private readonly session: Session; // the run loop with inputs and snapshots
  private readonly spec: RecordSpec; // what is recorded
  private readonly max: number; // --max-instructions, or Infinity
  private snapshots = 0; // snapshots taken
  private ended: RunEndResult | null = null; // the machine's own end, once reached

  /** Opens (or creates) the trace and adds the run; close with finish() or abandon(). */
  constructor(spec: RecordSpec) {
    this.spec = spec;
    this.max = spec.options.maxInstructions ?? Infinity;
    // The machine first: an image it refuses leaves no trace file and no empty run behind.
    this.machine = buildMachine(spec.image, spec.options, spec.onUartByte);
    this.db = openTrace(spec.out, { create: true });
    try {
      this.runId = createRun(this.db, {
        image: spec.image,
        imageName: spec.imageName,
        mode: spec.options.mode,
        options: spec.options,
        ringsideVersion: RINGSIDE_VERSION,
        snapshotInterval: spec.options.snapshotInterval,
      });
      const writer = new EventWriter(this.db, this.runId);
      this.writer = writer;
      const inputs: Input[] = Array.from(spec.uartInput ?? [], (value) => ({ icount: 0, channel: 'uart' as const, value }));
      let inputCount = 0;
      const session: Session = new Session(
        this.machine,
        spec.options,
        (e) => writer.add(e),
        inputs,
        {
          snapshot: (m) => {
            const first = this.snapshots === 0;
            const pages = snapshotPageList(m, first);
            const state = saveMachineState(m);
            writer.addSnapshot({
              icount: m.cpu.icount, kind: first ? 'full' : 'delta', eventSeq: session.recorder.count, inputSeq: inputCount,
              cpu: state.cpu, devices: state.devices, pages: pageChunks(m.cpu.ram, pages),
            });
            this.snapshots++;
          },
          input: (i) => {
            writer.addInput(i);
            inputCount++;
          },
        },
        true,
      );
      this.session = session;
    } catch (err) {
      closeTrace(this.db);
      throw err;
    }
  }

  /** Runs up to `instructions` more and commits them; true when the run has ended. */
  step(instructions = SLICE): boolean {
    if (this.ended !== null) return true;
    const cpu = this.machine.cpu;
    const result = this.session.run(Math.min(this.max, cpu.icount + instructions));
    if (result.reason !== 'limit' || cpu.icount >= this.max) this.ended = result;
    else {
      this.writer.flush();
      this.spec.onProgress?.(cpu.icount, this.session.recorder.count);
    }
    return this.ended !== null;
  }

  /**
   * Ends the run: as the machine ended it, or (before that) interrupted at the current
   * instruction boundary. Commits the run_end event and the run's end, and closes the trace.
   */
  finish(): RecordResult {
    const result = this.ended ?? interruptedAt(this.machine.cpu.icount);
    try {
      this.session.end(result);
      this.writer.close();
      const events = this.session.recorder.count;
      finishRun(this.db, this.runId, { endReason: result.reason, exitCode: result.exitCode, finalIcount: result.icount, eventCount: events });
      return { runId: this.runId, result, events, snapshots: this.snapshots, shutdown: result.reason === 'shutdown' ? describeShutdown(this.machine) : '' };
    } finally {
      closeTrace(this.db);
    }
  }

  /** Closes the trace after a failure: the run stays incomplete, with what was committed. */
  abandon(): void {
    closeTrace(this.db);
  }
}

/** Records a run to its end. */
export function recordRun(spec: RecordSpec): RecordResult {
  const rec = new Recording(spec);
  try {
    while (!rec.step());
  } catch (err) {
    rec.abandon();
    throw err;
  }
  return rec.finish();
}
