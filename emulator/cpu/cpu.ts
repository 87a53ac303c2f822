/**
 * The IA-32 CPU: architectural state, faults, and the hot memory access paths (segmentation ->
 * a TLB hit on RAM, and the stack). The rest of its methods live one concern a file:
 * cpu-flags.ts (lazy flags, conditions), cpu-tlb.ts (privilege level, TLB, translation on a
 * miss), cpu-memory.ts (physical memory, MMIO, slow linear paths), cpu-segment-cache.ts.
 *
 * Hot paths allocate nothing: registers live in a typed array, a fault is one preallocated
 * signal, a TLB hit is one load, one mask and one comparison, and a segment check is two
 * comparisons against bounds precomputed when the segment was loaded.
 */
import {
  ESP, CS, SS, PF, FIXED1, GP_VECTOR, SS_VECTOR, CR0_ET,
} from './constants';
import { FAULT } from './fault';
import type { CpuObserver } from './observer';
import type { MonitorHooks, MonitorEntry } from './monitor-hooks';
import type { AccessSize, IoBus, MmioDevice } from '../devices/bus';
import { flagMethods, type FlagMethods } from './cpu-flags';
import { tlbMethods, type TlbMethods } from './cpu-tlb';
import { memoryMethods, type MemoryMethods } from './cpu-memory';
import { segmentCacheMethods, type SegmentCacheMethods } from './cpu-segment-cache';

/**
 * A second level of address translation (VT-x's EPT), consulted on a TLB miss: maps the
 * guest-physical page of a TLB entry to a host-physical one, or raises the fault that stands
 * for the failed translation. Null outside such a guest: then the TLB miss path pays one test.
 */
export interface SecondLevelTranslation {
  translate(entry: number, lin: number, write: boolean): number;
}

/** Devices that act at instruction counts of their own (timers): the executor stops at their deadlines. */
export interface DeviceClock {
  /** The next instruction count at which the device acts; Infinity when none. */
  nextDeadline(): number;
  /** Lets the device act for every deadline up to and including instruction count `now`. */
  advance(now: number): void;
  /**
   * Whether acting at the next deadline could make an interrupt pending for a halted CPU
   * (absent: yes). A halted CPU whose timers cannot wake it has halted for good.
   */
  canWake?(): boolean;
}

/** Memory-mapped devices above RAM other than the local APIC (the machine's MMIO bus). */
export interface MmioSpace {
  claims(phys: number): boolean;
  read(phys: number, size: AccessSize): number;
  /** Returns whether a device claimed the address. */
  write(phys: number, value: number, size: AccessSize): boolean;
}

const NO_MMIO: MmioSpace = {
  claims: () => false,
  read: (_phys, size) => (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff),
  write: () => false,
};

/** The interrupt controller as the CPU sees it (the local APIC). */
export interface InterruptController extends MmioDevice {
  pendingVector(): number;
  acknowledge(): number;
  nextDeadline(): number;
  advance(now: number): void;
  nmiPending: boolean;
  apicBaseMsr: number;
}

// TLB entry layout: physical page address | these flags. 0 means "no entry".
export const TLB_VALID = 1; // entry present
export const TLB_SUP_WRITE = 2; // supervisor may write (R/W, or CR0.WP = 0)
export const TLB_USER_READ = 4; // user may read (U/S set at both levels)
export const TLB_USER_WRITE = 8; // user may write
export const TLB_DIRTY = 16; // the dirty bit is already set: writes need no page walk
export const TLB_MMIO = 32; // not RAM: every access takes the slow path
export const TLB_CODE = 64; // the page holds decoded code: writes invalidate it
export const TLB_GLOBAL = 128; // survives CR3 loads (PTE.G with CR4.PGE)
export const TLB_WRITTEN = 256; // the physical page is already marked in pageWritten: writes need no bookkeeping
export const TLB_READ_WATCH = 512; // a debugger watches reads of the page: reads take the slow path

export const SUP_READ_MASK = TLB_VALID | TLB_MMIO | TLB_READ_WATCH;
export const USER_READ_MASK = TLB_VALID | TLB_USER_READ | TLB_MMIO | TLB_READ_WATCH;
export const SUP_WRITE_MASK = TLB_VALID | TLB_SUP_WRITE | TLB_DIRTY | TLB_MMIO | TLB_CODE | TLB_WRITTEN;
export const USER_WRITE_MASK = TLB_VALID | TLB_USER_WRITE | TLB_DIRTY | TLB_MMIO | TLB_CODE | TLB_WRITTEN;

/** Parity flag lookup: PARITY[b] is PF for a result whose low byte is b. */
export const PARITY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let n = 0;
  for (let k = 0; k < 8; k++) n += (b >> k) & 1;
  PARITY[b] = (n & 1) === 0 ? PF : 0;
}

// Lazy flag operations: how CF/OF/AF follow from (ldst, lsrc, lres).
export const LAZY_ADD = 0, LAZY_ADC = 1, LAZY_SUB = 2, LAZY_SBB = 3, LAZY_LOGIC = 4;

/** Size in bytes -> sign bit of that size (int32). */
export const SIGN = [0, 0x80, 0x8000, 0, 0x80000000 | 0] as const;
/** Size in bytes -> value mask (int32; -1 for 32 bits). */
export const MASK = [0, 0xff, 0xffff, 0, -1] as const;

export const APIC_BASE_PHYS = 0xfee00000;
export const TLB_FILLED_MAX = 4096;

export class Cpu {
  // --- General state -------------------------------------------------------------------------
  readonly regsBuf = new ArrayBuffer(32); // the eight GPRs
  readonly regs = new Int32Array(this.regsBuf); // GPRs as int32 (EAX..EDI)
  readonly regs16 = new Uint16Array(this.regsBuf); // 16-bit view: AX = regs16[0], CX = regs16[2]...
  readonly regs8 = new Uint8Array(this.regsBuf); // 8-bit view, indexed through REG8_OFFSET
  eip = 0; // offset of the current instruction in CS
  next = 0; // offset of the next instruction (handlers overwrite it to branch)
  flagsReg = FIXED1; // EFLAGS, except the arithmetic flags named in `lazy`
  lazy = 0; // which arithmetic flags must be computed from lop/ldst/lsrc/lres
  lop = 0; // lazy operation (LAZY_*)
  ldst = 0; // first operand of the lazy operation
  lsrc = 0; // second operand
  lres = 0; // result, masked to the operand size
  lsz = 0; // sign bit of the operand size (0x80, 0x8000, 0x80000000|0)
  lcin = 0; // carry in (ADC/SBB)
  cpl = 0; // current privilege level
  icount = 0; // retired instructions: the machine's only clock

  // --- Segment registers and their hidden descriptor caches ------------------------------------
  readonly segSel = new Uint16Array(6); // visible selectors
  readonly segBase = new Int32Array(6); // cached base
  readonly segLimit = new Float64Array(6); // cached byte-granular limit
  readonly segAR = new Int32Array(6); // cached access rights, LAR layout (bits 8-23)
  readonly segRLo = new Float64Array(6); // lowest offset readable
  readonly segRHi = new Float64Array(6); // highest offset readable (RLo > RHi: not readable)
  readonly segWLo = new Float64Array(6); // lowest offset writable
  readonly segWHi = new Float64Array(6); // highest offset writable
  ss32 = true; // SS.B: the stack pointer is ESP (else SP)
  cs32 = true; // CS.D: default operand and address size 32
  gdtrBase = 0; // GDTR
  gdtrLimit = 0xffff;
  idtrBase = 0; // IDTR
  idtrLimit = 0xffff;
  ldtrSel = 0; // LDTR and its cache
  ldtrBase = 0;
  ldtrLimit = 0;
  ldtrAR = 0;
  trSel = 0; // TR and its cache
  trBase = 0;
  trLimit = 0;
  trAR = 0;

  // --- Control, debug, model-specific ------------------------------------------------------------
  cr0 = CR0_ET | 0x1; // PE set: ringside starts in protected mode, as a Multiboot loader leaves it
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8); // DR0-DR7 (stored; breakpoints are not armed)
  sysenterCs = 0; // IA32_SYSENTER_CS
  sysenterEsp = 0; // IA32_SYSENTER_ESP
  sysenterEip = 0; // IA32_SYSENTER_EIP
  tscOffset = 0; // IA32_TSC = icount * tscPerInstruction + tscOffset
  tscPerInstruction = 1; // TSC ticks per retired instruction (a run option, not guest state)
  tscAdjust = 0; // IA32_TSC_ADJUST (follows every write of IA32_TSC, SDM 17.17.3)
  tscAux = 0; // IA32_TSC_AUX (what RDTSCP and RDPID return)
  pat = 0x00070406; // IA32_PAT low half (PA0-PA3 = WB WT UC- UC at reset)
  patHigh = 0x00070406; // IA32_PAT high half (PA4-PA7)
  miscEnable = 0x1801; // IA32_MISC_ENABLE low half (fast strings; BTS and PEBS unavailable)

  // --- Memory ------------------------------------------------------------------------------------
  readonly ram: Uint8Array; // guest RAM
  readonly ram32: Int32Array; // the same bytes as aligned dwords
  readonly ramSize: number; // bytes of RAM
  readonly tlb = new Int32Array(1 << 20); // linear page -> physical page | TLB_* flags
  readonly tlbFilled = new Int32Array(TLB_FILLED_MAX); // pages with entries, for cheap flushes
  tlbFilledCount = 0; // entries used in tlbFilled; past the max, a flush clears everything
  tlbOverflow = false; // tlbFilled overflowed
  rdMask = SUP_READ_MASK; // TLB read check for the current CPL: (e & rdMask) === TLB_VALID|rdUser
  rdWant = TLB_VALID; // expected masked value for reads
  wrMask = SUP_WRITE_MASK; // TLB write check for the current CPL
  wrWant = TLB_VALID | TLB_SUP_WRITE | TLB_DIRTY | TLB_WRITTEN; // expected masked value for writes
  readonly codePage: Uint8Array; // 1 when the physical page holds decoded instructions
  readonly codeLine: Uint8Array; // 1 when the 64-byte line holds decoded instruction bytes
  readonly pageWritten: Uint8Array; // 1 when the physical page was written since clearWrittenPages()
  readonly watchPage: Uint8Array; // 1 when the page holds a descriptor cached by a segment register (recording only)
  onCodeWrite: (physPage: number) => void = () => {}; // invalidates decoded code (set by the executor)
  onWatchedWrite: (phys: number, size: number) => void = () => {}; // a write to a watched descriptor page (set by the recorder)
  readonly readWatchPage: Uint8Array; // 1 when a debugger watches reads of the page
  onWatchedRead: (phys: number, size: number) => void = () => {}; // an instruction's read of a read-watched page
  watchHit = false; // a debugger watchpoint was written: the run loop stops after this instruction
  implicitDescriptorWrite = false; // the CPU itself is setting an accessed or busy bit (not a guest write)
  sysAccess = false; // the access in progress is an implicit supervisor one (descriptor tables, IDT, TSS)

  // --- Execution control ------------------------------------------------------------------------
  brk = false; // leave the current decoded block after this instruction
  /**
   * Validates cached CS:EIP -> block links: advanced by EPOCH_STEP whenever a link may have
   * become wrong (TLB, CS base or limit, code), and its low two bits are the CPL, so that a link
   * made at one privilege level is never followed at another (the fetch permission differs) and
   * links stay valid across a SYSENTER/SYSEXIT round trip.
   */
  epoch = 0;
  halted = false; // HLT executed, waiting for an interrupt
  stopReason = ''; // non-empty: the run loop must return (exit, shutdown...)
  exitCode = 0; // with stopReason 'exit': the isa-debug-exit code
  shutdownReason = ''; // with stopReason 'shutdown': why (for a triple fault, the exception chain)
  shutdownCs = 0; // with stopReason 'shutdown': CS:EIP of the instruction at which it happened
  shutdownEip = 0;
  shutdownLinear = 0; // its linear address (for symbols)
  irqShadow = -1; // icount until which maskable interrupts are inhibited (STI, MOV SS, POP SS)
  nmiBlocked = false; // an NMI handler is running (until IRET)
  busAccesses = 0; // accesses that reached MMIO or unbacked memory (bounds the host time of REP string instructions)

  // --- Where the current event happened ------------------------------------------------------------
  // A control transfer (an interrupt or exception delivery, IRET, far JMP/CALL/RET, SYSENTER,
  // SYSEXIT) changes CS, EIP and CPL part-way; while it runs, its origin is pinned here so that
  // every event it causes is stamped with the instruction at which it happened (see observer.ts).
  atPinned = false; // a transfer is in progress: observers stamp events with atCs:atEip, atCpl
  atCs = 0; // CS of the instruction the transfer started from
  atEip = 0; // its EIP
  atCpl = 0; // the CPL it ran at

  // --- Pending exception ---------------------------------------------------------------------------
  excVector = 0; // vector raised by the failing instruction
  excCode = 0; // its error code (-1: none)
  excAddr = 0; // faulting linear address (#PF)

  // --- Attachments -------------------------------------------------------------------------------
  observer: CpuObserver | null = null; // recorder or debugger, null when nobody listens
  monitor: MonitorHooks | null = null; // a VMM's intercepts, null when the guest runs natively
  vmm: MonitorEntry | null = null; // a software VMM that owns ring 0: entered whenever CPL = 0
  monitorTrap = false; // a monitor wants the boundary after every instruction (VT-x monitor trap flag)
  ept: SecondLevelTranslation | null = null; // guest-physical -> host-physical (VT-x non-root with EPT)
  physLimit: number; // physical addresses below this are RAM (a monitor lowers it to show the guest its own RAM only)
  io: IoBus; // the port bus
  apic: InterruptController; // the local APIC
  mmio: MmioSpace = NO_MMIO; // memory-mapped devices other than the local APIC (above RAM)
  timers: DeviceClock; // every timer of the machine (default: the local APIC's alone)

  constructor(ramSize: number, io: IoBus, apic: InterruptController) {
    if (ramSize % 4096 !== 0 || ramSize < 2 * 1024 * 1024 || ramSize > 2 * 1024 * 1024 * 1024) {
      throw new RangeError('RAM size must be a multiple of 4 KiB between 2 MiB and 2 GiB');
    }
    this.ramSize = ramSize;
    this.physLimit = ramSize;
    this.ram = new Uint8Array(ramSize);
    this.ram32 = new Int32Array(this.ram.buffer);
    this.codePage = new Uint8Array(ramSize >>> 12);
    this.codeLine = new Uint8Array(ramSize >>> 6);
    this.pageWritten = new Uint8Array(ramSize >>> 12);
    this.watchPage = new Uint8Array(ramSize >>> 12);
    this.readWatchPage = new Uint8Array(ramSize >>> 12);
    this.io = io;
    this.apic = apic;
    this.timers = apic;
  }

  // =============================================================================================
  // Faults
  // =============================================================================================

  /** Raises exception `vector` with `code` (-1: no error code). Never returns. */
  raise(vector: number, code: number): never {
    this.excVector = vector;
    this.excCode = code;
    throw FAULT;
  }

  gp(code: number): never {
    return this.raise(GP_VECTOR, code);
  }

  /**
   * Pins the current CS:EIP and CPL as the origin of the events a control transfer is about to
   * cause. Returns false when a transfer already pinned its own (the caller then must not unpin).
   */
  pinOrigin(): boolean {
    if (this.atPinned) return false;
    this.atCs = this.segSel[CS];
    this.atEip = this.eip;
    this.atCpl = this.cpl;
    this.atPinned = true;
    return true;
  }

  /** Enters the shutdown state (a triple fault, or a state a monitor cannot handle). */
  shutdown(reason: string): void {
    this.stopReason = 'shutdown';
    this.shutdownReason = reason;
    this.shutdownCs = this.atPinned ? this.atCs : this.segSel[CS];
    this.shutdownEip = (this.atPinned ? this.atEip : this.eip) >>> 0;
    this.shutdownLinear = (this.segBase[CS] + this.shutdownEip) >>> 0;
    this.halted = true;
    if (this.observer !== null) this.observer.shutdown(reason);
  }

  // =============================================================================================
  // Linear memory (paging), the fast paths: a TLB hit on RAM is one load, one mask and one
  // comparison. Misses, page crossings and MMIO take the slow paths in cpu-memory.ts.
  // =============================================================================================

  readL8(lin: number): number {
    const e = this.tlb[lin >>> 12];
    if ((e & this.rdMask) === this.rdWant) return this.ram[(e & ~0xfff) | (lin & 0xfff)];
    const p = this.physOf(lin, false, this.cpl === 3);
    if (this.readWatchPage[p >>> 12] === 1) this.onWatchedRead(p, 1);
    return this.physRead8(p);
  }

  readL16(lin: number): number {
    const e = this.tlb[lin >>> 12];
    const off = lin & 0xfff;
    if ((e & this.rdMask) === this.rdWant && off !== 0xfff) {
      const a = (e & ~0xfff) | off;
      return this.ram[a] | (this.ram[a + 1] << 8);
    }
    return this.readSlow(lin, 2, this.cpl === 3);
  }

  readL32(lin: number): number {
    const e = this.tlb[lin >>> 12];
    const off = lin & 0xfff;
    if ((e & this.rdMask) === this.rdWant && off <= 0xffc) {
      const a = (e & ~0xfff) | off;
      if ((a & 3) === 0) return this.ram32[a >> 2];
      const r = this.ram;
      return r[a] | (r[a + 1] << 8) | (r[a + 2] << 16) | (r[a + 3] << 24);
    }
    return this.readSlow(lin, 4, this.cpl === 3);
  }

  writeL8(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    if ((e & this.wrMask) === this.wrWant) {
      this.ram[(e & ~0xfff) | (lin & 0xfff)] = v;
      return;
    }
    this.physWrite8(this.physOf(lin, true, this.cpl === 3), v);
  }

  writeL16(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    const off = lin & 0xfff;
    if ((e & this.wrMask) === this.wrWant && off !== 0xfff) {
      const a = (e & ~0xfff) | off;
      this.ram[a] = v;
      this.ram[a + 1] = v >> 8;
      return;
    }
    this.writeSlow(lin, 2, v, this.cpl === 3);
  }

  writeL32(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12];
    const off = lin & 0xfff;
    if ((e & this.wrMask) === this.wrWant && off <= 0xffc) {
      const a = (e & ~0xfff) | off;
      if ((a & 3) === 0) this.ram32[a >> 2] = v;
      else {
        const r = this.ram;
        r[a] = v;
        r[a + 1] = v >> 8;
        r[a + 2] = v >> 16;
        r[a + 3] = v >> 24;
      }
      return;
    }
    this.writeSlow(lin, 4, v, this.cpl === 3);
  }

  // =============================================================================================
  // Segmented memory: offset -> linear with the limit and rights of the cached descriptor.
  // =============================================================================================

  /** Raises the fault for a bad access through `seg`: #SS(0) for the stack, #GP(0) otherwise. */
  segFault(seg: number): never {
    return this.raise(seg === SS ? SS_VECTOR : GP_VECTOR, 0);
  }

  /** Linear address of a read of `size` bytes at `off` (uint32) in `seg`. */
  linR(seg: number, off: number, size: number): number {
    if (off < this.segRLo[seg] || off + size - 1 > this.segRHi[seg]) this.segFault(seg);
    return (this.segBase[seg] + off) | 0;
  }

  linW(seg: number, off: number, size: number): number {
    if (off < this.segWLo[seg] || off + size - 1 > this.segWHi[seg]) this.segFault(seg);
    return (this.segBase[seg] + off) | 0;
  }

  rd8(seg: number, off: number): number {
    return this.readL8(this.linR(seg, off, 1));
  }
  rd16(seg: number, off: number): number {
    return this.readL16(this.linR(seg, off, 2));
  }
  rd32(seg: number, off: number): number {
    return this.readL32(this.linR(seg, off, 4));
  }
  wr8(seg: number, off: number, v: number): void {
    this.writeL8(this.linW(seg, off, 1), v);
  }
  wr16(seg: number, off: number, v: number): void {
    this.writeL16(this.linW(seg, off, 2), v);
  }
  wr32(seg: number, off: number, v: number): void {
    this.writeL32(this.linW(seg, off, 4), v);
  }

  // =============================================================================================
  // Stack
  // =============================================================================================

  /** The stack pointer as an offset (ESP, or SP for a 16-bit stack). */
  sp(): number {
    return this.ss32 ? this.regs[ESP] >>> 0 : this.regs[ESP] & 0xffff;
  }

  setSp(v: number): void {
    if (this.ss32) this.regs[ESP] = v;
    else this.regs16[ESP << 1] = v;
  }

  /** Offset `delta` bytes from the stack pointer, wrapped to the stack's size. */
  spAdd(delta: number): number {
    return this.ss32 ? (this.regs[ESP] + delta) >>> 0 : (this.regs[ESP] + delta) & 0xffff;
  }

  push32(v: number): void {
    const sp = this.spAdd(-4);
    this.writeL32(this.linW(SS, sp, 4), v);
    this.setSp(sp);
  }

  push16(v: number): void {
    const sp = this.spAdd(-2);
    this.writeL16(this.linW(SS, sp, 2), v);
    this.setSp(sp);
  }

  push(v: number, os32: boolean): void {
    if (os32) this.push32(v);
    else this.push16(v);
  }

  pop32(): number {
    const sp = this.sp();
    const v = this.readL32(this.linR(SS, sp, 4));
    this.setSp(this.spAdd(4));
    return v;
  }

  pop16(): number {
    const sp = this.sp();
    const v = this.readL16(this.linR(SS, sp, 2));
    this.setSp(this.spAdd(2));
    return v;
  }

  /** Reads the stack at offset `delta` from SP without moving it. */
  peek(delta: number, os32: boolean): number {
    const off = this.spAdd(delta);
    return os32 ? this.readL32(this.linR(SS, off, 4)) : this.readL16(this.linR(SS, off, 2));
  }
}

// The other methods of Cpu live in files of their own, one per concern (cpu-flags.ts,
// cpu-tlb.ts, cpu-memory.ts, cpu-segment-cache.ts); they join the class's prototype here, once,
// when this module loads: callers still write `cpu.method()`. Like a class's own methods they
// are not enumerable.
export interface Cpu extends FlagMethods, TlbMethods, MemoryMethods, SegmentCacheMethods {}
for (const methods of [flagMethods, tlbMethods, memoryMethods, segmentCacheMethods]) {
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(Cpu.prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
