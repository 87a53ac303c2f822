/**
 * The i386 target description gdb reads with qXfer:features:read: the general registers,
 * EIP, EFLAGS and the six segment selectors of gdb's `org.gnu.gdb.i386.core` feature, plus a
 * ringside feature with the control registers (read only). Register numbers are the order
 * of the `g` packet.
 *
 * ringside's CPU has no FPU (its x87 escapes raise #NM or #UD) and no SSE. gdb's i386
 * architecture rejects a core feature without the x87 registers, so they are described, as
 * gdb requires, but never have a value: the stub reports them unavailable (`x` bytes), and
 * gdb shows `<unavailable>`. No SSE feature is described.
 */
import type { GuestRegisters } from '../../emulator/guest-view';
import { CS, SS, DS, ES, FS, GS } from '../../emulator/cpu/constants';

export interface RegisterDef {
  name: string;
  type: string; // gdb type name
  bits: number; // 32, or 80 for the x87 stack
  group?: string;
  /** The value; null: the register does not exist on this CPU (unavailable). */
  read(g: GuestRegisters): number | null;
  /** What the stub may set: a general register (0-7), EIP (8) or EFLAGS (9); undefined: read only. */
  settable?: number;
}

const gpr = (name: string, n: number, type = 'int32'): RegisterDef => ({ name, type, bits: 32, read: (g) => g.regs[n], settable: n });
const seg = (name: string, s: number): RegisterDef => ({ name, type: 'int32', bits: 32, read: (g) => g.segSel[s] });
const absent = (name: string, bits: number, type: string): RegisterDef => ({ name, type, bits, group: 'float', read: () => null });

export const REGISTERS: readonly RegisterDef[] = [
  gpr('eax', 0), gpr('ecx', 1), gpr('edx', 2), gpr('ebx', 3),
  gpr('esp', 4, 'data_ptr'), gpr('ebp', 5, 'data_ptr'), gpr('esi', 6), gpr('edi', 7),
  { name: 'eip', type: 'code_ptr', bits: 32, read: (g) => g.eip, settable: 8 },
  { name: 'eflags', type: 'i386_eflags', bits: 32, read: (g) => g.eflags, settable: 9 },
  seg('cs', CS), seg('ss', SS), seg('ds', DS), seg('es', ES), seg('fs', FS), seg('gs', GS),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => absent(`st${k}`, 80, 'i387_ext')),
  ...['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'].map((n) => absent(n, 32, 'int')),
  { name: 'cr0', type: 'int32', bits: 32, group: 'system', read: (g) => g.cr0 },
  { name: 'cr2', type: 'data_ptr', bits: 32, group: 'system', read: (g) => g.cr2 },
  { name: 'cr3', type: 'int32', bits: 32, group: 'system', read: (g) => g.cr3 },
  { name: 'cr4', type: 'int32', bits: 32, group: 'system', read: (g) => g.cr4 },
];
/** Registers of gdb's core feature (general, segment, and the x87 ones gdb requires). */
const CORE_COUNT = 32;

const EFLAGS_BITS: [number, string][] = [
  [0, 'CF'], [1, ''], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
];

function reg(r: RegisterDef, n: number): string {
  return `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${n}"${r.group ? ` group="${r.group}"` : ''}/>`;
}

/** target.xml: the whole description in one document. */
export const TARGET_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
  '<target version="1.0">',
  '<architecture>i386</architecture>',
  '<feature name="org.gnu.gdb.i386.core">',
  '  <flags id="i386_eflags" size="4">',
  ...EFLAGS_BITS.map(([bit, name]) => `    <field name="${name}" start="${bit}" end="${bit}"/>`),
  '  </flags>',
  ...REGISTERS.slice(0, CORE_COUNT).map(reg),
  '</feature>',
  '<feature name="org.ringside.i386.system">',
  ...REGISTERS.slice(CORE_COUNT).map((r, k) => reg(r, CORE_COUNT + k)),
  '</feature>',
  '</target>',
].join('\n');

/** The annexes qXfer:features:read serves. */
export const FEATURE_FILES: Record<string, string> = { 'target.xml': TARGET_XML };
