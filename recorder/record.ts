/**
 * Recording a run into a trace file: the machine runs under a Session whose events, inputs
 * and snapshots go, in order, to a RunWriter (recorder/writer: on a thread of its own by
 * default, or inline). The trace is self-contained: it holds the image.
 * A Recording can also be driven step by step: by a debugger attached while recording, or by
 * the CLI, which looks between slices for Ctrl-C and then finishes the run at that instruction
 * boundary, marked `interrupted` (end-reasons.ts), with everything recorded so far committed.
 */
import { Session, buildMachine, type Input, type RunOptions } from './session';
import { snapshotPageList, pageChunks } from './snapshotter';
import { saveMachineState } from '../emulator/machine-state';
import { DiskImage } from '../emulator/devices/disk-image';
import type { StoredDiskWrite } from './store';
import { MACHINE_REVISION, type Machine, type RunResult } from '../emulator/machine';
import type { RunEndResult } from './end-reasons';
import type { TraceEvent } from './events';
import type { EventSink } from './event-recorder';
import { RINGSIDE_VERSION } from './version';
import { describeShutdown } from '../emulator/describe-state';
import { writerFromEnvironment, type RunWriter, type WriterKind } from './writer/run-writer';
import { ThreadWriter } from './writer/thread-writer';
import { InlineWriter } from './writer/inline-writer';

export interface RecordSpec {
  image: Uint8Array; // the guest image
  imageName: string; // its file name
  options: RunOptions; // machine set-up, limits, jitter seed, snapshot interval
  out: string; // trace file (created if needed; several runs may share one)
  inputs?: Input[]; // inputs at their counts (inputsAtStart: --input, --keyboard)
  onUartByte?: (b: number) => void; // the guest's UART output
  onProgress?: (icount: number, events: number) => void; // called between slices
  onEvent?: (e: TraceEvent) => void; // every event, as it is recorded
  writer?: WriterKind; // where the inserts run (default: RINGSIDE_WRITER, else thread)
  disks?: { name: string; bytes: Uint8Array }[]; // --disk: the primary master, then the slave (stored in the trace; the bytes are never changed)
}

export interface RecordResult {
  runId: number;
  result: RunEndResult;
  events: number;
  snapshots: number;
  /** For a run that ended in a shutdown: where and why (describeShutdown), else ''. */
  shutdown: string;
  machine: Machine; // the machine as the run left it (for end-of-run diagnostics)
}

/** Instructions per slice between progress reports. */
const SLICE = 10_000_000;

/** A run being recorded: open until finish() or close(). */
export class Recording {
  readonly machine: Machine;
  readonly session: Session;
  readonly runId: number;
  private readonly writer: RunWriter;
  private readonly max: number; // --max-instructions
  private snapshots = 0;
  private diskWrites: StoredDiskWrite[] = []; // sector writes not yet handed to the writer
  private diskSeq = 0; // seq of the next sector write

  constructor(private readonly spec: RecordSpec) {
    // The machine first: an image it refuses leaves no trace file and no empty run behind.
    const disks = (spec.disks ?? []).map((d) => new DiskImage(d.bytes, d.name));
    this.machine = buildMachine(spec.image, spec.options, spec.onUartByte, disks);
    const newRun = {
      image: spec.image,
      imageName: spec.imageName,
      mode: spec.options.mode,
      // The modules go to their own table; the machine's revision is stored so replay rebuilds this machine.
      options: { ...spec.options, modules: undefined, machineRevision: spec.options.machineRevision ?? MACHINE_REVISION },
      modules: spec.options.modules,
      disks: disks.map((disk) => ({ name: disk.name, bytes: disk.base })), // the images go into the trace
      ringsideVersion: RINGSIDE_VERSION,
      snapshotInterval: spec.options.snapshotInterval,
    };
    const writer: RunWriter = (this.writer = (spec.writer ?? writerFromEnvironment()) === 'inline' ? new InlineWriter(spec.out, newRun) : new ThreadWriter(spec.out, newRun));
    this.runId = writer.runId;
    try {
      // The guest's writes to the disks, as they happen: the copy-on-write layer.
      disks.forEach((disk, slot) => {
        disk.onWrite = (w) => this.diskWrites.push({ seq: this.diskSeq++, icount: this.machine.cpu.icount, slot, lba: w.lba, data: w.data });
      });
      const inputs: Input[] = spec.inputs ?? [];
      let inputCount = 0;
      const onEvent = spec.onEvent;
      // Events go to the writer as fields; a debugger that watches them gets objects as well.
      const sink: EventSink =
        onEvent === undefined ? writer : (e) => (writer.event(e.seq, e.icount, e.kind, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, e.text), onEvent(e));
      const session: Session = (this.session = new Session(
        this.machine,
        spec.options,
        sink,
        inputs,
        {
          snapshot: (m) => {
            // The pages go to the store a chunk at a time, packed as they are written.
            const first = this.snapshots === 0;
            const pages = snapshotPageList(m, first);
            const state = saveMachineState(m);
            this.handDiskWrites(); // every write a snapshot's disk state counts is stored before it
            writer.snapshot({
              icount: m.cpu.icount, kind: first ? 'full' : 'delta', eventSeq: session.recorder.count, inputSeq: inputCount,
              cpu: state.cpu, devices: state.devices, pages: pageChunks(m.cpu.ram, pages),
            });
            this.snapshots++;
          },
          input: (i) => {
            writer.input(i);
            inputCount++;
          },
        },
        true,
      ));
      this.max = spec.options.maxInstructions ?? Infinity;
    } catch (e) {
      writer.close();
      throw e;
    }
  }

  /**
   * Records until `stopAt` (bounded by --max-instructions), the end of the run, or a debugger's
   * breakpoint or watchpoint; commits what was recorded so far.
   */
  run(stopAt = Infinity): RunResult {
    const cpu = this.machine.cpu;
    const target = Math.min(stopAt, this.max);
    let result: RunResult;
    for (;;) {
      const next = Math.min(target, cpu.icount + SLICE);
      result = this.session.run(next);
      if (result.reason !== 'limit' || cpu.icount >= target || cpu.icount < next) break;
      this.handDiskWrites();
      this.writer.flush();
      this.spec.onProgress?.(cpu.icount, this.session.recorder.count);
    }
    this.handDiskWrites();
    this.writer.flush();
    return result;
  }

  /** Hands the sector writes made since the last call to the writer. */
  private handDiskWrites(): void {
    if (this.diskWrites.length === 0) return;
    this.writer.diskWrites(this.diskWrites);
    this.diskWrites = [];
  }

  /** The run is over (or stopped here for good, e.g. interruptedAt): writes its end and closes the trace. */
  finish(result: RunEndResult): RecordResult {
    try {
      this.session.end(result);
      this.handDiskWrites();
      this.writer.finish({ endReason: result.reason, exitCode: result.exitCode, finalIcount: result.icount, eventCount: this.session.recorder.count });
    } catch (e) {
      this.writer.close();
      throw e;
    }
    const shutdown = result.reason === 'shutdown' ? describeShutdown(this.machine) : '';
    return { runId: this.runId, result, events: this.session.recorder.count, snapshots: this.snapshots, shutdown, machine: this.machine };
  }

  /** Closes the trace without finishing the run (an error): it reads as incomplete. */
  close(): void {
    this.writer.close();
  }
}

export function recordRun(spec: RecordSpec): RecordResult {
  const rec = new Recording(spec);
  let result: RunResult;
  try {
    result = rec.run();
  } catch (e) {
    rec.close();
    throw e;
  }
  return rec.finish(result);
}
