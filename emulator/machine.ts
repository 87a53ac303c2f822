/**
 * The machine: CPU, RAM, devices and the dispatch loop, started the way `qemu -kernel` starts a
 * Multiboot kernel. This is the one object the CLI, the recorder and the monitors build on.
 */
import { Cpu } from './cpu/cpu';
import { Executor } from './cpu/exec';
import { IoBus } from './devices/bus';
import { Uart16550 } from './devices/uart16550';
import { DebugExit } from './devices/debug-exit';
import { FwCfg } from './devices/fw-cfg';
import { LegacyPorts } from './devices/legacy-ports';
import { LocalApic } from './devices/local-apic';
import { loadImage } from './loader/load-image';
import type { LoadedImage } from './loader/types';
import { SymbolTable } from './loader/symbols';
import { CS, DS, ES, FS, GS, SS, EAX, EBX, FIXED1, CR0_PE, CR0_ET } from './cpu/constants';
import { modeProblem, type Mode, type ShadowPolicy } from './monitors/modes';
import { SoftwareMonitor } from './monitors/sw/monitor';
import { MON_SIZE } from './monitors/sw/layout';
import type { Monitor, MonitorHost } from './monitors/monitor';
import { VtxMonitor, VMX_HOST_SIZE } from './monitors/vtx/vmm';
import type { VtxGeneration } from './monitors/modes';

export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;

/** Why a run ended. */
export type StopReason = 'exit' | 'halt' | 'shutdown' | 'limit';

export interface RunResult {
  reason: StopReason;
  /** Process exit code as `ringside run` reports it (see exitCodeOf). */
  exitCode: number;
  /** Retired instructions at the end. */
  icount: number;
}

/** Exit codes of `ringside run` that are not the guest's own (which are odd: (v << 1) | 1). */
export const EXIT_HALT = 0;
export const EXIT_ERROR = 2;
export const EXIT_LIMIT = 124;
export const EXIT_SHUTDOWN = 126;

export interface MachineOptions {
  ramSize?: number; // bytes of RAM (default 128 MiB, as QEMU)
  cmdline?: string; // Multiboot command line
  modules?: { name: string; data: Uint8Array }[]; // Multiboot modules (like -initrd)
  flatAddress?: number; // load a flat binary at this address instead of a Multiboot kernel
  onUartByte?: (byte: number) => void; // receives every byte the guest transmits on COM1
  mode?: Mode; // the monitor the guest runs under (default native)
  shadow?: ShadowPolicy; // sw-033: split (default) or shared shadow page tables
  vtxGen?: VtxGeneration; // vtx: 2 (default, EPT and TPR shadow) or 1 (first generation)
}

/** A mode this machine cannot run. */
export class ModeError extends Error {
  override readonly name = 'ModeError';
}

/**
 * Where the boot GDT lives: QEMU's Multiboot option ROM enters the kernel with CS = 0x08 and
 * data selectors 0x10 from its own GDT in ROM; ringside writes the same three descriptors in
 * the BIOS area at 0xF0000, which the memory map marks reserved.
 */
export const BOOT_GDT = 0xf0000;
const BOOT_GDT_BYTES = [
  0, 0, 0, 0, 0, 0, 0, 0,
  0xff, 0xff, 0x00, 0x00, 0x00, 0x9b, 0xcf, 0x00, // 0x08: 32-bit code, 4 GiB, DPL 0
  0xff, 0xff, 0x00, 0x00, 0x00, 0x93, 0xcf, 0x00, // 0x10: 32-bit data, 4 GiB, DPL 0
];

export class Machine {
  readonly cpu: Cpu; // the processor and its RAM
  readonly io = new IoBus(); // the port bus
  readonly apic: LocalApic; // local APIC (its timer counts retired instructions)
  readonly uart: Uart16550; // COM1
  readonly executor: Executor; // dispatch loop and decoded-code cache
  readonly image: LoadedImage; // what the loader did
  readonly symbols: SymbolTable; // symbols of the guest image
  readonly mode: Mode; // the monitor the guest runs under
  readonly monitor: Monitor | null = null; // the monitor the guest runs under (null natively)

  constructor(image: Uint8Array, opts: MachineOptions = {}) {
    const ramSize = opts.ramSize ?? DEFAULT_RAM_SIZE;
    this.mode = opts.mode ?? 'native';
    const software = this.mode === 'sw-013' || this.mode === 'sw-033';
    const vtx = this.mode === 'vtx';
    const problem = modeProblem(this.mode, opts.shadow);
    if (problem !== null) throw new ModeError(problem);
    if (opts.vtxGen !== undefined && !vtx) throw new ModeError(`--vtx-gen applies to mode vtx only, not '${this.mode}'`);
    if (software && ramSize > 2 * 1024 * 1024 * 1024 - MON_SIZE) throw new ModeError('under a software monitor, RAM is at most 2 GiB - 4 MiB (the monitor takes 4 MiB above it)');
    if (vtx && ramSize > 2 * 1024 * 1024 * 1024 - VMX_HOST_SIZE) throw new ModeError('under vtx, RAM is at most 2 GiB - 64 KiB (the VMM takes 64 KiB above it)');
    this.apic = new LocalApic(() => this.cpu.icount);
    // A monitor's memory sits above the guest's RAM, out of the guest's reach.
    this.cpu = new Cpu(ramSize + (software ? MON_SIZE : vtx ? VMX_HOST_SIZE : 0), this.io, this.apic);
    const onByte = opts.onUartByte ?? (() => {});
    this.uart = new Uart16550(onByte);
    this.io.register(Uart16550.COM1, 8, this.uart);
    this.io.register(DebugExit.PORT, DebugExit.IOSIZE, new DebugExit((code) => this.requestExit(code)));
    this.io.register(0x510, 2, new FwCfg(ramSize));
    const legacy = new LegacyPorts();
    for (const p of [0x20, 0x21, 0xa0, 0xa1]) this.io.register(p, 1, legacy);
    this.io.register(0x8900, 1, legacy);
    this.executor = new Executor(this.cpu);
    this.image = loadImage(image, this.cpu.ram.subarray(0, ramSize), {
      cmdline: opts.cmdline ?? '',
      modules: opts.modules ?? [],
      flatAddress: opts.flatAddress,
    });
    this.symbols = this.image.symbols;
    this.reset();
    if (software) {
      const mon = new SoftwareMonitor(this, { kernelRing: this.mode === 'sw-013' ? 1 : 3, shadow: opts.shadow ?? 'split' });
      this.monitor = mon;
      mon.boot();
      this.cpu.vmm = mon;
    } else if (vtx) {
      const executor = this.executor;
      const host: MonitorHost = { cpu: this.cpu, io: this.io, decodeCurrent: () => executor.decodeCurrent(), stepOne: () => executor.stepOne() };
      const mon = new VtxMonitor(host, { generation: opts.vtxGen ?? 2, guestRam: ramSize });
      this.monitor = mon;
      mon.boot();
    }
  }

  /** The entry state of a Multiboot kernel under `qemu -kernel` (Multiboot spec section 3.2). */
  private reset(): void {
    const cpu = this.cpu;
    cpu.ram.set(BOOT_GDT_BYTES, BOOT_GDT);
    cpu.gdtrBase = BOOT_GDT;
    cpu.gdtrLimit = BOOT_GDT_BYTES.length - 1;
    cpu.idtrBase = 0;
    cpu.idtrLimit = 0x3ff;
    cpu.cr0 = CR0_PE | CR0_ET;
    cpu.setFlags(FIXED1);
    cpu.setSegCache(CS, 0x08, 0, 0xffffffff, 0x00cf9b00);
    for (const s of [DS, ES, FS, GS, SS]) cpu.setSegCache(s, 0x10, 0, 0xffffffff, 0x00cf9300);
    cpu.setCpl(0);
    cpu.regs[EAX] = this.image.eax;
    cpu.regs[EBX] = this.image.ebx;
    cpu.eip = this.image.entry >>> 0;
  }

  private requestExit(code: number): void {
    this.cpu.stopReason = 'exit';
    this.cpu.exitCode = code;
  }

  /** Runs until the guest exits, halts for good, shuts down, or `maxInstructions` more retire. */
  run(maxInstructions = Infinity): RunResult {
    const cpu = this.cpu;
    const stopAt = cpu.icount + maxInstructions;
    const why = this.executor.run(stopAt);
    return resultOf(cpu, why);
  }
}

function resultOf(cpu: Cpu, why: string): RunResult {
  switch (why) {
    case 'exit': return { reason: 'exit', exitCode: cpu.exitCode, icount: cpu.icount };
    case 'halt': return { reason: 'halt', exitCode: EXIT_HALT, icount: cpu.icount };
    case 'shutdown': return { reason: 'shutdown', exitCode: EXIT_SHUTDOWN, icount: cpu.icount };
    default: return { reason: 'limit', exitCode: EXIT_LIMIT, icount: cpu.icount };
  }
}
