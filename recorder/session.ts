/**
 * A recording or replaying session: the machine, the event recorder, the inputs applied at
 * exact instruction counts, and snapshots at a fixed interval. Recording and replay share this
 * loop, so a replay reaches every input and every snapshot at the same instruction.
 */
import { Machine, DEFAULT_RAM_SIZE, type RunResult } from '../emulator/machine';
import type { Mode, ShadowPolicy, VtxGeneration } from '../emulator/monitors/modes';
import type { DiskImage } from '../emulator/devices/disk-image';
import { EventRecorder, type EventSink } from './event-recorder';
import { INPUT_CHANNELS, type Input, type InputChannel } from './events';
import type { RunModule } from './store';
import type { EndReason } from './end-reasons';
import { Xorshift } from './prng';

/** Everything needed to rebuild the machine of a run (stored as the run's options). */
export interface RunOptions {
  mode: string; // monitor mode
  shadow?: string; // sw-033 shadow page tables
  vtxGen?: number; // vtx generation (1 or 2; undefined: 2)
  cmdline: string; // Multiboot command line
  ramSize: number; // bytes of RAM
  flatAddress?: number; // flat binary load address
  maxInstructions?: number; // the limit the run was recorded with (undefined: none)
  jitterSeed?: number; // seed of the extra interrupts (the interrupts themselves are inputs)
  snapshotInterval: number; // instructions between snapshots
  modules?: RunModule[]; // Multiboot modules in load order (stored in the trace's modules table, not in the options JSON)
  tscPerInstruction?: number; // TSC ticks per retired instruction (undefined: 1)
  machineRevision?: number; // the machine's revision (MACHINE_REVISION; a stored run without one: 1)
}

export { INPUT_CHANNELS, type Input, type InputChannel };

/** `bytes` on `channel`, every one applied before the first instruction (--input, --keyboard). */
export function inputsAtStart(channel: InputChannel, bytes: ArrayLike<number>): Input[] {
  return Array.from(bytes, (value) => ({ icount: 0, channel, value }));
}

/** Applies one input to the machine (recording, replay and seek share this). */
export function applyInput(m: Machine, input: Input): void {
  if (input.channel === 'uart') m.uart.feed(Uint8Array.of(input.value));
  else if (input.channel === 'keyboard') m.kbd.feed([input.value]);
  else m.apic.raise(input.value);
}

export interface SessionHooks {
  /** Called at each snapshot point (icount multiple of the interval), before running on. */
  snapshot?(machine: Machine): void;
  /** Called when an input is applied (recording stores it). */
  input?(input: Input): void;
}

/** Default snapshot interval, chosen by measurement (see README: seek latency). */
export const DEFAULT_SNAPSHOT_INTERVAL = 2_000_000;
/** Mean spacing of jitter interrupts, in instructions. */
const JITTER_SPAN = 200_000;

/** The machine of a run; `disks` are its ATA disks (the trace's run_disks, their writes in disk_writes). */
export function buildMachine(image: Uint8Array, opts: RunOptions, onUartByte?: (b: number) => void, disks: DiskImage[] = []): Machine {
  return new Machine(image, {
    mode: opts.mode as Mode,
    shadow: opts.shadow as ShadowPolicy | undefined,
    vtxGen: opts.vtxGen as VtxGeneration | undefined,
    ramSize: opts.ramSize ?? DEFAULT_RAM_SIZE,
    cmdline: opts.cmdline,
    flatAddress: opts.flatAddress,
    modules: opts.modules,
    tscPerInstruction: opts.tscPerInstruction,
    revision: opts.machineRevision,
    onUartByte,
    disks,
  });
}

export class Session {
  readonly machine: Machine; // the machine being run
  readonly recorder: EventRecorder; // turns transitions into events
  private readonly opts: RunOptions; // how the run was set up
  private readonly inputs: Input[]; // inputs to apply, in icount order (replay: all known in advance)
  private inputAt = 0; // next input to apply
  private readonly jitter: Xorshift | null; // generates irq inputs while recording with --jitter
  private nextJitter = Infinity; // icount of the next jitter interrupt
  private nextSnapshot = 0; // icount of the next snapshot
  private readonly hooks: SessionHooks; // snapshot and input callbacks

  constructor(machine: Machine, opts: RunOptions, sink: EventSink, inputs: Input[], hooks: SessionHooks = {}, generateJitter = false) {
    this.machine = machine;
    this.opts = opts;
    this.inputs = inputs;
    this.hooks = hooks;
    this.recorder = new EventRecorder(machine, sink);
    this.recorder.attach();
    this.jitter = generateJitter && opts.jitterSeed !== undefined ? new Xorshift(opts.jitterSeed) : null;
    if (this.jitter !== null) this.nextJitter = 1 + (this.jitter.next() % JITTER_SPAN);
  }

  private apply(input: Input): void {
    const m = this.machine;
    this.recorder.emit.input(input.value, input.channel);
    applyInput(m, input);
    this.hooks.input?.(input);
  }

  /** Runs until the guest stops or `stopAt` instructions have retired. */
  run(stopAt: number): RunResult {
    const m = this.machine;
    const cpu = m.cpu;
    const interval = this.opts.snapshotInterval;
    for (;;) {
      while (this.inputAt < this.inputs.length && this.inputs[this.inputAt].icount <= cpu.icount) this.apply(this.inputs[this.inputAt++]);
      if (this.nextJitter <= cpu.icount && this.jitter !== null) {
        // The extra interrupt uses the guest's own timer vector, as one more timer tick.
        const vector = m.apic.mmioRead(0x320, 4) & 0xff;
        if (vector >= 32) this.apply({ icount: cpu.icount, channel: 'irq', value: vector });
        this.nextJitter = cpu.icount + 1 + (this.jitter.next() % JITTER_SPAN);
      }
      if (interval > 0 && cpu.icount >= this.nextSnapshot) {
        this.hooks.snapshot?.(m);
        this.nextSnapshot = (Math.floor(cpu.icount / interval) + 1) * interval;
      }
      let next = stopAt;
      if (this.inputAt < this.inputs.length) next = Math.min(next, this.inputs[this.inputAt].icount);
      next = Math.min(next, this.nextJitter);
      if (interval > 0) next = Math.min(next, this.nextSnapshot);
      const r = m.run(Math.max(0, next - cpu.icount));
      if (r.reason !== 'limit' || cpu.icount >= stopAt || cpu.stopReason !== '') return r;
      if (cpu.icount < next) return r; // a debugger's breakpoint or watchpoint stopped the loop early
    }
  }

  /** Emits the run_end event. */
  end(result: { reason: EndReason; exitCode: number }): void {
    this.recorder.emit.run_end(result.exitCode, result.reason);
  }
}
