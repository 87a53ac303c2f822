/**
 * The event recorder: a CpuObserver that turns the machine's state transitions into
 * TraceEvents, in order, stamped with the retired-instruction count, CPL and CS:EIP.
 *
 * It also watches the memory that holds each loaded segment's descriptor, so that a guest
 * write to a descriptor whose copy sits in a hidden cache becomes a `stale_descriptor` event.
 */
import type { Machine } from '../emulator/machine';
import type { CpuObserver, InterruptSource, PrivilegeCause, TaskSwitchCause } from '../emulator/cpu/observer';
import { probeTranslate } from '../emulator/cpu/paging';
import { CS } from '../emulator/cpu/constants';
import { EventKind, type TraceEvent } from './events';

export type EventSink = (e: TraceEvent) => void;

/** io_string's op by direction and element size (index: write * 3 + size / 2). */
const IO_STRING_OPS = ['insb', 'insw', 'insd', 'outsb', 'outsw', 'outsd'];

export class EventRecorder implements CpuObserver {
  private seq = 0; // next sequence number
  private readonly descPhys = new Float64Array(6).fill(-1); // physical address of each segment's descriptor, -1 none
  private readonly machine: Machine; // the machine observed
  private readonly sink: EventSink; // where events go

  constructor(machine: Machine, sink: EventSink) {
    this.machine = machine;
    this.sink = sink;
    const cpu = machine.cpu;
    cpu.onWatchedWrite = (phys, size) => this.watchedWrite(phys, size);
    machine.apic.onTprWrite = (oldTpr, newTpr) => this.emit(EventKind.tpr, oldTpr, newTpr, 0, 0, '');
  }

  /** Starts observing (one branch per event site while attached, none of this when detached). */
  attach(): void {
    this.machine.cpu.observer = this;
  }

  detach(): void {
    this.machine.cpu.observer = null;
    this.machine.apic.onTprWrite = undefined;
  }

  get count(): number {
    return this.seq;
  }

  /** Emits an event stamped where it happened (the pinned origin of a transfer in progress). */
  emit(kind: number, a: number, b: number, c: number, d: number, text: string): void {
    const cpu = this.machine.cpu;
    const pinned = cpu.atPinned;
    this.sink({
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
    this.emit(EventKind.exception, vector, errorCode, cr2, 0, '');
  }
  interruptDelivered(vector: number, source: InterruptSource, toCs: number, toEip: number, toCpl: number): void {
    this.emit(EventKind.interrupt, vector, toCs, toEip, toCpl, source);
  }
  privilegeChange(from: number, to: number, cause: PrivilegeCause, toCs: number, toEip: number): void {
    this.emit(EventKind.privilege, from, to, toCs, toEip, cause);
  }
  segmentLoad(seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.emit(EventKind.segment_load, seg, selector, base, limit, (rights >>> 0).toString(16).padStart(8, '0'));
    this.watchDescriptor(seg, selector, rights);
  }
  interruptFlag(value: boolean, by: string, changed: boolean): void {
    const vmm = this.machine.monitor;
    this.emit(EventKind.iflag, value ? 1 : 0, vmm === null ? -1 : vmm.virtualIf ? 1 : 0, changed ? 1 : 0, 0, by);
  }
  descriptorTable(op: string, base: number, limit: number, selector: number): void {
    this.emit(EventKind.dtr, base, limit, selector, 0, op);
  }
  controlRegister(write: boolean, reg: number, value: number): void {
    this.emit(EventKind.cr, write ? 1 : 0, reg, value, 0, '');
  }
  msr(write: boolean, index: number, value: bigint): void {
    this.emit(EventKind.msr, write ? 1 : 0, index, Number(value & 0xffffffffn), Number(value >> 32n), '');
  }
  io(write: boolean, port: number, size: number, value: number): void {
    this.emit(EventKind.io, write ? 1 : 0, port, size, value, '');
  }
  staleDescriptor(seg: number, selector: number): void {
    this.emit(EventKind.stale_descriptor, seg, selector, 0, 0, '');
  }
  fastSyscall(op: 'sysenter' | 'sysexit', toCs: number, toEip: number): void {
    this.emit(EventKind.fast_syscall, toCs, toEip, op === 'sysenter' ? 0 : 3, 0, op);
  }
  taskSwitch(oldTss: number, newTss: number, cause: TaskSwitchCause, vector: number): void {
    this.emit(EventKind.task_switch, oldTss, newTss, vector, 0, cause);
  }
  ioString(write: boolean, port: number, size: number, count: number, digest: number, last: number): void {
    this.emit(EventKind.io_string, port, count, digest, last, IO_STRING_OPS[(write ? 3 : 0) + (size >> 1)]);
  }
  halt(): void {
    this.emit(EventKind.halt, 0, 0, 0, 0, '');
  }
  shutdown(reason: string): void {
    this.emit(EventKind.shutdown, 0, 0, 0, 0, reason);
  }
  monitorExit(reason: string, number: number, qualification: number): void {
    this.emit(EventKind.monitor_exit, number, qualification, 0, 0, reason);
  }
  monitorEmulation(what: string, value: number): void {
    this.emit(EventKind.monitor_emulation, value, 0, 0, 0, what);
  }
  monitorEntry(how: string): void {
    this.emit(EventKind.monitor_entry, 0, 0, 0, 0, how);
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
