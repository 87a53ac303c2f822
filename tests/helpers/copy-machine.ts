/** Moving a machine into a fresh one through its saved state, as a snapshot restore does. */
import type { Machine } from '../../emulator/machine';
import { packPages, unpackPages } from '../../emulator/state/codec';
import { saveMachineState, restoreMachineState } from '../../emulator/machine-state';

/** A fresh machine from `make` holding `from`'s saved state and every page of its RAM. */
export function copyThroughState(from: Machine, make: () => Machine): Machine {
  const state = saveMachineState(from);
  const ram = packPages(from.cpu.ram, [...Array(from.cpu.ramSize >>> 12).keys()]);
  const to = make();
  unpackPages(to.cpu.ram, ram);
  restoreMachineState(to, state);
  return to;
}
