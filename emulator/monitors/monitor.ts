/**
 * The one interface every monitor of the machine implements (the software VMMs sw-013 and
 * sw-033, the VT-x model), and the narrow host it runs on. The machine, the recorder, the
 * snapshots, the debugger and the CLI see a monitor only through `Monitor`; a monitor sees the
 * machine only through `MonitorHost`.
 */
import type { Cpu } from '../cpu/cpu';
import type { Insn } from '../cpu/insn';
import type { IoBus } from '../devices/bus';
import type { RegisterFile } from './sw/virtual-cpu';

/** What a monitor may do with the machine it runs. */
export interface MonitorHost {
  /** The processor (its state is the guest's or the monitor's, as the monitor arranged). */
  readonly cpu: Cpu;
  /** The port bus: the machine's devices, for I/O the monitor performs for the guest. */
  readonly io: IoBus;
  /** Decodes the instruction at CS:EIP, uncached (raises its fetch fault). */
  decodeCurrent(): Insn;
  /**
   * Executes the instruction at CS:EIP on whatever register file is on the processor, with no
   * intercept active; false (fault in cpu.excVector/excCode/excAddr, nothing delivered) when it
   * faults. Events it causes reach the observer, as the instruction's own.
   */
  stepOne(): boolean;
}

export interface Monitor {
  /** Entries into the monitor (traps, interrupts, VM exits). */
  readonly exits: number;
  /** Real CR3 loads to another shadow page table (0 where there are none). */
  readonly cr3Switches: number;
  /** Interventions by kind, non-zero ones only (what the matrix and the bench count). */
  interventions(): Record<string, number>;
  /** The guest's own IF. */
  readonly virtualIf: boolean;
  /** The guest's CPU as of the last return to it. */
  readonly virtualCpu: Readonly<RegisterFile>;
  /** The guest's registers as the guest believes they are; false when EIP/ESP/EFLAGS are not on the processor. */
  guestView(out: RegisterFile): boolean;
  /** Lines that describe the monitor's own state for `at` and the debugger (after the virtual CPU). */
  describe(): string[];
  saveState(): Uint8Array;
  loadState(bytes: Uint8Array): void;
}
