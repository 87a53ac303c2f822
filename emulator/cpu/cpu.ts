/**
 * The IA-32 CPU: architectural state, lazy flags, and the memory access paths
 * (segmentation -> paging/TLB -> RAM or MMIO).
 *
 * Hot paths allocate nothing: registers live in a typed array, a fault is one preallocated
 * signal, a TLB hit is one load, one mask and one comparison, and a segment check is two
 * comparisons against bounds precomputed when the segment was loaded.
 */
import {
  ESP, CS, SS, CF, PF, AF, ZF, SF, OF, FIXED1, IF, GP_VECTOR, SS_VECTOR,
  CR0_ET, CR0_PG, AR_DB, TF, PF_VECTOR, AR_P, AR_S, AC, CR4_SMEP, CR4_SMAP, PFEC_P, PFEC_W, PFEC_ID,
} from './constants';
import { FAULT } from './fault';
import type { CpuObserver } from './observer';
import type { MonitorHooks, MonitorEntry } from './monitor-hooks';
import type { AccessSize, IoBus, MmioDevice } from '../devices/bus';
import { pageWalk } from './paging';

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

const SUP_READ_MASK = TLB_VALID | TLB_MMIO | TLB_READ_WATCH;
const USER_READ_MASK = TLB_VALID | TLB_USER_READ | TLB_MMIO | TLB_READ_WATCH;
const SUP_WRITE_MASK = TLB_VALID | TLB_SUP_WRITE | TLB_DIRTY | TLB_MMIO | TLB_CODE | TLB_WRITTEN;
const USER_WRITE_MASK = TLB_VALID | TLB_USER_WRITE | TLB_DIRTY | TLB_MMIO | TLB_CODE | TLB_WRITTEN;

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
const TLB_FILLED_MAX = 4096;

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
  private readonly tlbFilled = new Int32Array(TLB_FILLED_MAX); // pages with entries, for cheap flushes
  private tlbFilledCount = 0; // entries used in tlbFilled; past the max, a flush clears everything
  private tlbOverflow = false; // tlbFilled overflowed
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
  epoch = 0; // bumped whenever a cached CS:EIP -> block link may have become wrong (TLB, CS, CPL, code)
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
  // Flags
  // =============================================================================================

  getCF(): boolean {
    if ((this.lazy & CF) === 0) return (this.flagsReg & CF) !== 0;
    const res = this.lres >>> 0, dst = this.ldst >>> 0, src = this.lsrc >>> 0;
    switch (this.lop) {
      case LAZY_ADD: return res < dst;
      case LAZY_ADC: return this.lcin !== 0 ? res <= dst : res < dst;
      case LAZY_SUB: return dst < src;
      case LAZY_SBB: return this.lcin !== 0 ? dst <= src : dst < src;
      default: return false;
    }
  }

  getZF(): boolean {
    return (this.lazy & ZF) !== 0 ? this.lres === 0 : (this.flagsReg & ZF) !== 0;
  }

  getSF(): boolean {
    return (this.lazy & SF) !== 0 ? (this.lres & this.lsz) !== 0 : (this.flagsReg & SF) !== 0;
  }

  getPF(): boolean {
    return (this.lazy & PF) !== 0 ? PARITY[this.lres & 0xff] !== 0 : (this.flagsReg & PF) !== 0;
  }

  getAF(): boolean {
    if ((this.lazy & AF) === 0) return (this.flagsReg & AF) !== 0;
    return this.lop === LAZY_LOGIC ? false : ((this.ldst ^ this.lsrc ^ this.lres) & 0x10) !== 0;
  }

  getOF(): boolean {
    if ((this.lazy & OF) === 0) return (this.flagsReg & OF) !== 0;
    switch (this.lop) {
      case LAZY_ADD:
      case LAZY_ADC:
        return ((this.ldst ^ this.lres) & (this.lsrc ^ this.lres) & this.lsz) !== 0;
      case LAZY_SUB:
      case LAZY_SBB:
        return ((this.ldst ^ this.lsrc) & (this.ldst ^ this.lres) & this.lsz) !== 0;
      default:
        return false;
    }
  }

  /** The whole EFLAGS register. */
  getFlags(): number {
    const lz = this.lazy;
    return lz === 0 ? this.flagsReg : (this.flagsReg & ~lz) | this.lazyValues(lz);
  }

  /** The values of the lazy flags in `lz`, computed from the recorded operation. */
  private lazyValues(lz: number): number {
    let f = 0;
    if (lz & CF && this.getCF()) f |= CF;
    if (lz & PF && this.getPF()) f |= PF;
    if (lz & AF && this.getAF()) f |= AF;
    if (lz & ZF && this.getZF()) f |= ZF;
    if (lz & SF && this.getSF()) f |= SF;
    if (lz & OF && this.getOF()) f |= OF;
    return f;
  }

  /** Replaces EFLAGS wholesale (callers apply privilege rules first). */
  setFlags(f: number): void {
    const before = this.flagsReg;
    this.flagsReg = (f & 0x003f7fd5) | FIXED1;
    this.lazy = 0;
    if ((before ^ this.flagsReg) & (IF | TF)) this.brk = true;
  }

  /** Makes the given lazy flags concrete in flagsReg (before an instruction keeps some of them). */
  materialize(which: number): void {
    const lz = this.lazy & which;
    if (lz === 0) return;
    this.flagsReg = (this.flagsReg & ~lz) | this.lazyValues(lz);
    this.lazy &= ~lz;
  }

  /**
   * Sets the arithmetic flags in `which` eagerly (`set` holds their new values); the others
   * keep their lazy source, which stays valid because lop/ldst/lsrc/lres are untouched.
   */
  setArith(which: number, set: number): void {
    this.lazy &= ~which;
    this.flagsReg = (this.flagsReg & ~which) | (set & which);
  }

  /** ZF, SF, PF of a result, computed now; the other arithmetic flags are given. */
  flagsOfResult(res: number, size: number): number {
    const m = res & MASK[size];
    return (m === 0 ? ZF : 0) | ((m & SIGN[size]) !== 0 ? SF : 0) | PARITY[m & 0xff];
  }

  /** Evaluates condition code tttn (SDM appendix B.1.4.7). */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0: r = this.getOF(); break;
      case 1: r = this.getCF(); break;
      case 2: r = this.getZF(); break;
      case 3: r = this.getCF() || this.getZF(); break;
      case 4: r = this.getSF(); break;
      case 5: r = this.getPF(); break;
      case 6: r = this.getSF() !== this.getOF(); break;
      default: r = this.getZF() || this.getSF() !== this.getOF(); break;
    }
    return (cc & 1) === 0 ? r : !r;
  }

  iopl(): number {
    return (this.flagsReg >> 12) & 3;
  }

  // =============================================================================================
  // Privilege level and TLB
  // =============================================================================================

  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.epoch++;
    if (cpl === 3) {
      this.rdMask = USER_READ_MASK;
      this.rdWant = TLB_VALID | TLB_USER_READ;
      this.wrMask = USER_WRITE_MASK;
      this.wrWant = TLB_VALID | TLB_USER_WRITE | TLB_DIRTY | TLB_WRITTEN;
    } else {
      // With CR4.SMAP, supervisor accesses to user pages take the slow path, which checks EFLAGS.AC.
      const smap = (this.cr4 & CR4_SMAP) !== 0 ? TLB_USER_READ : 0;
      this.rdMask = SUP_READ_MASK | smap;
      this.rdWant = TLB_VALID;
      this.wrMask = SUP_WRITE_MASK | smap;
      this.wrWant = TLB_VALID | TLB_SUP_WRITE | TLB_DIRTY | TLB_WRITTEN;
    }
    this.brk = true;
  }

  /** Records a TLB fill so that flushes touch only filled entries. */
  tlbSet(page: number, entry: number): void {
    if (this.tlb[page] === 0) {
      if (this.tlbFilledCount < TLB_FILLED_MAX) this.tlbFilled[this.tlbFilledCount++] = page;
      else this.tlbOverflow = true;
    }
    this.tlb[page] = entry;
  }

  /** The linear pages that have a TLB entry, without scanning the whole TLB when possible. */
  tlbPages(): number[] {
    const out: number[] = [];
    if (this.tlbOverflow) {
      for (let p = 0; p < this.tlb.length; p++) if (this.tlb[p] !== 0) out.push(p);
    } else {
      for (let k = 0; k < this.tlbFilledCount; k++) if (this.tlb[this.tlbFilled[k]] !== 0) out.push(this.tlbFilled[k]);
      out.sort((a, b) => a - b);
      // INVLPG leaves a page in the fill list, and a refill adds it again: drop duplicates.
      let n = 0;
      for (let k = 0; k < out.length; k++) if (k === 0 || out[k] !== out[k - 1]) out[n++] = out[k];
      out.length = n;
    }
    return out;
  }

  /** Flushes the TLB; global entries survive unless `all`. */
  flushTlb(all: boolean): void {
    this.brk = true;
    this.epoch++;
    if (this.tlbOverflow) {
      if (all) this.tlb.fill(0);
      else for (let p = 0; p < this.tlb.length; p++) if ((this.tlb[p] & TLB_GLOBAL) === 0) this.tlb[p] = 0;
      this.tlbOverflow = false;
      this.tlbFilledCount = 0;
      if (!all) {
        for (let p = 0; p < this.tlb.length; p++) {
          if (this.tlb[p] === 0) continue;
          if (this.tlbFilledCount < TLB_FILLED_MAX) this.tlbFilled[this.tlbFilledCount++] = p;
          else this.tlbOverflow = true;
        }
      }
      return;
    }
    let keep = 0;
    for (let k = 0; k < this.tlbFilledCount; k++) {
      const p = this.tlbFilled[k];
      if (!all && (this.tlb[p] & TLB_GLOBAL) !== 0) this.tlbFilled[keep++] = p;
      else this.tlb[p] = 0;
    }
    this.tlbFilledCount = keep;
  }

  /** Starts a new dirty-page interval (snapshots store only the pages written in between). */
  clearWrittenPages(): void {
    this.pageWritten.fill(0);
    for (let k = 0; k < this.tlbFilledCount; k++) {
      const p = this.tlbFilled[k];
      this.tlb[p] &= ~TLB_WRITTEN;
    }
    if (this.tlbOverflow) for (let p = 0; p < this.tlb.length; p++) this.tlb[p] &= ~TLB_WRITTEN;
  }

  invalidatePage(lin: number): void {
    this.tlb[lin >>> 12] = 0;
    this.brk = true;
    this.epoch++;
  }

  /**
   * Translates a linear address for a data access, filling the TLB. `user`: a CPL-3 access
   * (not an implicit supervisor one). Raises #PF with CR2 pending in excAddr. Returns the TLB
   * entry. With CR4.SMAP (SDM 4.6.1), a supervisor access to a user page faults when it is
   * implicit (`sysAccess`: descriptor tables, IDT, TSS) or when EFLAGS.AC is clear.
   */
  translate(lin: number, write: boolean, user: boolean): number {
    const e = this.translateAny(lin, write, user);
    if (!user && (this.cr4 & CR4_SMAP) !== 0 && (e & TLB_USER_READ) !== 0 && (this.cr0 & CR0_PG) !== 0 &&
      (this.sysAccess || (this.flagsReg & AC) === 0)) {
      this.pageFault(lin, PFEC_P | (write ? PFEC_W : 0));
    }
    return e;
  }

  /**
   * Translates the linear address of an instruction fetch. With CR4.SMEP (SDM 4.6.1), a fetch
   * at CPL < 3 from a user page raises #PF with P and I/D set, and every page fault of a fetch
   * reports I/D (SDM 4.7: I/D is reported when SMEP is enabled).
   */
  translateFetch(lin: number): number {
    const user = this.cpl === 3;
    if ((this.cr4 & CR4_SMEP) === 0) return this.translateAny(lin, false, user);
    let e: number;
    try {
      e = this.translateAny(lin, false, user);
    } catch (f) {
      if (f === FAULT && this.excVector === PF_VECTOR) this.excCode |= PFEC_ID;
      throw f;
    }
    if (!user && (e & TLB_USER_READ) !== 0 && (this.cr0 & CR0_PG) !== 0) this.pageFault(lin, PFEC_P | PFEC_ID);
    return e;
  }

  private translateAny(lin: number, write: boolean, user: boolean): number {
    const page = lin >>> 12;
    let e = this.tlb[page];
    if (e !== 0) {
      const ok = write
        ? (user ? (e & TLB_USER_WRITE) !== 0 : (e & TLB_SUP_WRITE) !== 0) && (e & TLB_DIRTY) !== 0
        : !user || (e & TLB_USER_READ) !== 0;
      if (ok) {
        if (write && (e & (TLB_WRITTEN | TLB_MMIO)) === 0) {
          this.pageWritten[e >>> 12] = 1;
          e |= TLB_WRITTEN;
          this.tlb[page] = e;
        }
        return e;
      }
    }
    if ((this.cr0 & CR0_PG) !== 0) e = pageWalk(this, lin, write, user);
    else e = (lin & ~0xfff) | TLB_VALID | TLB_SUP_WRITE | TLB_USER_READ | TLB_USER_WRITE | TLB_DIRTY;
    if (this.ept !== null) e = this.ept.translate(e, lin, write);
    const phys = e >>> 12;
    if (phys >= this.physLimit / 4096) e |= TLB_MMIO;
    else {
      if (this.codePage[phys] !== 0 || this.watchPage[phys] !== 0) e |= TLB_CODE;
      if (this.readWatchPage[phys] !== 0) e |= TLB_READ_WATCH;
      if (write || this.pageWritten[phys] !== 0) {
        this.pageWritten[phys] = 1;
        e |= TLB_WRITTEN;
      }
    }
    this.tlbSet(page, e);
    return e;
  }

  pageFault(lin: number, code: number): never {
    this.excAddr = lin >>> 0;
    return this.raise(PF_VECTOR, code);
  }

  /** Watches a physical page holding a cached descriptor: writes to it reach onWatchedWrite. */
  watchDescriptorPage(physPage: number): void {
    if (physPage >= this.watchPage.length || this.watchPage[physPage] !== 0) return;
    this.watchPage[physPage] = 1;
    this.slowWritesOn(physPage);
  }

  /** Gives every TLB entry that maps `physPage` the flag that sends writes down the slow path. */
  private slowWritesOn(physPage: number): void {
    this.tlbFlags(physPage, TLB_CODE, 0);
  }

  /** Sets and clears flags of every TLB entry that maps `physPage` (-1: every entry). */
  private tlbFlags(physPage: number, set: number, clear: number): void {
    // Only flags change: the set of cached translations must not depend on how much code has
    // been decoded or what a debugger watches (a restored machine must keep the same TLB).
    if (this.tlbOverflow) {
      for (let p = 0; p < this.tlb.length; p++) {
        const e = this.tlb[p];
        if (e !== 0 && (physPage < 0 || e >>> 12 === physPage)) this.tlb[p] = (e | set) & ~clear;
      }
      return;
    }
    for (let k = 0; k < this.tlbFilledCount; k++) {
      const p = this.tlbFilled[k];
      const e = this.tlb[p];
      if (e !== 0 && (physPage < 0 || e >>> 12 === physPage)) this.tlb[p] = (e | set) & ~clear;
    }
  }

  /** A debugger watches reads of a physical page: instructions' reads of it reach onWatchedRead. */
  watchReadPage(physPage: number): void {
    if (physPage >= this.readWatchPage.length || this.readWatchPage[physPage] !== 0) return;
    this.readWatchPage[physPage] = 1;
    this.tlbFlags(physPage, TLB_READ_WATCH, 0);
  }

  /** Stops watching reads of every page (reads take the fast path again). */
  unwatchReads(): void {
    this.readWatchPage.fill(0);
    this.tlbFlags(-1, 0, TLB_READ_WATCH);
  }

  /** Marks a physical page as holding decoded code: writes to it take the slow path from now on. */
  markCodePage(physPage: number): void {
    if (this.codePage[physPage] !== 0) return;
    this.codePage[physPage] = 1;
    this.slowWritesOn(physPage);
  }

  // =============================================================================================
  // Physical memory
  // =============================================================================================

  /** A write of `size` bytes at `phys` on a page holding code: drop decoded code it overlaps. */
  private codeWrite(phys: number, size: number): void {
    if (this.watchPage[phys >>> 12] !== 0 && !this.implicitDescriptorWrite) this.onWatchedWrite(phys, size);
    const first = phys >>> 6, last = (phys + size - 1) >>> 6;
    for (let l = first; l <= last; l++) {
      if (this.codeLine[l] !== 0) {
        this.onCodeWrite(l >>> 6);
        this.brk = true;
      }
    }
  }

  private isApic(phys: number): boolean {
    return (phys & ~0xfff) >>> 0 === APIC_BASE_PHYS && (this.apic.apicBaseMsr & 0x800) !== 0;
  }

  physRead8(phys: number): number {
    phys >>>= 0;
    if (phys < this.physLimit) return this.ram[phys];
    this.busAccesses++;
    if (this.isApic(phys)) return this.apic.mmioRead(phys & 0xfff, 1) & 0xff;
    return this.mmio.read(phys, 1);
  }

  physRead32(phys: number): number {
    phys >>>= 0;
    if (phys + 3 < this.physLimit) {
      if ((phys & 3) === 0) return this.ram32[phys >>> 2];
      const r = this.ram;
      return r[phys] | (r[phys + 1] << 8) | (r[phys + 2] << 16) | (r[phys + 3] << 24);
    }
    this.busAccesses++;
    if (this.isApic(phys)) return this.apic.mmioRead(phys & 0xfff, 4) | 0;
    if (phys >= this.physLimit) return this.mmio.read(phys, 4) | 0;
    return (this.physRead8(phys) | (this.physRead8(phys + 1) << 8) | (this.physRead8(phys + 2) << 16) | (this.physRead8(phys + 3) << 24));
  }

  physRead16(phys: number): number {
    phys >>>= 0;
    if (phys + 1 < this.physLimit) return this.ram[phys] | (this.ram[phys + 1] << 8);
    this.busAccesses++;
    if (this.isApic(phys)) return this.apic.mmioRead(phys & 0xfff, 2) & 0xffff;
    if (phys >= this.physLimit) return this.mmio.read(phys, 2);
    return this.physRead8(phys) | (this.physRead8(phys + 1) << 8);
  }

  physWrite8(phys: number, v: number): void {
    phys >>>= 0;
    if (phys < this.physLimit) {
      this.pageWritten[phys >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) this.codeWrite(phys, 1);
      this.ram[phys] = v;
    } else {
      this.busAccesses++;
      if (this.isApic(phys)) this.apic.mmioWrite(phys & 0xfff, v & 0xff, 1);
      else if (this.mmio.write(phys, v & 0xff, 1)) this.brk = true;
    }
  }

  physWrite16(phys: number, v: number): void {
    phys >>>= 0;
    if (phys + 1 < this.physLimit) {
      this.pageWritten[phys >>> 12] = this.pageWritten[(phys + 1) >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.codePage[(phys + 1) >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) this.codeWrite(phys, 2);
      this.ram[phys] = v;
      this.ram[phys + 1] = v >> 8;
    } else if (this.isApic(phys)) {
      this.busAccesses++;
      this.apic.mmioWrite(phys & 0xfff, v & 0xffff, 2);
    } else if (phys >= this.physLimit) {
      this.busAccesses++;
      if (this.mmio.write(phys, v & 0xffff, 2)) this.brk = true;
    } else {
      this.physWrite8(phys, v);
      this.physWrite8(phys + 1, v >> 8);
    }
  }

  physWrite32(phys: number, v: number): void {
    phys >>>= 0;
    if (phys + 3 < this.physLimit) {
      this.pageWritten[phys >>> 12] = this.pageWritten[(phys + 3) >>> 12] = 1;
      if (this.codePage[phys >>> 12] !== 0 || this.codePage[(phys + 3) >>> 12] !== 0 || this.watchPage[phys >>> 12] !== 0) this.codeWrite(phys, 4);
      if ((phys & 3) === 0) this.ram32[phys >>> 2] = v;
      else {
        const r = this.ram;
        r[phys] = v;
        r[phys + 1] = v >> 8;
        r[phys + 2] = v >> 16;
        r[phys + 3] = v >> 24;
      }
    } else if (this.isApic(phys)) {
      this.busAccesses++;
      this.apic.mmioWrite(phys & 0xfff, v, 4);
      this.brk = true;
    } else if (phys >= this.physLimit) {
      this.busAccesses++;
      if (this.mmio.write(phys, v, 4)) this.brk = true;
    } else for (let k = 0; k < 4; k++) this.physWrite8(phys + k, v >> (8 * k));
  }

  // =============================================================================================
  // Linear memory (paging). `sys` accesses are implicit supervisor accesses (descriptor tables,
  // TSS, IDT): they use supervisor rights whatever the CPL.
  // =============================================================================================

  physOf(lin: number, write: boolean, user: boolean): number {
    return ((this.translate(lin, write, user) & ~0xfff) | (lin & 0xfff)) >>> 0;
  }

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

  /** Reads that miss the TLB, cross a page or reach MMIO. Both pages are translated before any access. */
  readSlow(lin: number, size: number, user: boolean): number {
    const off = lin & 0xfff;
    const watched = this.readWatchPage;
    if (off + size <= 0x1000) {
      const p = this.physOf(lin, false, user);
      if (watched[p >>> 12] === 1) this.onWatchedRead(p, size);
      return size === 4 ? this.physRead32(p) : size === 2 ? this.physRead16(p) : this.physRead8(p);
    }
    const first = 0x1000 - off;
    const p1 = this.physOf(lin, false, user);
    const p2 = this.physOf((lin + first) | 0, false, user);
    if (watched[p1 >>> 12] === 1) this.onWatchedRead(p1, first);
    if (watched[p2 >>> 12] === 1) this.onWatchedRead(p2, size - first);
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.physRead8(k < first ? p1 + k : p2 + k - first) << (8 * k);
    return v;
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

  writeSlow(lin: number, size: number, v: number, user: boolean): void {
    const off = lin & 0xfff;
    if (off + size <= 0x1000) {
      const p = this.physOf(lin, true, user);
      if (size === 4) this.physWrite32(p, v);
      else if (size === 2) this.physWrite16(p, v);
      else this.physWrite8(p, v);
      return;
    }
    const first = 0x1000 - off;
    const p1 = this.physOf(lin, true, user);
    const p2 = this.physOf((lin + first) | 0, true, user);
    for (let k = 0; k < size; k++) this.physWrite8(k < first ? p1 + k : p2 + k - first, v >> (8 * k));
  }

  /** Checks that a write would succeed (for instructions that must not fault half-way). */
  probeWrite(lin: number, size: number): void {
    this.physOf(lin, true, this.cpl === 3);
    if (((lin & 0xfff) + size) > 0x1000) this.physOf((lin + size - 1) | 0, true, this.cpl === 3);
  }

  // Implicit supervisor accesses (SDM 4.6): `sysAccess` tells SMAP they ignore EFLAGS.AC.
  readSys16(lin: number): number {
    this.sysAccess = true;
    try {
      return this.readSlow(lin, 2, false);
    } finally {
      this.sysAccess = false;
    }
  }
  readSys32(lin: number): number {
    this.sysAccess = true;
    try {
      return this.readSlow(lin, 4, false);
    } finally {
      this.sysAccess = false;
    }
  }
  writeSys8(lin: number, v: number): void {
    this.sysAccess = true;
    try {
      this.writeSlow(lin, 1, v, false);
    } finally {
      this.sysAccess = false;
    }
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

  // =============================================================================================
  // Segment cache helpers
  // =============================================================================================

  /**
   * Fills a segment register's hidden cache. `rights` is in LAR layout; `limit` is byte
   * granular. Computes the readable/writable offset windows used by every access.
   */
  setSegCache(seg: number, selector: number, base: number, limit: number, rights: number): void {
    this.segSel[seg] = selector;
    this.segBase[seg] = base;
    this.segLimit[seg] = limit;
    this.segAR[seg] = rights;
    const usable = (rights & AR_P) !== 0 && (rights & AR_S) !== 0;
    const type = (rights >> 8) & 0xf;
    const code = (type & 8) !== 0;
    const expandDown = !code && (type & 4) !== 0;
    let lo = 0, hi = limit;
    if (expandDown) {
      lo = limit + 1;
      hi = (rights & AR_DB) !== 0 ? 0xffffffff : 0xffff;
    }
    const readable = usable && (!code || (type & 2) !== 0);
    const writable = usable && !code && (type & 2) !== 0;
    this.segRLo[seg] = readable ? lo : 1;
    this.segRHi[seg] = readable ? hi : 0;
    this.segWLo[seg] = writable ? lo : 1;
    this.segWHi[seg] = writable ? hi : 0;
    if (seg === SS) this.ss32 = (rights & AR_DB) !== 0;
    else if (seg === CS) {
      this.cs32 = (rights & AR_DB) !== 0;
      this.epoch++;
      this.brk = true;
    }
    if (this.observer !== null) this.observer.segmentLoad(seg, selector, base, limit, rights);
  }

  /** A null selector in a data segment register: every access raises #GP(0). */
  setSegNull(seg: number, selector: number): void {
    this.setSegCache(seg, selector, 0, 0, 0);
  }
}

