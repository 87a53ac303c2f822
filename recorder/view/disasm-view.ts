/**
 * Disassembly as plain data for the debugger, and what stepping over calls needs to know
 * about instructions (whether the current one is a CALL, and which CALL returned to a point).
 */
import type { Machine } from '../../emulator/machine';
import { disassemble, type DisasmLine } from '../../emulator/disasm';
import { guestLinearIp } from '../../emulator/guest-view';

export type { DisasmLine };

export interface CodeLine extends DisasmLine {
  current: boolean; // the instruction at CS:EIP
}

/** `count` instructions from the guest's CS:`eip` (default: from its current one). */
export function codeLines(m: Machine, count: number, eip?: number): CodeLine[] {
  const here = guestLinearIp(m);
  return disassemble(m, count, eip).map((d) => ({ ...d, current: d.address === here }));
}

const isCall = (text: string) => /^call\b/.test(text);

/** The current instruction when it is a CALL: its length (to step over it); else null. */
export function callHere(m: Machine): { length: number } | null {
  const [d] = disassemble(m, 1);
  if (d === undefined || !isCall(d.text)) return null;
  return { length: d.bytes.split(' ').length };
}

/** The current instruction is a RET (near or far) or IRET. */
export function returnHere(m: Machine): boolean {
  const [d] = disassemble(m, 1);
  return d !== undefined && /^(ret|retf|iret|iretd)\b/.test(d.text);
}

/**
 * The linear address of a CALL that ends at CS:`eip` (the call a RET to `eip` came from), found
 * by decoding backwards at each length a CALL can have; null when none decodes to exactly there.
 */
export function callEndingAt(m: Machine, eip: number): number | null {
  for (const len of [5, 6, 2, 3, 7, 4]) {
    const [d] = disassemble(m, 1, (eip - len) >>> 0);
    if (d !== undefined && isCall(d.text) && d.bytes.split(' ').length === len) return d.address;
  }
  return null;
}
