/**
 * Guest exceptions travel from the instruction that raises them to the dispatch loop as one
 * preallocated signal object: raising a fault allocates nothing. The vector, error code and
 * faulting address live on the CPU (Cpu.excVector, excCode, excAddr) until delivery.
 */
export class FaultSignal {
  readonly name = 'FaultSignal';
}
export const FAULT = new FaultSignal();

/** Vectors whose delivery pushes an error code (SDM table 6-1). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** Exception classes for the double-fault rules (SDM table 6-5). */
export function isContributory(vector: number): boolean {
  return vector === 0 || (vector >= 10 && vector <= 13);
}
