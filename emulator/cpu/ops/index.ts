/**
 * The handler registry: every instruction family's handlers by name, as the opcode table
 * refers to them. A table entry whose handler is missing here fails the opcode-table test.
 */
import type { Cpu } from '../cpu';
import type { Insn, Handler } from '../insn';
import { OPCODE_FORMS } from '../opcodes';
import * as alu from './alu';
import * as move from './move';
import * as stack from './stack';
import * as control from './control';
import * as far from './far';
import * as system from './system';
import * as model from './model';
import * as io from './io';
import * as shift from './shift';
import * as muldiv from './muldiv';
import * as bit from './bit';
import * as string from './string';
import * as flag from './flag';
import * as segment from './segment';

/** Raises the fault an invalid encoding carries: #UD, or #GP(0) for an over-long instruction. */
export function invalidOpcode(cpu: Cpu, i: Insn): void {
  cpu.raise(i.fault, i.fault === 13 ? 0 : -1);
}

/** The handlers the opcode table names (families also export helpers, which are not handlers). */
const wanted = new Set<string>(OPCODE_FORMS.map((f) => f.handler));
export const HANDLERS: Record<string, Handler> = {};
for (const family of [alu, flag, move, stack, segment, control, far, system, model, io, shift, muldiv, bit, string]) {
  for (const [name, fn] of Object.entries(family)) {
    if (!wanted.has(name) || typeof fn !== 'function') continue;
    if (HANDLERS[name] !== undefined) throw new Error(`two instruction families define ${name}`);
    HANDLERS[name] = fn as Handler;
  }
}
