/**
 * The machine: CPU, RAM, devices and the dispatch loop, started the way `qemu -kernel` starts a
 * Multiboot kernel. This is the one object the CLI, the recorder and the monitors build on.
 */
import { tscRateProblem } from './cpu/ops/model';
import { Cpu } from './cpu/cpu';
import { Executor } from './cpu/exec';
import { IoBus, MmioBus } from './devices/bus';
import { Uart16550 } from './devices/uart16550';
import { DebugExit } from './devices/debug-exit';
import { FwCfg } from './devices/fw-cfg';
import { LegacyPorts } from './devices/legacy-ports';
import { LocalApic } from './devices/local-apic';
import { Pic8259Pair } from './devices/pic8259';
import { Pit8254, PIT_PORT } from './devices/pit8254';
import { PcSpeaker, PORT_B } from './devices/pc-speaker';
import { IoApic, IOAPIC_BASE, IOAPIC_SIZE } from './devices/ioapic';
import { IsaIrqs } from './devices/isa-irq';
import { DeviceTimers } from './devices/device-timers';
import { DebugCon, DEBUGCON_PORT } from './devices/debugcon';
import { RtcCmos, RTC_INDEX } from './devices/rtc-cmos';
import { PciConfig, PCI_CONFIG_ADDRESS, PCI_CONFIG_DATA } from './devices/pci-config';
import { I8042, KBD_DATA, KBD_STATUS } from './devices/i8042';
import { Port92, PORT_A } from './devices/port92';
import { lowRamTop } from './firmware/layout';
import { AtaChannel, ATA_PRIMARY, ATA_PRIMARY_CONTROL, ATA_IRQ } from './devices/ata';
import type { DiskImage } from './devices/disk-image';
import { VgaText, CRTC_INDEX, INPUT_STATUS_1, type VgaScreen } from './devices/vga-text';
import { loadImage } from './loader/load-image';
import type { LoadedImage } from './loader/types';
import { SymbolTable } from './loader/symbols';
import { CS, DS, ES, FS, GS, SS, EAX, EBX, ECX, EDX, ESP, EBP, ESI, EDI, CR0_PE, CR0_ET } from './cpu/constants';
import { installFirmware } from './firmware/install';
import { APIC_VIRTUAL_WIRE, ENTRY_CS, ENTRY_CS_ATTR, ENTRY_DATA_ATTR, ENTRY_DR6, ENTRY_DR7, ENTRY_DS, ENTRY_EDI, ENTRY_EFLAGS, ENTRY_GDT, ENTRY_GDT_BYTES, entryEdx } from './firmware/entry-state';
import { ENTRY_ESP } from './firmware/layout';
import { memUpperKiB } from './loader/multiboot';
import { modeProblem, type Mode, type ShadowPolicy } from './monitors/modes';
import { SoftwareMonitor } from './monitors/sw/monitor';
import { MON_SIZE } from './monitors/sw/layout';
import type { Monitor, MonitorHost } from './monitors/monitor';
import { VtxMonitor, VMX_HOST_SIZE } from './monitors/vtx/vmm';
import type { VtxGeneration } from './monitors/modes';

export const DEFAULT_RAM_SIZE = 128 * 1024 * 1024;

/** Why a run ended. */
export type StopReason = 'exit' | 'halt' | 'shutdown' | 'reset' | 'limit';

export interface RunResult {
  reason: StopReason;
  /** Process exit code as `ringside run` reports it (see exitCodeOf). */
  exitCode: number;
  /** Retired instructions at the end. */
  icount: number;
}

/** Exit codes of `ringside run` that are not the guest's own (which are odd: (v << 1) | 1). */
export const EXIT_HALT = 0;
/** A reset request ends the run with 0, as QEMU with -no-reboot exits. */
export const EXIT_RESET = 0;
export const EXIT_ERROR = 2;
export const EXIT_LIMIT = 124;
export const EXIT_SHUTDOWN = 126;

export interface MachineOptions {
  ramSize?: number; // bytes of RAM (default 128 MiB, as QEMU)
  cmdline?: string; // Multiboot command line
  modules?: { name: string; data: Uint8Array }[]; // Multiboot modules (like -initrd)
  flatAddress?: number; // load a flat binary at this address instead of a Multiboot kernel
  onUartByte?: (byte: number) => void; // receives every byte the guest transmits on COM1
  onDebugconByte?: (byte: number) => void; // bytes written to port 0xE9 (default: onUartByte, one console stream)
  mode?: Mode; // the monitor the guest runs under (default native)
  shadow?: ShadowPolicy; // sw-033: split (default) or shared shadow page tables
  vtxGen?: VtxGeneration; // vtx: 2 (default, EPT and TPR shadow) or 1 (first generation)
  disks?: DiskImage[]; // the primary ATA channel's master and slave (like -drive ...,index=0 and 1); none: no ATA ports
  jit?: boolean; // translate hot blocks (default: the process-wide default, on unless --no-jit)
  tscPerInstruction?: number; // TSC ticks per retired instruction (default 1)
  revision?: number; // the machine's revision, 1 to MACHINE_REVISION (default: MACHINE_REVISION)
}

/**
 * The machine's revision, as QEMU versions its machine types: a recording stores the revision
 * it ran on and replay rebuilds that machine, so a run recorded before a change to what the
 * guest sees replays as it ran. 1: the first; 2: COM1's interrupt line (ISA IRQ 4); 3: the
 * software monitors stop tracking a page-table page the guest floods with writes; 4: under VT-x
 * with the TPR shadow, the guest's TPR writes are recorded (tpr events), as natively.
 */
export const MACHINE_REVISION = 4;

/** Why `r` is not a machine revision of this build, or null when it is one. */
export function revisionProblem(r: unknown): string | null {
  return Number.isInteger(r) && (r as number) >= 1 && (r as number) <= MACHINE_REVISION ? null : `${JSON.stringify(r)} is not a machine revision of this build (1 to ${MACHINE_REVISION})`;
}

/** A mode this machine cannot run. */
export class ModeError extends Error {
  override readonly name = 'ModeError';
}

export class Machine {
  readonly cpu: Cpu; // the processor and its RAM
  readonly io = new IoBus(); // the port bus
  readonly mmio = new MmioBus(); // memory-mapped devices above RAM (the I/O APIC)
  readonly apic: LocalApic; // local APIC (its timer counts retired instructions)
  readonly uart: Uart16550; // COM1
  readonly pic: Pic8259Pair; // the two 8259A PICs and the ELCR
  readonly ioapic: IoApic; // the I/O APIC at 0xFEC00000
  readonly pit: Pit8254; // the 8254 PIT
  readonly irqs: IsaIrqs; // ISA interrupt lines to the PICs and the I/O APIC
  readonly vga: VgaText; // the VGA text screen's CRTC (its buffer is RAM at 0xB8000)
  readonly rtc: RtcCmos; // the CMOS real-time clock
  readonly kbd: I8042; // the 8042 keyboard controller and its keyboard
  readonly ata: AtaChannel | null = null; // the primary ATA channel, when disks are given
  readonly executor: Executor; // dispatch loop and decoded-code cache
  readonly image: LoadedImage; // what the loader did
  readonly symbols: SymbolTable; // symbols of the guest image
  readonly mode: Mode; // the monitor the guest runs under
  readonly monitor: Monitor | null = null; // the monitor the guest runs under (null natively)
  readonly firmwareRanges: { start: number; end: number }[]; // RAM the firmware tables occupy

  constructor(image: Uint8Array, opts: MachineOptions = {}) {
    const ramSize = opts.ramSize ?? DEFAULT_RAM_SIZE;
    this.mode = opts.mode ?? 'native';
    const software = this.mode === 'sw-013' || this.mode === 'sw-033';
    const vtx = this.mode === 'vtx';
    const problem = modeProblem(this.mode, opts.shadow);
    if (problem !== null) throw new ModeError(problem);
    if (opts.vtxGen !== undefined && !vtx) throw new ModeError(`--vtx-gen applies to mode vtx only, not '${this.mode}'`);
    const revision = opts.revision ?? MACHINE_REVISION;
    const badRevision = revisionProblem(revision);
    if (badRevision !== null) throw new ModeError(`machine revision ${badRevision}`);
    if (software && ramSize > 2 * 1024 * 1024 * 1024 - MON_SIZE) throw new ModeError('under a software monitor, RAM is at most 2 GiB - 4 MiB (the monitor takes 4 MiB above it)');
    if (vtx && ramSize > 2 * 1024 * 1024 * 1024 - VMX_HOST_SIZE) throw new ModeError(`under vtx, RAM is at most 2 GiB - ${VMX_HOST_SIZE / 1024} KiB (the VMM takes ${VMX_HOST_SIZE / 1024} KiB above it)`);
    this.apic = new LocalApic(() => this.cpu.icount);
    // A monitor's memory sits above the guest's RAM, out of the guest's reach.
    this.cpu = new Cpu(ramSize + (software ? MON_SIZE : vtx ? VMX_HOST_SIZE : 0), this.io, this.apic);
    if (opts.tscPerInstruction !== undefined) {
      const problem = tscRateProblem(opts.tscPerInstruction);
      if (problem !== null) throw new RangeError(`TSC ticks per instruction ${problem}`);
      this.cpu.tscPerInstruction = opts.tscPerInstruction;
    }
    const onByte = opts.onUartByte ?? (() => {});
    this.uart = new Uart16550(onByte, Uart16550.COM1, revision >= 2 ? (high) => this.irqs.set(Uart16550.COM1_IRQ, high) : null, () => this.cpu.icount);
    this.io.register(Uart16550.COM1, 8, this.uart);
    this.io.register(DebugExit.PORT, DebugExit.IOSIZE, new DebugExit((code) => this.requestExit(code)));
    this.io.register(0x510, 2, new FwCfg(ramSize));
    const legacy = new LegacyPorts();
    for (const [first, count] of LegacyPorts.RANGES) this.io.register(first, count, legacy);
    // Interrupt controllers: the 8259s reach the CPU through LINT0, the I/O APIC by messages.
    this.pic = new Pic8259Pair();
    for (const [first, count] of Pic8259Pair.RANGES) this.io.register(first, count, this.pic);
    this.ioapic = new IoApic(this.apic);
    this.mmio.register(IOAPIC_BASE, IOAPIC_SIZE, this.ioapic);
    this.cpu.mmio = this.mmio;
    this.apic.extInt = this.pic;
    this.apic.onLevelEoi = (vector) => this.ioapic.eoi(vector);
    this.irqs = new IsaIrqs(this.pic, this.ioapic, this.apic);
    const clock = () => this.cpu.icount;
    this.pit = new Pit8254(clock, (high) => this.irqs.set(0, high), () => this.irqs.canInterrupt(0));
    this.io.register(PIT_PORT, 4, this.pit);
    this.io.register(PORT_B, 1, new PcSpeaker(this.pit));
    this.rtc = new RtcCmos(clock, (high) => this.irqs.set(8, high), ramSize, lowRamTop(ramSize), () => this.irqs.canInterrupt(8));
    this.io.register(RTC_INDEX, 2, this.rtc);
    this.kbd = new I8042((high) => this.irqs.set(1, high), () => this.requestReset());
    this.io.register(KBD_DATA, 1, this.kbd);
    this.io.register(KBD_STATUS, 1, this.kbd);
    this.io.register(PORT_A, 1, new Port92(() => this.requestReset()));
    const disks = opts.disks ?? [];
    if (disks.length > 2) throw new ModeError(`at most 2 disks (the primary channel's master and slave), not ${disks.length}`);
    if (disks.length > 0) {
      const ata = (this.ata = new AtaChannel(disks, (high) => this.irqs.set(ATA_IRQ, high)));
      this.io.register(ATA_PRIMARY, 8, ata);
      this.io.register(ATA_PRIMARY_CONTROL, 1, ata);
    }
    const pci = new PciConfig();
    this.io.register(PCI_CONFIG_ADDRESS, 1, pci);
    this.io.register(PCI_CONFIG_DATA, 4, pci);
    this.cpu.timers = new DeviceTimers([this.apic, this.pit, this.rtc, this.uart]);
    this.io.register(DEBUGCON_PORT, 1, new DebugCon(opts.onDebugconByte ?? onByte));
    this.vga = new VgaText();
    this.io.register(CRTC_INDEX, 2, this.vga);
    this.io.register(INPUT_STATUS_1, 1, this.vga);
    this.executor = new Executor(this.cpu);
    if (opts.jit !== undefined) this.executor.jit = opts.jit;
    this.firmwareRanges = installFirmware(this.cpu.ram.subarray(0, ramSize), ramSize);
    this.image = loadImage(image, this.cpu.ram.subarray(0, ramSize), {
      cmdline: opts.cmdline ?? '',
      modules: opts.modules ?? [],
      flatAddress: opts.flatAddress,
    });
    this.symbols = this.image.symbols;
    this.reset(ramSize);
    const executor = this.executor;
    const host: MonitorHost = { cpu: this.cpu, io: this.io, decodeCurrent: () => executor.decodeCurrent(), stepOne: () => executor.stepOne() };
    if (software) {
      const mon = new SoftwareMonitor(host, { kernelRing: this.mode === 'sw-013' ? 1 : 3, shadow: opts.shadow ?? 'split', unshadowFlooded: revision >= 3 });
      this.monitor = mon;
      mon.boot();
      this.cpu.vmm = mon;
    } else if (vtx) {
      const mon = new VtxMonitor(host, { generation: opts.vtxGen ?? 2, guestRam: ramSize, reportVirtualTpr: revision >= 4 });
      this.monitor = mon;
      mon.boot();
    }
  }

  /**
   * The entry state of a Multiboot kernel under `qemu -kernel`, register for register
   * (emulator/firmware/entry-state.ts), including the local APIC as SeaBIOS leaves it.
   */
  private reset(ramSize: number): void {
    const cpu = this.cpu;
    cpu.gdtrBase = ENTRY_GDT;
    cpu.gdtrLimit = ENTRY_GDT_BYTES.length - 1;
    cpu.idtrBase = 0;
    cpu.idtrLimit = 0x3ff;
    cpu.cr0 = CR0_PE | CR0_ET;
    cpu.setFlags(ENTRY_EFLAGS);
    cpu.setSegCache(CS, ENTRY_CS, 0, 0xffffffff, ENTRY_CS_ATTR);
    for (const s of [DS, ES, FS, GS, SS]) cpu.setSegCache(s, ENTRY_DS, 0, 0xffffffff, ENTRY_DATA_ATTR);
    cpu.setCpl(0);
    cpu.regs[EAX] = this.image.eax;
    cpu.regs[EBX] = this.image.ebx;
    cpu.regs[ECX] = this.image.entry >>> 0;
    cpu.regs[EDX] = entryEdx(memUpperKiB(ramSize));
    cpu.regs[ESP] = ENTRY_ESP;
    cpu.regs[EBP] = 0;
    cpu.regs[ESI] = 0;
    cpu.regs[EDI] = ENTRY_EDI;
    cpu.dr[6] = ENTRY_DR6;
    cpu.dr[7] = ENTRY_DR7;
    cpu.eip = this.image.entry >>> 0;
    for (const [offset, value] of APIC_VIRTUAL_WIRE) this.apic.mmioWrite(offset, value, 4);
  }

  /** The VGA text screen now (80x25 characters and the cursor). */
  screen(): VgaScreen {
    return this.vga.screen(this.cpu.ram);
  }

  /** A reset request (keyboard controller): the run ends, as QEMU's with -no-reboot. */
  private requestReset(): void {
    this.cpu.stopReason = 'reset';
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
    case 'reset': return { reason: 'reset', exitCode: EXIT_RESET, icount: cpu.icount };
    default: return { reason: 'limit', exitCode: EXIT_LIMIT, icount: cpu.icount };
  }
}
