/**
 * The dispatch loop and the decoded-instruction cache.
 *
 * Instructions are decoded once into blocks: straight-line runs that end at a control
 * transfer, at an instruction that can change the execution mode, or at the end of a page.
 * Blocks are keyed by physical address (and CS.D), so every linear alias and every address
 * space shares them; a write to a 64-byte line holding decoded bytes drops the page's blocks,
 * so self-modifying code stays correct (the write ends the running block at once).
 *
 * Time is the retired-instruction count. The loop stops exactly at a requested count, at the
 * next deadline of a timer (local APIC, PIT, RTC), and at the instruction after an interrupt shadow, so that a run, its
 * replay and a seek all see interrupts at the same instruction.
 */
import type { Cpu } from './cpu';
import { TLB_MMIO } from './cpu';
import { Insn } from './insn';
import { decode, DECODE_TRUNCATED, installHandlers } from './decoder';
import { FAULT } from './fault';
import { CS, IF, TF, GP_VECTOR, DB_VECTOR, NMI_VECTOR } from './constants';
import { deliverEvent, deliverPendingException, EVENT_EXCEPTION, EVENT_EXTERNAL } from './interrupts';
import { HANDLERS, invalidOpcode } from './ops';
import { SPECIALIZERS } from './ops/fast';
import { translate, type Translated } from './jit/translate';

installHandlers(HANDLERS, invalidOpcode, SPECIALIZERS);

/** Upper bound on instructions per block. */
const MAX_BLOCK = 64;

export class Block {
  readonly insns: Insn[] = []; // decoded instructions, in order
  n = 0; // number of instructions
  bytes = 0; // total length in bytes
  // Two cached successors (typically the taken and the fall-through path of the final branch),
  // each valid while the CPU's epoch is unchanged: then CS:EIP still maps to the same block.
  next0: Block | null = null; // first successor
  eip0 = -1; // its EIP
  epoch0 = -1; // the epoch it was linked in
  next1: Block | null = null; // second successor
  eip1 = -1;
  epoch1 = -1;
  hits = 0; // executions so far (a block becomes hot at HOT_BLOCK)
  run: ((cpu: Cpu) => void) | null = null; // the compiled form, once hot (32-bit code only)
  jit: Translated | null = null; // the translated form, once hot (32-bit code; see jit/translate.ts)
}

/** Executions after which a block is translated (short runs stay interpreted). */
const HOT_TRANSLATE = 64;

/**
 * Whether new executors translate hot blocks (the CLI's --no-jit and RINGSIDE_NO_JIT turn it
 * off for the whole process; a machine's own option overrides it).
 */
export const translationDefault = { enabled: true };

/** Executions after which a block is compiled. */
const HOT_BLOCK = 32;

/**
 * Compiles a hot block into one JavaScript function that calls each instruction's handler in
 * turn. Each call site then sees a single target, so the JIT can inline the handlers: this is
 * the interpreter loop unrolled, with identical semantics (EIP, the retired count and the
 * early exit on cpu.brk are updated after every instruction exactly as in the loop).
 */
function compileBlock(block: Block): (cpu: Cpu) => void {
  const names: string[] = [];
  const values: unknown[] = [];
  let body = 'const e = cpu.eip;\n';
  let off = 0;
  for (let k = 0; k < block.n; k++) {
    const ins = block.insns[k];
    const form = ins.form;
    names.push(`h${k}`, `i${k}`);
    values.push(ins.exec, ins);
    off += ins.len;
    if (form === null || form.endsBlock || form.repeats) {
      // May branch or repeat itself: the handler reads and writes cpu.next.
      body += `cpu.next = (cpu.eip + ${ins.len}) >>> 0; h${k}(cpu, i${k}); cpu.eip = cpu.next; cpu.icount++;`;
    } else {
      body += `h${k}(cpu, i${k}); cpu.eip = (e + ${off}) >>> 0; cpu.icount++;`;
    }
    // Only an instruction that can write memory, reach a device or change the mode can set
    // cpu.brk; register-only forms of the pure data instructions cannot.
    const pure = form !== null && !ins.isMem && form.pure;
    if (k < block.n - 1 && !pure) body += ' if (cpu.brk) return;';
    body += '\n';
  }
  const factory = new Function(...names, `return function block(cpu) {\n${body}};`);
  return factory(...values) as (cpu: Cpu) => void;
}

export class Executor {
  private readonly cpu: Cpu; // the CPU this loop drives
  private readonly pages: (Map<number, Block> | undefined)[]; // decoded blocks per physical page
  private readonly single = new Insn(); // uncached decode (page-straddling, MMIO, near the CS limit)
  private readonly fetchBuf = new Uint8Array(16); // bytes of an uncached instruction
  private readonly singleBlock = new Block(); // wraps `single`
  readonly breakpoints = new Set<number>(); // linear addresses: run() stops before executing one
  private resumeAt = -1; // icount at which run() was entered
  jit = translationDefault.enabled; // translate hot blocks into JavaScript (false: the interpreter alone, e.g. --no-jit)
  hotTranslate = HOT_TRANSLATE; // executions of a block before it is translated
  blocksTranslated = 0; // statistics: blocks translated since start
  translatedChars = 0; // statistics: characters of generated source (the code cache's size)
  lookups = 0; // statistics: blocks found by CS:EIP rather than by following a link
  translateMs = 0; // statistics: time spent translating, when a benchmark lends a clock
  clock: (() => number) | null = null; // the benchmark's clock (the machine itself reads none)
  blocksBuilt = 0; // statistics: blocks decoded since start
  invalidations = 0; // statistics: pages whose decoded code was dropped

  constructor(cpu: Cpu) {
    this.cpu = cpu;
    this.pages = new Array(cpu.codePage.length);
    this.singleBlock.insns.push(this.single);
    this.singleBlock.n = 1;
    cpu.onCodeWrite = (page) => this.invalidatePage(page);
  }

  /** Translates a hot block (its decoded instructions stay: the interpreter runs partial passes). */
  private translateBlock(block: Block): void {
    const t0 = this.clock === null ? 0 : this.clock();
    const t = translate(this.cpu, block.insns, block.n);
    block.jit = t.run;
    if (this.clock !== null) this.translateMs += this.clock() - t0;
    this.blocksTranslated++;
    this.translatedChars += t.source.length;
  }

  /** Drops every decoded block of a physical page. */
  invalidatePage(page: number): void {
    if (this.pages[page] === undefined) return;
    this.pages[page] = undefined;
    this.cpu.invalidateLinks(); // links into the dropped blocks are no longer valid
    this.cpu.codePage[page] = 0;
    this.cpu.codeLine.fill(0, page << 6, (page + 1) << 6);
    this.invalidations++;
  }

  /** Drops all decoded code (after memory was replaced wholesale, e.g. a snapshot restore). */
  invalidateAll(): void {
    for (let p = 0; p < this.pages.length; p++) if (this.pages[p] !== undefined) this.invalidatePage(p);
  }

  /**
   * Runs until `stopAt` instructions have retired, or the machine stops (debug exit, halt for
   * good, triple fault). Returns the stop reason ('' when the count was reached).
   */
  run(stopAt: number): string {
    const cpu = this.cpu;
    this.resumeAt = cpu.icount; // a breakpoint at the current instruction does not stop at once
    while (cpu.icount < stopAt && cpu.stopReason === '') {
      if (cpu.vmm !== null && cpu.cpl === 0) {
        // The CPU reached a monitor entry point: the monitor's logic runs and returns to the guest.
        cpu.vmm.enter();
        continue;
      }
      // Devices whose deadline has come.
      const apic = cpu.apic;
      const timers = cpu.timers;
      let deadline = timers.nextDeadline();
      if (deadline <= cpu.icount) {
        timers.advance(cpu.icount);
        deadline = timers.nextDeadline();
      }
      // Interrupts between instructions.
      if (apic.nmiPending && cpu.monitor !== null && cpu.monitor.nmi !== undefined && cpu.monitor.nmi()) continue;
      if (apic.nmiPending && !cpu.nmiBlocked) {
        apic.nmiPending = false;
        cpu.nmiBlocked = true;
        cpu.halted = false;
        deliverEvent(cpu, NMI_VECTOR, -1, EVENT_EXTERNAL, cpu.eip, 'nmi');
        continue;
      }
      let limit = stopAt < deadline ? stopAt : deadline;
      if ((cpu.flagsReg & IF) !== 0) {
        if (cpu.icount > cpu.irqShadow) {
          if (cpu.monitor !== null && cpu.monitor.externalInterrupt(true)) continue;
          if (apic.pendingVector() >= 0) {
            const v = apic.acknowledge();
            cpu.halted = false;
            deliverEvent(cpu, v, -1, EVENT_EXTERNAL, cpu.eip);
            continue;
          }
        } else if (cpu.monitor !== null && cpu.monitor.externalInterrupt(false)) continue;
        else if (apic.pendingVector() >= 0) limit = cpu.icount + 1; // run the shadowed instruction alone
      } else if (cpu.monitor !== null && cpu.monitor.externalInterrupt(false)) continue;
      if (cpu.halted) {
        // Halted: time jumps to the next device deadline; with nothing to wake it, the run is over.
        if ((cpu.flagsReg & IF) !== 0 && deadline !== Infinity && timers.canWake?.() !== false) {
          cpu.icount = deadline < stopAt ? deadline : stopAt;
          continue;
        }
        cpu.stopReason = 'halt';
        break;
      }
      if ((cpu.flagsReg & TF) !== 0 || cpu.monitorTrap) limit = cpu.icount + 1;
      if (this.breakpoints.size > 0) {
        // Debugging: one instruction at a time, stopping before a breakpoint's instruction.
        if (this.breakpoints.has((cpu.segBase[CS] + cpu.eip) >>> 0) && cpu.icount !== this.resumeAt) return 'breakpoint';
        limit = cpu.icount + 1;
      }
      this.runBlock(limit);
      if (cpu.watchHit) {
        cpu.watchHit = false;
        return 'watchpoint';
      }
    }
    return cpu.stopReason;
  }

  /**
   * Executes blocks, following cached links from one to the next, until `limit` instructions
   * have retired or an instruction asked for the machine state to be re-examined (cpu.brk:
   * interrupt flag, privilege, paging, I/O, device or code changes).
   */
  private runBlock(limit: number): void {
    const cpu = this.cpu;
    const tfBefore = (cpu.flagsReg & TF) !== 0;
    let block: Block;
    try {
      block = this.lookup();
    } catch (e) {
      if (e !== FAULT) throw e;
      deliverPendingException(cpu);
      return;
    }
    cpu.brk = false;
    try {
      for (;;) {
        const insns = block.insns;
        let n = block.n;
        if (limit - cpu.icount < n) n = limit - cpu.icount;
        if (block.jit !== null && n === block.n && cpu.cs32 && cpu.ss32) block.jit(limit);
        else if (block.run !== null && n === block.n && cpu.cs32) block.run(cpu);
        else if (cpu.cs32) {
          if (++block.hits === (this.jit ? this.hotTranslate : HOT_BLOCK) && block !== this.singleBlock) {
            if (this.jit) this.translateBlock(block);
            else block.run = compileBlock(block);
          }
          for (let k = 0; k < n; k++) {
            const ins = insns[k];
            cpu.next = (cpu.eip + ins.len) >>> 0;
            ins.exec(cpu, ins);
            cpu.eip = cpu.next;
            cpu.icount++;
            if (cpu.brk) break;
          }
        } else {
          for (let k = 0; k < n; k++) {
            const ins = insns[k];
            cpu.next = (cpu.eip + ins.len) & 0xffff;
            ins.exec(cpu, ins);
            cpu.eip = cpu.next;
            cpu.icount++;
            if (cpu.brk) break;
          }
        }
        if (cpu.brk || cpu.icount >= limit || block === this.singleBlock) break;
        // Follow the link to the next block, or find it and remember it.
        const eip = cpu.eip, epoch = cpu.epoch;
        let next: Block;
        if (block.eip0 === eip && block.epoch0 === epoch) next = block.next0!;
        else if (block.eip1 === eip && block.epoch1 === epoch) next = block.next1!;
        else {
          next = this.lookup();
          if (next !== this.singleBlock) {
            block.next1 = block.next0;
            block.eip1 = block.eip0;
            block.epoch1 = block.epoch0;
            block.next0 = next;
            block.eip0 = eip;
            block.epoch0 = cpu.epoch;
          }
        }
        block = next;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      deliverPendingException(cpu);
      return;
    }
    if (tfBefore && cpu.stopReason === '') {
      // Single-step trap after the instruction (SDM 17.3.1.4): DR6.BS.
      cpu.dr[6] |= 0x4000;
      deliverEvent(cpu, DB_VECTOR, -1, EVENT_EXCEPTION, cpu.eip);
    }
  }

  /** The block at CS:EIP, decoding it on first use. Raises fetch faults (#GP for the CS limit, #PF). */
  private lookup(): Block {
    const cpu = this.cpu;
    this.lookups++;
    const eip = cpu.eip;
    const csLimit = cpu.segLimit[CS];
    if (eip > csLimit) cpu.raise(GP_VECTOR, 0);
    const lin = (cpu.segBase[CS] + eip) | 0;
    const e = cpu.translateFetch(lin);
    if ((e & TLB_MMIO) !== 0) return this.decodeSingle();
    const phys = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
    const page = phys >>> 12;
    const key = ((phys & 0xfff) << 1) | (cpu.cs32 ? 1 : 0);
    let map = this.pages[page];
    let block = map === undefined ? undefined : map.get(key);
    if (block === undefined) {
      block = this.build(phys, cpu.cs32);
      if (block === undefined) return this.decodeSingle();
      if (map === undefined) this.pages[page] = map = new Map();
      map.set(key, block);
      cpu.markCodePage(page);
      const first = phys >>> 6, last = (phys + block.bytes - 1) >>> 6;
      for (let l = first; l <= last; l++) cpu.codeLine[l] = 1;
    }
    if (eip + block.bytes - 1 > csLimit) return this.decodeSingle();
    return block;
  }

  /** Decodes a block from RAM at `phys`; undefined when its first instruction straddles the page. */
  private build(phys: number, def32: boolean): Block | undefined {
    const ram = this.cpu.ram;
    const end = ((phys & ~0xfff) + 0x1000) >>> 0;
    const block = new Block();
    let pos = phys;
    while (block.n < MAX_BLOCK && pos < end) {
      const ins = new Insn();
      const len = decode(ram, pos, end, def32, ins);
      if (len === DECODE_TRUNCATED) break;
      block.insns.push(ins);
      block.n++;
      pos += len;
      if (ins.form === null || ins.form.endsBlock) break;
    }
    if (block.n === 0) return undefined;
    block.bytes = pos - phys;
    this.blocksBuilt++;
    return block;
  }

  /**
   * Decodes the instruction at CS:EIP through the MMU without caching it (a monitor inspecting
   * the instruction that trapped). The record is valid until the next uncached decode. Raises
   * the fetch fault, if any.
   */
  decodeCurrent(): Insn {
    const cpu = this.cpu;
    if (cpu.eip > cpu.segLimit[CS]) cpu.raise(GP_VECTOR, 0);
    this.decodeSingle();
    return this.single;
  }

  /**
   * Executes the instruction at CS:EIP on its own, uncached (a monitor interpreting one guest
   * instruction). Returns false, with the fault in cpu.excVector/excCode/excAddr and nothing
   * delivered, when it faults.
   */
  stepOne(): boolean {
    const cpu = this.cpu;
    try {
      const ins = this.decodeCurrent();
      cpu.next = cpu.cs32 ? (cpu.eip + ins.len) >>> 0 : (cpu.eip + ins.len) & 0xffff;
      ins.exec(cpu, ins);
      cpu.eip = cpu.next;
      cpu.icount++;
      return true;
    } catch (e) {
      if (e !== FAULT) throw e;
      return false;
    }
  }

  /**
   * Decodes one instruction through the MMU, byte by byte, honouring the CS limit and page
   * permissions: a fault is raised only if a byte the instruction needs cannot be fetched.
   */
  private decodeSingle(): Block {
    const cpu = this.cpu;
    const buf = this.fetchBuf;
    const base = cpu.segBase[CS];
    const limit = cpu.segLimit[CS];
    let avail = 0;
    let faultVector = -1, faultCode = 0, faultAddr = 0;
    for (; avail < 15; avail++) {
      const off = cpu.cs32 ? (cpu.eip + avail) >>> 0 : (cpu.eip + avail) & 0xffff;
      if (off > limit) {
        faultVector = GP_VECTOR;
        faultCode = 0;
        break;
      }
      try {
        const lin = (base + off) | 0;
        const e = cpu.translateFetch(lin);
        const phys = ((e & ~0xfff) | (lin & 0xfff)) >>> 0;
        buf[avail] = (e & TLB_MMIO) !== 0 ? cpu.physRead8(phys) : cpu.ram[phys];
      } catch (e) {
        if (e !== FAULT) throw e;
        faultVector = cpu.excVector;
        faultCode = cpu.excCode;
        faultAddr = cpu.excAddr;
        break;
      }
    }
    const len = decode(buf, 0, avail, cpu.cs32, this.single);
    if (len === DECODE_TRUNCATED) {
      cpu.excAddr = faultAddr;
      cpu.raise(faultVector, faultCode);
    }
    return this.singleBlock;
  }
}
