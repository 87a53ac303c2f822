/**
 * The event recorder: a CpuObserver that turns the machine's state transitions into
 * TraceEvents, in order, stamped with the retired-instruction count, CPL and CS:EIP.
 *
 * It also watches the memory that holds each loaded segment's descriptor, so that a guest
 * write to a descriptor whose copy sits in a hidden cache becomes a `stale_descriptor` event.
 */
import type { Machine } from '../emulator/machine';
import type { CpuObserver, DtrOp, FastSyscallOp, IflagCause, InterruptSource, PrivilegeCause, TaskSwitchCause } from '../emulator/cpu/observer';
import { probeTranslate } from '../emulator/cpu/paging';
import { CS } from '../emulator/cpu/constants';
import { IO_STRING_OPS, type TraceEvent } from './events';
import { EventEmitters } from './event-emitters';

/** Where events go: a function given each event as an object, or an EventFieldSink. */
export type EventSink = ((e: TraceEvent) => void) | EventFieldSink;

/** Takes each event as its fields, so that no object is made per event (the trace writer). */
export interface EventFieldSink {
  event(seq: number, icount: number, kind: number, cpl: number, cs: number, eip: number, a: number, b: number, c: number, d: number, text: string): void;
}

export class EventRecorder implements CpuObserver {
  private seq = 0; // next sequence number
  private readonly descPhys = new Float64Array(6).fill(-1); // physical address of each segment's descriptor, -1 none
  private readonly machine: Machine; // the machine observed
  private readonly sink: ((e: TraceEvent) => void) | null; // where events go as objects
  private readonly fields: EventFieldSink | null; // or as fields
  /** One emitter per kind, taking its named fields: every event goes through these. */
  readonly emit = new EventEmitters((kind, a, b, c, d, text) => this.put(kind, a, b, c, d, text));

  constructor(machine: Machine, sink: EventSink) {
    this.machine = machine;
    this.sink = typeof sink === 'function' ? sink : null;
    this.fields = typeof sink === 'function' ? null : sink;
    const cpu = machine.cpu;
    cpu.onWatchedWrite = (phys, size) => this.watchedWrite(phys, size);
    machine.apic.onTprWrite = (oldTpr, newTpr) => this.emit.tpr(oldTpr, newTpr);
  }

  /** Starts observing (one branch per event site while attached, none of this when detached). */
  attach(): void {
    this.machine.cpu.observer = this;
  }

  detach(): void {
    this.machine.cpu.observer = null;
    this.machine.apic.onTprWrite = undefined;
  }

  virtualTprWrite(oldTpr: number, newTpr: number): void {
    this.emit.tpr(oldTpr, newTpr);
  }

  get count(): number {
    return this.seq;
  }

  /** Stamps an event where it happened (the pinned origin of a transfer in progress) and sends it on. */
  private put(kind: number, a: number, b: number, c: number, d: number, text: string): void {
    const cpu = this.machine.cpu;
    const pinned = cpu.atPinned;
    const fields = this.fields;
    if (fields !== null) {
      fields.event(this.seq++, cpu.icount, kind, pinned ? cpu.atCpl : cpu.cpl, pinned ? cpu.atCs : cpu.segSel[CS], (pinned ? cpu.atEip : cpu.eip) >>> 0, a | 0, b | 0, c | 0, d | 0, text);
      return;
    }
    this.sink!({
      seq: this.seq++,
      icount: cpu.icount,
      kind,
      cpl: pinned ? cpu.atCpl : cpu.cpl,
      cs: pinned ? cpu.atCs : cpu.segSel[CS],
      eip: (pinned ? cpu.atEip : cpu.eip) >>> 0,
      a: a | 0,
      b: b | 0,
      c: c | 0,
      d: d | 0,
      text,
    });
  }

  exception(vector: number, errorCode: number, cr2: number): void {
    this.emit.exception(vector, errorCode, cr2);
  }
  interruptDelivered(vector: number, source: InterruptSource, toCs: number, toEip: number, toCpl: number): void {
    this.emit.interrupt(vector, toCs, toEip, toCpl, source);
  }
  privilegeChange(from: number, to: number, cause: PrivilegeCause, toCs: number, toEip: number): void {
    this.emit.privilege(from, to, toCs, toEip, cause);
  }
  segmentLoad(seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.emit.segment_load(seg, selector, base, limit, (rights >>> 0).toString(16).padStart(8, '0'));
    this.watchDescriptor(seg, selector, rights);
  }
  interruptFlag(value: boolean, by: IflagCause, changed: boolean): void {
    const vmm = this.machine.monitor;
    this.emit.iflag(value ? 1 : 0, vmm === null ? -1 : vmm.virtualIf ? 1 : 0, changed ? 1 : 0, by);
  }
  descriptorTable(op: DtrOp, base: number, limit: number, selector: number): void {
    this.emit.dtr(base, limit, selector, op);
  }
  controlRegister(write: boolean, reg: number, value: number): void {
    this.emit.cr(write ? 1 : 0, reg, value);
  }
  msr(write: boolean, index: number, value: bigint): void {
    this.emit.msr(write ? 1 : 0, index, Number(value & 0xffffffffn), Number(value >> 32n));
  }
  io(write: boolean, port: number, size: number, value: number): void {
    this.emit.io(write ? 1 : 0, port, size, value);
  }
  staleDescriptor(seg: number, selector: number): void {
    this.emit.stale_descriptor(seg, selector);
  }
  fastSyscall(op: FastSyscallOp, toCs: number, toEip: number): void {
    this.emit.fast_syscall(toCs, toEip, op === 'sysenter' ? 0 : 3, op);
  }
  taskSwitch(oldTss: number, newTss: number, cause: TaskSwitchCause, vector: number): void {
    this.emit.task_switch(oldTss, newTss, vector, cause);
  }
  ioString(write: boolean, port: number, size: number, count: number, digest: number, last: number): void {
    this.emit.io_string(port, count, digest, last, IO_STRING_OPS[(write ? 3 : 0) + (size >> 1)]);
  }
  halt(): void {
    this.emit.halt();
  }
  shutdown(reason: string): void {
    this.emit.shutdown(reason);
  }
  monitorExit(reason: string, number: number, qualification: number): void {
    this.emit.monitor_exit(number, qualification, reason);
  }
  monitorEmulation(what: string, value: number): void {
    this.emit.monitor_emulation(value, what);
  }
  monitorEntry(how: string): void {
    this.emit.monitor_entry(how);
  }

  /** Remembers where the descriptor behind a loaded selector lives and watches its page. */
  private watchDescriptor(seg: number, selector: number, rights: number): void {
    this.descPhys[seg] = -1;
    if ((selector & 0xfffc) === 0 || rights === 0) return;
    const cpu = this.machine.cpu;
    const table = (selector & 4) !== 0 ? cpu.ldtrBase : cpu.gdtrBase;
    const lin = (table + (selector & 0xfff8)) | 0;
    // probeTranslate reads the page tables without setting accessed bits: recording must not
    // change anything the guest can see.
    const phys = probeTranslate(cpu, lin);
    if (phys < 0 || phys + 8 > cpu.ramSize) return;
    this.descPhys[seg] = phys;
    cpu.watchDescriptorPage(phys >>> 12);
    if (((phys + 7) >>> 12) !== phys >>> 12) cpu.watchDescriptorPage((phys + 7) >>> 12);
  }

  private watchedWrite(phys: number, size: number): void {
    if (this.machine.cpu.observer !== this) return;
    for (let seg = 0; seg < 6; seg++) {
      const d = this.descPhys[seg];
      if (d >= 0 && phys < d + 8 && phys + size > d) this.staleDescriptor(seg, this.machine.cpu.segSel[seg]);
    }
  }
}
