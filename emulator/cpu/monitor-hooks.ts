/**
 * Where a monitor (a software VMM or the VT-x model) can take control. The CPU asks at each
 * point; with no monitor attached (`cpu.monitor === null`) each point costs one branch.
 *
 * - exception: a fault or trap raised by guest code, before it goes through the IDT;
 * - externalInterrupt: at an instruction boundary where an interrupt is pending or the guest is
 *   interruptible (IF = 1, no interrupt shadow), before the CPU acknowledges anything;
 * - instruction: a sensitive instruction, after its privilege checks (faults for CPL > 0 have
 *   priority over a monitor's intercept, as they have over VM exits, SDM vol. 3 25.1.1);
 * - taskSwitch (optional): a task switch, after the checks that precede its commit point (a
 *   VMX monitor exits there, SDM vol. 3C 25.4.2).
 *
 * Swapping the whole guest state is done with emulator/machine-state.ts (saveCpuState/loadCpuState).
 */
import type { Insn } from './insn';

/** The instructions a monitor can intercept: each form's `intercept` in the opcode table. */
export type { Intercept as SensitiveOp } from './opcodes';
import type { Intercept as SensitiveOp } from './opcodes';

export interface MonitorHooks {
  /** Returns true when the monitor handled the exception (the CPU then delivers nothing). */
  exception(vector: number, errorCode: number): boolean;
  /**
   * Called at every instruction boundary the dispatch loop examines, before the CPU looks for a
   * pending interrupt: `interruptible` says whether the CPU could take one (IF = 1, past any
   * interrupt shadow). Returns true when the monitor took control (the CPU then delivers
   * nothing). The monitor asks the interrupt controller itself whether anything is pending.
   */
  externalInterrupt(interruptible: boolean): boolean;
  /**
   * Returns true when the monitor emulated the instruction: the CPU then skips its own
   * execution and the instruction retires (the monitor may have changed cpu.next).
   */
  instruction(op: SensitiveOp, i: Insn): boolean;
  /**
   * A task switch about to pass its commit point (after the checks that precede it): `source`
   * is the VT-x qualification's (0 CALL, 1 IRET, 2 JMP, 3 task gate in the IDT), `vector`,
   * `kind` (interrupts.ts EVENT_*) and `errorCode` name a task gate's event (vector -1
   * otherwise), `retEip` the EIP the old task would save. Returns true when the monitor took
   * control instead (nothing of the switch happens). Absent: task switches run.
   */
  taskSwitch?(selector: number, source: number, vector: number, kind: number, errorCode: number, retEip: number): boolean;
}

/**
 * A software VMM that owns ring 0 (ring deprivileging): the guest never runs at CPL 0, so the
 * CPU being at CPL 0 means it has just arrived at one of the monitor's entry points through the
 * monitor's own IDT or SYSENTER MSRs. The dispatch loop then calls enter(), which runs the
 * monitor's logic and returns to the guest (or stops the machine). One compare per dispatch.
 */
export interface MonitorEntry {
  enter(): void;
}
