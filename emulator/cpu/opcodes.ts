/**
 * The opcode table: one entry per encoding form that ringside implements.
 *
 * This table is the single source of truth for the decoder (which reads operand forms and
 * immediate sizes from it), for the disassembly metadata and for the decoder tests (which
 * compare every form against an independent decoder). An encoding absent from this table
 * decodes to #UD.
 *
 * Operand notation follows the Intel SDM appendix A: E = ModRM r/m, G = ModRM reg, M = memory
 * only, R = register only, S = segment register, C/D = control/debug register, I = immediate,
 * J = relative branch, O = moffs, A = far pointer; b/w/d/v/z/p/s/q are the operand sizes.
 *
 * Everything the rest of ringside knows about a form is a field of its row: the executor's block
 * compiler reads `repeats`, `pure` and `endsBlock`, a monitor's intercept hook receives
 * `intercept`, the software monitor counts an emulated instruction under `trap`. Handler names
 * are typed against the instruction families' exports, so a misspelt one fails type checking.
 */
import type { Handler } from './insn';
import { FORM_FLAGS } from './form-flags';
import type * as alu from './ops/alu';
import type * as move from './ops/move';
import type * as stack from './ops/stack';
import type * as control from './ops/control';
import type * as far from './ops/far';
import type * as system from './ops/system';
import type * as model from './ops/model';
import type * as io from './ops/io';
import type * as shift from './ops/shift';
import type * as muldiv from './ops/muldiv';
import type * as bit from './ops/bit';
import type * as string from './ops/string';
import type * as flag from './ops/flag';
import type * as segment from './ops/segment';

type FamilyExports = typeof alu & typeof move & typeof stack & typeof control & typeof far & typeof system &
  typeof model & typeof io & typeof shift & typeof muldiv & typeof bit & typeof string & typeof flag & typeof segment;
/** The name of an instruction handler: an export of an instruction family (emulator/cpu/ops). */
export type HandlerName = { [K in keyof FamilyExports]: FamilyExports[K] extends Handler ? K : never }[keyof FamilyExports];

/**
 * The sensitive instructions a monitor can intercept (after the form's privilege checks): the
 * hook receives the row's `intercept` (see monitor-hooks.ts).
 */
export const INTERCEPTS = [
  'cpuid', 'hlt', 'rdtsc', 'rdpmc', 'rdmsr', 'wrmsr', 'mov-cr', 'mov-dr', 'invlpg', 'io',
  'lgdt', 'lidt', 'sgdt', 'sidt', 'lldt', 'ltr', 'sldt', 'str',
] as const;
export type Intercept = (typeof INTERCEPTS)[number];

/**
 * What a software monitor that trapped and emulated the form counts it as (a subset of its
 * interventions). Forms without one are emulated only as memory accesses the monitor protects.
 */
export const TRAP_KINDS = [
  'iflag', 'privileged', 'control-register', 'descriptor-table', 'msr', 'io', 'int', 'iret', 'sysexit', 'segment',
  'far-transfer',
] as const;
export type TrapKind = (typeof TRAP_KINDS)[number];

/**
 * The block translator's templates (emulator/cpu/jit/templates.ts): each generates the inline
 * JavaScript of a family of forms; the form's operands, handler and arg select the variant.
 */
export const JIT_TEMPLATES = [
  'alu', 'test', 'mov', 'lea', 'push', 'pop', 'incdec', 'shift', 'jcond', 'jmp', 'call', 'ret', 'movx',
  'setcc', 'cmovcc', 'imul', 'nop', 'string',
] as const;
export type JitTemplate = (typeof JIT_TEMPLATES)[number];

/** Immediate or displacement bytes following the ModRM/SIB/displacement. */
export type ImmKind =
  | '' // none
  | 'Ib' // 8-bit, zero-extended
  | 'Ibs' // 8-bit, sign-extended to the operand size
  | 'Iw' // 16-bit
  | 'Iz' // 16 or 32 bits by operand size
  | 'Jb' // rel8
  | 'Jz' // rel16/32 by operand size
  | 'Ap' // ptr16:16 or ptr16:32 by operand size
  | 'O' // moffs: 16 or 32 bits by address size
  | 'IwIb'; // ENTER

export interface OpForm {
  /** 0x00-0xFF for one-byte opcodes, 0x0F00-0x0FFF for 0F xx. */
  readonly code: number;
  /** ModRM.reg digit for group opcodes, -1 otherwise. */
  readonly reg: number;
  /**
   * For a form that is one register ModRM byte of a group opcode (STAC is 0F 01 CB), that byte;
   * -1 otherwise. Such a form takes precedence over the group's row for its ModRM.reg.
   */
  readonly modrmByte: number;
  readonly mnemonic: string;
  /** Operands in SDM notation, e.g. "Ev,Gv". */
  readonly operands: string;
  /** Name of the handler in emulator/cpu/ops (named after the form, e.g. aluEvGv, lgdt). */
  readonly handler: HandlerName;
  /** Constant passed to the handler (ALU operation, condition code, register, width...). */
  readonly arg: number;
  /** A ModRM byte follows the opcode (derived from the operands). */
  readonly modrm: boolean;
  readonly imm: ImmKind;
  /** 'mem': #UD when ModRM.mod = 3; 'regonly': #UD unless ModRM.mod = 3; 'reg': ModRM always names registers (MOV CRn). */
  readonly rm: '' | 'mem' | 'regonly' | 'reg';
  /** Ends a decoded block: the instruction may change EIP, CS or the execution mode. */
  readonly endsBlock: boolean;
  /** LOCK prefix allowed (with a memory destination). */
  readonly lockable: boolean;
  /** A string instruction: with a REP prefix it may leave EIP on itself to repeat. */
  readonly repeats: boolean;
  /** Its register-only form touches nothing but registers and flags (cannot set cpu.brk). */
  readonly pure: boolean;
  /** The intercept a monitor is offered before the form executes ('' = none). */
  readonly intercept: Intercept | '';
  /** What a software monitor counts the form as when it traps and emulates it ('' = memory). */
  readonly trap: TrapKind | '';
  /**
   * The block translator's template for the form (emulator/cpu/jit): its semantics are generated
   * inline in translated code. '' = none: a translated block calls the handler.
   */
  readonly jit: JitTemplate | '';
  /**
   * The flags it reads, writes (gives a defined value) and leaves undefined, as EFLAGS bits, as
   * iced-x86 records them (form-flags.ts, generated; a test keeps it current).
   */
  readonly flags: { readonly read: number; readonly written: number; readonly undefined: number };
}

/** A form's key in tables about forms: its opcode and ModRM.reg digit, e.g. `0f01/2`, `01/-1`. */
export function formKey(f: Pick<OpForm, 'code' | 'reg'>): string {
  return `${f.code.toString(16).padStart(2, '0')}/${f.reg}`;
}

const NO_FLAGS = [0, 0, 0] as const;

const forms: OpForm[] = [];

interface Extra {
  arg?: number;
  modrmByte?: number;
  rm?: OpForm['rm'];
  ends?: boolean;
  lock?: boolean;
  reg?: number;
  repeats?: boolean;
  pure?: boolean;
  intercept?: Intercept;
  trap?: TrapKind;
  jit?: JitTemplate;
}

/**
 * Whether the operands need a ModRM byte: any E, G, M, R, S, C or D operand (an SDM letter and
 * a lowercase size), or an x87 escape. Group opcodes always have one (ModRM.reg selects them).
 */
function hasModrm(operands: string): boolean {
  return operands === 'x87' || operands.split(',').some((o) => /^[EGMRSCD][a-z]*$/.test(o));
}

function op(code: number, mnemonic: string, operands: string, handler: HandlerName, imm: ImmKind, x: Extra = {}): void {
  forms.push({
    code,
    reg: x.reg ?? -1,
    modrmByte: x.modrmByte ?? -1,
    mnemonic,
    operands,
    handler,
    arg: x.arg ?? 0,
    modrm: x.reg !== undefined || hasModrm(operands),
    imm,
    rm: x.rm ?? '',
    endsBlock: x.ends ?? false,
    lockable: x.lock ?? false,
    repeats: x.repeats ?? false,
    pure: x.pure ?? false,
    intercept: x.intercept ?? '',
    trap: x.trap ?? '',
    jit: x.jit ?? '',
    flags: flagsOf(code, x.reg ?? -1),
  });
}

function flagsOf(code: number, reg: number): OpForm['flags'] {
  const [read, written, undef] = FORM_FLAGS[formKey({ code, reg })] ?? NO_FLAGS;
  return { read, written, undefined: undef };
}

/** A group opcode: ModRM.reg selects the form. */
function grp(code: number, reg: number, mnemonic: string, operands: string, handler: HandlerName, imm: ImmKind, x: Extra = {}): void {
  op(code, mnemonic, operands, handler, imm, { ...x, reg });
}

/** A form that is one register ModRM byte (mod = 3) of a group opcode, e.g. STAC (0F 01 CB). */
function fixed(code: number, modrmByte: number, mnemonic: string, handler: HandlerName, x: Extra = {}): void {
  op(code, mnemonic, '', handler, '', { ...x, reg: (modrmByte >> 3) & 7, modrmByte });
}

// --- Arithmetic and logic: 00-3F ------------------------------------------------------------
export const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
export const ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7;
ALU_NAMES.forEach((m, a) => {
  const base = a << 3;
  const lock = a !== ALU_CMP;
  op(base + 0, m, 'Eb,Gb', 'aluEbGb', '', { arg: a, lock, pure: true, jit: 'alu' });
  op(base + 1, m, 'Ev,Gv', 'aluEvGv', '', { arg: a, lock, pure: true, jit: 'alu' });
  op(base + 2, m, 'Gb,Eb', 'aluGbEb', '', { arg: a, pure: true, jit: 'alu' });
  op(base + 3, m, 'Gv,Ev', 'aluGvEv', '', { arg: a, pure: true, jit: 'alu' });
  op(base + 4, m, 'AL,Ib', 'aluALIb', 'Ib', { arg: a, pure: true, jit: 'alu' });
  op(base + 5, m, 'eAX,Iz', 'aluEAXIz', 'Iz', { arg: a, pure: true, jit: 'alu' });
  grp(0x80, a, m, 'Eb,Ib', 'aluEbIb', 'Ib', { arg: a, lock, pure: true, jit: 'alu' });
  grp(0x81, a, m, 'Ev,Iz', 'aluEvIz', 'Iz', { arg: a, lock, pure: true, jit: 'alu' });
  grp(0x82, a, m, 'Eb,Ib', 'aluEbIb', 'Ib', { arg: a, lock, pure: true, jit: 'alu' });
  grp(0x83, a, m, 'Ev,Ib', 'aluEvIb', 'Ibs', { arg: a, lock, pure: true, jit: 'alu' });
});

// Segment register push/pop (the arg is the segment register index).
op(0x06, 'push', 'ES', 'pushSreg', '', { arg: 0 });
op(0x07, 'pop', 'ES', 'popSreg', '', { arg: 0, ends: true, trap: 'segment' });
op(0x0e, 'push', 'CS', 'pushSreg', '', { arg: 1 });
op(0x16, 'push', 'SS', 'pushSreg', '', { arg: 2 });
op(0x17, 'pop', 'SS', 'popSreg', '', { arg: 2, ends: true, trap: 'segment' });
op(0x1e, 'push', 'DS', 'pushSreg', '', { arg: 3 });
op(0x1f, 'pop', 'DS', 'popSreg', '', { arg: 3, ends: true, trap: 'segment' });
op(0x0fa0, 'push', 'FS', 'pushSreg', '', { arg: 4 });
op(0x0fa1, 'pop', 'FS', 'popSreg', '', { arg: 4, ends: true, trap: 'segment' });
op(0x0fa8, 'push', 'GS', 'pushSreg', '', { arg: 5 });
op(0x0fa9, 'pop', 'GS', 'popSreg', '', { arg: 5, ends: true, trap: 'segment' });

// BCD adjustments.
op(0x27, 'daa', '', 'daa', '');
op(0x2f, 'das', '', 'das', '');
op(0x37, 'aaa', '', 'aaa', '');
op(0x3f, 'aas', '', 'aas', '');
op(0xd4, 'aam', 'Ib', 'aam', 'Ib');
op(0xd5, 'aad', 'Ib', 'aad', 'Ib');

// INC/DEC/PUSH/POP register (arg = register).
for (let r = 0; r < 8; r++) {
  op(0x40 + r, 'inc', 'Zv', 'incZv', '', { arg: r, pure: true, jit: 'incdec' });
  op(0x48 + r, 'dec', 'Zv', 'decZv', '', { arg: r, pure: true, jit: 'incdec' });
  op(0x50 + r, 'push', 'Zv', 'pushZv', '', { arg: r, jit: 'push' });
  op(0x58 + r, 'pop', 'Zv', 'popZv', '', { arg: r, jit: 'pop' });
  op(0x90 + r, r === 0 ? 'nop' : 'xchg', r === 0 ? '' : 'Zv,eAX', r === 0 ? 'nop' : 'xchgZvEAX', '', { arg: r, pure: true, jit: r === 0 ? 'nop' : undefined });
  op(0xb0 + r, 'mov', 'Zb,Ib', 'movZbIb', 'Ib', { arg: r, pure: true, jit: 'mov' });
  op(0xb8 + r, 'mov', 'Zv,Iz', 'movZvIz', 'Iz', { arg: r, pure: true, jit: 'mov' });
  op(0x0fc8 + r, 'bswap', 'Zd', 'bswapZd', '', { arg: r, pure: true });
}

op(0x60, 'pusha', '', 'pusha', '');
op(0x61, 'popa', '', 'popa', '');
op(0x62, 'bound', 'Gv,Ma', 'boundGvMa', '', { rm: 'mem' });
op(0x63, 'arpl', 'Ew,Gw', 'arplEwGw', '');
op(0x68, 'push', 'Iz', 'pushIz', 'Iz', { jit: 'push' });
op(0x69, 'imul', 'Gv,Ev,Iz', 'imulGvEvIz', 'Iz', { pure: true, jit: 'imul' });
op(0x6a, 'push', 'Ib', 'pushIz', 'Ibs', { jit: 'push' });
op(0x6b, 'imul', 'Gv,Ev,Ib', 'imulGvEvIz', 'Ibs', { pure: true, jit: 'imul' });

// String and port-string instructions (arg = element width in bytes; 0 = operand size).
op(0x6c, 'insb', '', 'ins', '', { arg: 1, repeats: true, trap: 'io' });
op(0x6d, 'ins', '', 'ins', '', { arg: 0, repeats: true, trap: 'io' });
op(0x6e, 'outsb', '', 'outs', '', { arg: 1, repeats: true, trap: 'io' });
op(0x6f, 'outs', '', 'outs', '', { arg: 0, repeats: true, trap: 'io' });
op(0xa4, 'movsb', '', 'movs', '', { arg: 1, repeats: true, jit: 'string' });
op(0xa5, 'movs', '', 'movs', '', { arg: 0, repeats: true, jit: 'string' });
op(0xa6, 'cmpsb', '', 'cmps', '', { arg: 1, repeats: true });
op(0xa7, 'cmps', '', 'cmps', '', { arg: 0, repeats: true });
op(0xaa, 'stosb', '', 'stos', '', { arg: 1, repeats: true, jit: 'string' });
op(0xab, 'stos', '', 'stos', '', { arg: 0, repeats: true, jit: 'string' });
op(0xac, 'lodsb', '', 'lods', '', { arg: 1, repeats: true, jit: 'string' });
op(0xad, 'lods', '', 'lods', '', { arg: 0, repeats: true, jit: 'string' });
op(0xae, 'scasb', '', 'scas', '', { arg: 1, repeats: true });
op(0xaf, 'scas', '', 'scas', '', { arg: 0, repeats: true });

// Conditional branches, SETcc, CMOVcc (arg = condition code tttn).
export const CC_NAMES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;
CC_NAMES.forEach((cc, c) => {
  op(0x70 + c, 'j' + cc, 'Jb', 'jcc', 'Jb', { arg: c, ends: true, jit: 'jcond' });
  op(0x0f80 + c, 'j' + cc, 'Jz', 'jcc', 'Jz', { arg: c, ends: true, jit: 'jcond' });
  op(0x0f90 + c, 'set' + cc, 'Eb', 'setccEb', '', { arg: c, pure: true, jit: 'setcc' });
  op(0x0f40 + c, 'cmov' + cc, 'Gv,Ev', 'cmovccGvEv', '', { arg: c, pure: true, jit: 'cmovcc' });
});

op(0x84, 'test', 'Eb,Gb', 'testEbGb', '', { pure: true, jit: 'test' });
op(0x85, 'test', 'Ev,Gv', 'testEvGv', '', { pure: true, jit: 'test' });
op(0x86, 'xchg', 'Eb,Gb', 'xchgEbGb', '', { lock: true, pure: true });
op(0x87, 'xchg', 'Ev,Gv', 'xchgEvGv', '', { lock: true, pure: true });
op(0x88, 'mov', 'Eb,Gb', 'movEbGb', '', { pure: true, jit: 'mov' });
op(0x89, 'mov', 'Ev,Gv', 'movEvGv', '', { pure: true, jit: 'mov' });
op(0x8a, 'mov', 'Gb,Eb', 'movGbEb', '', { pure: true, jit: 'mov' });
op(0x8b, 'mov', 'Gv,Ev', 'movGvEv', '', { pure: true, jit: 'mov' });
// MOV to/from segment registers: ModRM.reg names the register; 6 and 7 (and MOV CS) are #UD.
for (const r of [0, 1, 2, 3, 4, 5]) grp(0x8c, r, 'mov', 'Ev,Sw', 'movEvSw', '');
op(0x8d, 'lea', 'Gv,M', 'leaGvM', '', { rm: 'mem', pure: true, jit: 'lea' });
for (const r of [0, 2, 3, 4, 5]) grp(0x8e, r, 'mov', 'Sw,Ew', 'movSwEw', '', { ends: true, trap: 'segment' });
grp(0x8f, 0, 'pop', 'Ev', 'popEv', '');

op(0x98, 'cwde', '', 'cwde', '', { pure: true });
op(0x99, 'cdq', '', 'cdq', '', { pure: true });
op(0x9a, 'call', 'Ap', 'callAp', 'Ap', { ends: true, trap: 'far-transfer' });
op(0x9b, 'wait', '', 'wait', '');
op(0x9c, 'pushf', '', 'pushf', '');
op(0x9d, 'popf', '', 'popf', '', { ends: true });
op(0x9e, 'sahf', '', 'sahf', '', { pure: true });
op(0x9f, 'lahf', '', 'lahf', '', { pure: true });
op(0xa0, 'mov', 'AL,Ob', 'movALOb', 'O');
op(0xa1, 'mov', 'eAX,Ov', 'movEAXOv', 'O');
op(0xa2, 'mov', 'Ob,AL', 'movObAL', 'O');
op(0xa3, 'mov', 'Ov,eAX', 'movOvEAX', 'O');
op(0xa8, 'test', 'AL,Ib', 'testALIb', 'Ib', { pure: true, jit: 'test' });
op(0xa9, 'test', 'eAX,Iz', 'testEAXIz', 'Iz', { pure: true, jit: 'test' });

// Shifts and rotates, group 2 (arg = source: 0 = Ib, 1 = the constant 1, 2 = CL).
export const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
SHIFT_NAMES.forEach((m, r) => {
  grp(0xc0, r, m, 'Eb,Ib', 'shiftEb', 'Ib', { arg: 0, pure: true });
  grp(0xc1, r, m, 'Ev,Ib', 'shiftEv', 'Ib', { arg: 0, pure: true, jit: 'shift' });
  grp(0xd0, r, m, 'Eb,1', 'shiftEb', '', { arg: 1, pure: true });
  grp(0xd1, r, m, 'Ev,1', 'shiftEv', '', { arg: 1, pure: true, jit: 'shift' });
  grp(0xd2, r, m, 'Eb,CL', 'shiftEb', '', { arg: 2, pure: true });
  grp(0xd3, r, m, 'Ev,CL', 'shiftEv', '', { arg: 2, pure: true, jit: 'shift' });
});

op(0xc2, 'ret', 'Iw', 'retNear', 'Iw', { ends: true, jit: 'ret' });
op(0xc3, 'ret', '', 'retNear', '', { ends: true, jit: 'ret' });
op(0xc4, 'les', 'Gv,Mp', 'lfpGvMp', '', { arg: 0, rm: 'mem', ends: true, trap: 'segment' });
op(0xc5, 'lds', 'Gv,Mp', 'lfpGvMp', '', { arg: 3, rm: 'mem', ends: true, trap: 'segment' });
op(0x0fb2, 'lss', 'Gv,Mp', 'lfpGvMp', '', { arg: 2, rm: 'mem', ends: true, trap: 'segment' });
op(0x0fb4, 'lfs', 'Gv,Mp', 'lfpGvMp', '', { arg: 4, rm: 'mem', ends: true, trap: 'segment' });
op(0x0fb5, 'lgs', 'Gv,Mp', 'lfpGvMp', '', { arg: 5, rm: 'mem', ends: true, trap: 'segment' });
grp(0xc6, 0, 'mov', 'Eb,Ib', 'movEbIb', 'Ib', { pure: true, jit: 'mov' });
grp(0xc7, 0, 'mov', 'Ev,Iz', 'movEvIz', 'Iz', { pure: true, jit: 'mov' });
op(0xc8, 'enter', 'Iw,Ib', 'enter', 'IwIb');
op(0xc9, 'leave', '', 'leave', '');
op(0xca, 'retf', 'Iw', 'retfIw', 'Iw', { ends: true, trap: 'far-transfer' });
op(0xcb, 'retf', '', 'retfIw', '', { ends: true, trap: 'far-transfer' });
op(0xcc, 'int3', '', 'int3', '', { ends: true, trap: 'int' });
op(0xcd, 'int', 'Ib', 'intIb', 'Ib', { ends: true, trap: 'int' });
op(0xce, 'into', '', 'into', '', { ends: true, trap: 'int' });
op(0xcf, 'iret', '', 'iret', '', { ends: true, trap: 'iret' });
op(0xd7, 'xlat', '', 'xlat', '');

// x87 escapes: decoded (they have a ModRM) and raise #NM or #UD: there is no FPU.
for (let c = 0xd8; c <= 0xdf; c++) op(c, 'esc', 'x87', 'fpuEscape', '');

op(0xe0, 'loopne', 'Jb', 'loop', 'Jb', { arg: 0, ends: true });
op(0xe1, 'loope', 'Jb', 'loop', 'Jb', { arg: 1, ends: true });
op(0xe2, 'loop', 'Jb', 'loop', 'Jb', { arg: 2, ends: true });
op(0xe3, 'jecxz', 'Jb', 'loop', 'Jb', { arg: 3, ends: true });
op(0xe4, 'in', 'AL,Ib', 'inPort', 'Ib', { arg: 1, intercept: 'io', trap: 'io' });
op(0xe5, 'in', 'eAX,Ib', 'inPort', 'Ib', { arg: 0, intercept: 'io', trap: 'io' });
op(0xe6, 'out', 'Ib,AL', 'outPort', 'Ib', { arg: 1, ends: true, intercept: 'io', trap: 'io' });
op(0xe7, 'out', 'Ib,eAX', 'outPort', 'Ib', { arg: 0, ends: true, intercept: 'io', trap: 'io' });
op(0xe8, 'call', 'Jz', 'callJz', 'Jz', { ends: true, jit: 'call' });
op(0xe9, 'jmp', 'Jz', 'jmpJz', 'Jz', { ends: true, jit: 'jmp' });
op(0xea, 'jmp', 'Ap', 'jmpAp', 'Ap', { ends: true, trap: 'far-transfer' });
op(0xeb, 'jmp', 'Jb', 'jmpJz', 'Jb', { ends: true, jit: 'jmp' });
op(0xec, 'in', 'AL,DX', 'inDX', '', { arg: 1, intercept: 'io', trap: 'io' });
op(0xed, 'in', 'eAX,DX', 'inDX', '', { arg: 0, intercept: 'io', trap: 'io' });
op(0xee, 'out', 'DX,AL', 'outDX', '', { arg: 1, ends: true, intercept: 'io', trap: 'io' });
op(0xef, 'out', 'DX,eAX', 'outDX', '', { arg: 0, ends: true, intercept: 'io', trap: 'io' });

op(0xf4, 'hlt', '', 'hlt', '', { ends: true, intercept: 'hlt', trap: 'privileged' });
op(0xf5, 'cmc', '', 'cmc', '', { pure: true });
grp(0xf6, 0, 'test', 'Eb,Ib', 'testEbIb', 'Ib', { pure: true, jit: 'test' });
grp(0xf6, 1, 'test', 'Eb,Ib', 'testEbIb', 'Ib', { pure: true, jit: 'test' });
grp(0xf6, 2, 'not', 'Eb', 'notEb', '', { lock: true, pure: true });
grp(0xf6, 3, 'neg', 'Eb', 'negEb', '', { lock: true, pure: true });
grp(0xf6, 4, 'mul', 'Eb', 'mulEb', '', { pure: true });
grp(0xf6, 5, 'imul', 'Eb', 'imulEb', '', { pure: true });
grp(0xf6, 6, 'div', 'Eb', 'divEb', '');
grp(0xf6, 7, 'idiv', 'Eb', 'idivEb', '');
grp(0xf7, 0, 'test', 'Ev,Iz', 'testEvIz', 'Iz', { pure: true, jit: 'test' });
grp(0xf7, 1, 'test', 'Ev,Iz', 'testEvIz', 'Iz', { pure: true, jit: 'test' });
grp(0xf7, 2, 'not', 'Ev', 'notEv', '', { lock: true, pure: true });
grp(0xf7, 3, 'neg', 'Ev', 'negEv', '', { lock: true, pure: true });
grp(0xf7, 4, 'mul', 'Ev', 'mulEv', '', { pure: true });
grp(0xf7, 5, 'imul', 'Ev', 'imulEv', '', { pure: true });
grp(0xf7, 6, 'div', 'Ev', 'divEv', '');
grp(0xf7, 7, 'idiv', 'Ev', 'idivEv', '');
op(0xf8, 'clc', '', 'clc', '', { pure: true });
op(0xf9, 'stc', '', 'stc', '', { pure: true });
op(0xfa, 'cli', '', 'cli', '', { ends: true, trap: 'iflag' });
op(0xfb, 'sti', '', 'sti', '', { ends: true, trap: 'iflag' });
op(0xfc, 'cld', '', 'cld', '', { pure: true });
op(0xfd, 'std', '', 'std', '', { pure: true });
grp(0xfe, 0, 'inc', 'Eb', 'incEb', '', { lock: true, pure: true, jit: 'incdec' });
grp(0xfe, 1, 'dec', 'Eb', 'decEb', '', { lock: true, pure: true, jit: 'incdec' });
grp(0xff, 0, 'inc', 'Ev', 'incEv', '', { lock: true, pure: true, jit: 'incdec' });
grp(0xff, 1, 'dec', 'Ev', 'decEv', '', { lock: true, pure: true, jit: 'incdec' });
grp(0xff, 2, 'call', 'Ev', 'callEv', '', { ends: true });
grp(0xff, 3, 'call', 'Mp', 'callMp', '', { rm: 'mem', ends: true, trap: 'far-transfer' });
grp(0xff, 4, 'jmp', 'Ev', 'jmpEv', '', { ends: true });
grp(0xff, 5, 'jmp', 'Mp', 'jmpMp', '', { rm: 'mem', ends: true, trap: 'far-transfer' });
grp(0xff, 6, 'push', 'Ev', 'pushEv', '', { jit: 'push' });

// --- Two-byte opcodes ----------------------------------------------------------------------
grp(0x0f00, 0, 'sldt', 'Ew', 'sldtEw', '', { intercept: 'sldt', trap: 'descriptor-table' });
grp(0x0f00, 1, 'str', 'Ew', 'strEw', '', { intercept: 'str', trap: 'descriptor-table' });
grp(0x0f00, 2, 'lldt', 'Ew', 'lldtEw', '', { ends: true, intercept: 'lldt', trap: 'descriptor-table' });
grp(0x0f00, 3, 'ltr', 'Ew', 'ltrEw', '', { ends: true, intercept: 'ltr', trap: 'descriptor-table' });
grp(0x0f00, 4, 'verr', 'Ew', 'verEw', '', { arg: 0 });
grp(0x0f00, 5, 'verw', 'Ew', 'verEw', '', { arg: 1 });
grp(0x0f01, 0, 'sgdt', 'Ms', 'sgdt', '', { arg: 0, rm: 'mem', intercept: 'sgdt', trap: 'descriptor-table' });
grp(0x0f01, 1, 'sidt', 'Ms', 'sidt', '', { arg: 1, rm: 'mem', intercept: 'sidt', trap: 'descriptor-table' });
grp(0x0f01, 2, 'lgdt', 'Ms', 'lgdt', '', { arg: 0, rm: 'mem', ends: true, intercept: 'lgdt', trap: 'descriptor-table' });
grp(0x0f01, 3, 'lidt', 'Ms', 'lidt', '', { arg: 1, rm: 'mem', ends: true, intercept: 'lidt', trap: 'descriptor-table' });
grp(0x0f01, 4, 'smsw', 'Ew', 'smswEw', '', { trap: 'control-register' });
fixed(0x0f01, 0xca, 'clac', 'clac', { trap: 'privileged' });
fixed(0x0f01, 0xcb, 'stac', 'stac', { trap: 'privileged' });
fixed(0x0f01, 0xf9, 'rdtscp', 'rdtscp');
grp(0x0f01, 6, 'lmsw', 'Ew', 'lmswEw', '', { ends: true, trap: 'control-register' });
grp(0x0f01, 7, 'invlpg', 'Mb', 'invlpgMb', '', { rm: 'mem', ends: true, intercept: 'invlpg', trap: 'control-register' });
op(0x0f02, 'lar', 'Gv,Ew', 'larGvEw', '');
op(0x0f03, 'lsl', 'Gv,Ew', 'lslGvEw', '');
op(0x0f06, 'clts', '', 'clts', '', { ends: true, trap: 'control-register' });
op(0x0f08, 'invd', '', 'invd', '', { trap: 'privileged' });
op(0x0f09, 'wbinvd', '', 'wbinvd', '', { trap: 'privileged' });
op(0x0f0b, 'ud2', '', 'ud2', '', { ends: true });
for (let c = 0x0f18; c <= 0x0f1f; c++) op(c, 'nop', 'Ev', 'nopEv', '', { pure: true });
// MOV to/from CR0, CR2, CR3, CR4 (CR1 and CR5-7 are #UD).
for (const r of [0, 2, 3, 4]) grp(0x0f20, r, 'mov', 'Rd,Cd', 'movRdCd', '', { rm: 'reg', intercept: 'mov-cr', trap: 'control-register' });
op(0x0f21, 'mov', 'Rd,Dd', 'movRdDd', '', { rm: 'reg', intercept: 'mov-dr', trap: 'privileged' });
for (const r of [0, 2, 3, 4]) grp(0x0f22, r, 'mov', 'Cd,Rd', 'movCdRd', '', { rm: 'reg', ends: true, intercept: 'mov-cr', trap: 'control-register' });
op(0x0f23, 'mov', 'Dd,Rd', 'movDdRd', '', { rm: 'reg', intercept: 'mov-dr', trap: 'privileged' });
op(0x0f30, 'wrmsr', '', 'wrmsr', '', { ends: true, intercept: 'wrmsr', trap: 'msr' });
op(0x0f31, 'rdtsc', '', 'rdtsc', '', { intercept: 'rdtsc' });
op(0x0f32, 'rdmsr', '', 'rdmsr', '', { intercept: 'rdmsr', trap: 'msr' });
op(0x0f33, 'rdpmc', '', 'rdpmc', '', { intercept: 'rdpmc' });
op(0x0f34, 'sysenter', '', 'sysenter', '', { ends: true });
op(0x0f35, 'sysexit', '', 'sysexit', '', { ends: true, trap: 'sysexit' });
op(0x0fa2, 'cpuid', '', 'cpuid', '', { intercept: 'cpuid' });
op(0x0fa3, 'bt', 'Ev,Gv', 'btEvGv', '', { arg: 0, pure: true });
op(0x0fab, 'bts', 'Ev,Gv', 'btEvGv', '', { arg: 1, lock: true, pure: true });
op(0x0fb3, 'btr', 'Ev,Gv', 'btEvGv', '', { arg: 2, lock: true, pure: true });
op(0x0fbb, 'btc', 'Ev,Gv', 'btEvGv', '', { arg: 3, lock: true, pure: true });
grp(0x0fba, 4, 'bt', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 0, pure: true });
grp(0x0fba, 5, 'bts', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 1, lock: true, pure: true });
grp(0x0fba, 6, 'btr', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 2, lock: true, pure: true });
grp(0x0fba, 7, 'btc', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 3, lock: true, pure: true });
op(0x0fa4, 'shld', 'Ev,Gv,Ib', 'shldEvGv', 'Ib', { arg: 0, pure: true });
op(0x0fa5, 'shld', 'Ev,Gv,CL', 'shldEvGv', '', { arg: 2, pure: true });
op(0x0fac, 'shrd', 'Ev,Gv,Ib', 'shrdEvGv', 'Ib', { arg: 0, pure: true });
op(0x0fad, 'shrd', 'Ev,Gv,CL', 'shrdEvGv', '', { arg: 2, pure: true });
op(0x0faf, 'imul', 'Gv,Ev', 'imulGvEv', '', { pure: true, jit: 'imul' });
op(0x0fb0, 'cmpxchg', 'Eb,Gb', 'cmpxchgEbGb', '', { lock: true });
op(0x0fb1, 'cmpxchg', 'Ev,Gv', 'cmpxchgEvGv', '', { lock: true });
op(0x0fb6, 'movzx', 'Gv,Eb', 'movzxGvEb', '', { pure: true, jit: 'movx' });
op(0x0fb7, 'movzx', 'Gv,Ew', 'movzxGvEw', '', { pure: true, jit: 'movx' });
op(0x0fbe, 'movsx', 'Gv,Eb', 'movsxGvEb', '', { pure: true, jit: 'movx' });
op(0x0fbf, 'movsx', 'Gv,Ew', 'movsxGvEw', '', { pure: true, jit: 'movx' });
op(0x0fbc, 'bsf', 'Gv,Ev', 'bsfGvEv', '', { pure: true });
op(0x0fbd, 'bsr', 'Gv,Ev', 'bsrGvEv', '', { pure: true });
op(0x0fc0, 'xadd', 'Eb,Gb', 'xaddEbGb', '', { lock: true });
op(0x0fc1, 'xadd', 'Ev,Gv', 'xaddEvGv', '', { lock: true });
grp(0x0fc7, 1, 'cmpxchg8b', 'Mq', 'cmpxchg8bMq', '', { rm: 'mem', lock: true });
grp(0x0fc7, 7, 'rdpid', 'Rd', 'rdpidRd', '', { rm: 'regonly' });

/** Every implemented form, in table order. */
export const OPCODE_FORMS: readonly OpForm[] = forms;
