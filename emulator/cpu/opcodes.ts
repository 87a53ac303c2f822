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
 */

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
  readonly mnemonic: string;
  /** Operands in SDM notation, e.g. "Ev,Gv". */
  readonly operands: string;
  /** Name of the handler in emulator/cpu/ops (named in operand notation, e.g. aluEvGv). */
  readonly handler: string;
  /** Constant passed to the handler (ALU operation, condition code, register, width...). */
  readonly arg: number;
  readonly modrm: boolean;
  readonly imm: ImmKind;
  /** 'mem': #UD when ModRM.mod = 3; 'reg': ModRM always names registers (MOV CRn). */
  readonly rm: '' | 'mem' | 'regonly' | 'reg';
  /** Ends a decoded block: the instruction may change EIP, CS or the execution mode. */
  readonly endsBlock: boolean;
  /** LOCK prefix allowed (with a memory destination). */
  readonly lockable: boolean;
}

const forms: OpForm[] = [];

interface Extra {
  arg?: number;
  rm?: OpForm['rm'];
  ends?: boolean;
  lock?: boolean;
  reg?: number;
}

function op(code: number, mnemonic: string, operands: string, handler: string, modrm: boolean, imm: ImmKind, x: Extra = {}): void {
  forms.push({
    code,
    reg: x.reg ?? -1,
    mnemonic,
    operands,
    handler,
    arg: x.arg ?? 0,
    modrm,
    imm,
    rm: x.rm ?? '',
    endsBlock: x.ends ?? false,
    lockable: x.lock ?? false,
  });
}

/** A group opcode: ModRM.reg selects the form. */
function grp(code: number, reg: number, mnemonic: string, operands: string, handler: string, imm: ImmKind, x: Extra = {}): void {
  op(code, mnemonic, operands, handler, true, imm, { ...x, reg });
}

// --- Arithmetic and logic: 00-3F ------------------------------------------------------------
export const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
export const ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7;
ALU_NAMES.forEach((m, a) => {
  const base = a << 3;
  const lock = a !== ALU_CMP;
  op(base + 0, m, 'Eb,Gb', 'aluEbGb', true, '', { arg: a, lock });
  op(base + 1, m, 'Ev,Gv', 'aluEvGv', true, '', { arg: a, lock });
  op(base + 2, m, 'Gb,Eb', 'aluGbEb', true, '', { arg: a });
  op(base + 3, m, 'Gv,Ev', 'aluGvEv', true, '', { arg: a });
  op(base + 4, m, 'AL,Ib', 'aluALIb', false, 'Ib', { arg: a });
  op(base + 5, m, 'eAX,Iz', 'aluEAXIz', false, 'Iz', { arg: a });
  grp(0x80, a, m, 'Eb,Ib', 'aluEbIb', 'Ib', { arg: a, lock });
  grp(0x81, a, m, 'Ev,Iz', 'aluEvIz', 'Iz', { arg: a, lock });
  grp(0x82, a, m, 'Eb,Ib', 'aluEbIb', 'Ib', { arg: a, lock });
  grp(0x83, a, m, 'Ev,Ib', 'aluEvIz', 'Ibs', { arg: a, lock });
});

// Segment register push/pop (the arg is the segment register index).
op(0x06, 'push', 'ES', 'pushSreg', false, '', { arg: 0 });
op(0x07, 'pop', 'ES', 'popSreg', false, '', { arg: 0, ends: true });
op(0x0e, 'push', 'CS', 'pushSreg', false, '', { arg: 1 });
op(0x16, 'push', 'SS', 'pushSreg', false, '', { arg: 2 });
op(0x17, 'pop', 'SS', 'popSreg', false, '', { arg: 2, ends: true });
op(0x1e, 'push', 'DS', 'pushSreg', false, '', { arg: 3 });
op(0x1f, 'pop', 'DS', 'popSreg', false, '', { arg: 3, ends: true });
op(0x0fa0, 'push', 'FS', 'pushSreg', false, '', { arg: 4 });
op(0x0fa1, 'pop', 'FS', 'popSreg', false, '', { arg: 4, ends: true });
op(0x0fa8, 'push', 'GS', 'pushSreg', false, '', { arg: 5 });
op(0x0fa9, 'pop', 'GS', 'popSreg', false, '', { arg: 5, ends: true });

// BCD adjustments.
op(0x27, 'daa', '', 'daa', false, '');
op(0x2f, 'das', '', 'das', false, '');
op(0x37, 'aaa', '', 'aaa', false, '');
op(0x3f, 'aas', '', 'aas', false, '');
op(0xd4, 'aam', 'Ib', 'aam', false, 'Ib');
op(0xd5, 'aad', 'Ib', 'aad', false, 'Ib');

// INC/DEC/PUSH/POP register (arg = register).
for (let r = 0; r < 8; r++) {
  op(0x40 + r, 'inc', 'Zv', 'incZv', false, '', { arg: r });
  op(0x48 + r, 'dec', 'Zv', 'decZv', false, '', { arg: r });
  op(0x50 + r, 'push', 'Zv', 'pushZv', false, '', { arg: r });
  op(0x58 + r, 'pop', 'Zv', 'popZv', false, '', { arg: r });
  op(0x90 + r, r === 0 ? 'nop' : 'xchg', r === 0 ? '' : 'Zv,eAX', r === 0 ? 'nop' : 'xchgZvEAX', false, '', { arg: r });
  op(0xb0 + r, 'mov', 'Zb,Ib', 'movZbIb', false, 'Ib', { arg: r });
  op(0xb8 + r, 'mov', 'Zv,Iz', 'movZvIz', false, 'Iz', { arg: r });
  op(0x0fc8 + r, 'bswap', 'Zd', 'bswapZd', false, '', { arg: r });
}

op(0x60, 'pusha', '', 'pusha', false, '');
op(0x61, 'popa', '', 'popa', false, '');
op(0x62, 'bound', 'Gv,Ma', 'boundGvMa', true, '', { rm: 'mem' });
op(0x63, 'arpl', 'Ew,Gw', 'arplEwGw', true, '');
op(0x68, 'push', 'Iz', 'pushIz', false, 'Iz');
op(0x69, 'imul', 'Gv,Ev,Iz', 'imulGvEvIz', true, 'Iz');
op(0x6a, 'push', 'Ib', 'pushIz', false, 'Ibs');
op(0x6b, 'imul', 'Gv,Ev,Ib', 'imulGvEvIz', true, 'Ibs');

// String and port-string instructions (arg = element width in bytes; 0 = operand size).
op(0x6c, 'insb', '', 'ins', false, '', { arg: 1 });
op(0x6d, 'ins', '', 'ins', false, '', { arg: 0 });
op(0x6e, 'outsb', '', 'outs', false, '', { arg: 1 });
op(0x6f, 'outs', '', 'outs', false, '', { arg: 0 });
op(0xa4, 'movsb', '', 'movs', false, '', { arg: 1 });
op(0xa5, 'movs', '', 'movs', false, '', { arg: 0 });
op(0xa6, 'cmpsb', '', 'cmps', false, '', { arg: 1 });
op(0xa7, 'cmps', '', 'cmps', false, '', { arg: 0 });
op(0xaa, 'stosb', '', 'stos', false, '', { arg: 1 });
op(0xab, 'stos', '', 'stos', false, '', { arg: 0 });
op(0xac, 'lodsb', '', 'lods', false, '', { arg: 1 });
op(0xad, 'lods', '', 'lods', false, '', { arg: 0 });
op(0xae, 'scasb', '', 'scas', false, '', { arg: 1 });
op(0xaf, 'scas', '', 'scas', false, '', { arg: 0 });

// Conditional branches, SETcc, CMOVcc (arg = condition code tttn).
export const CC_NAMES = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;
CC_NAMES.forEach((cc, c) => {
  op(0x70 + c, 'j' + cc, 'Jb', 'jcc', false, 'Jb', { arg: c, ends: true });
  op(0x0f80 + c, 'j' + cc, 'Jz', 'jcc', false, 'Jz', { arg: c, ends: true });
  op(0x0f90 + c, 'set' + cc, 'Eb', 'setccEb', true, '', { arg: c });
  op(0x0f40 + c, 'cmov' + cc, 'Gv,Ev', 'cmovccGvEv', true, '', { arg: c });
});

op(0x84, 'test', 'Eb,Gb', 'testEbGb', true, '');
op(0x85, 'test', 'Ev,Gv', 'testEvGv', true, '');
op(0x86, 'xchg', 'Eb,Gb', 'xchgEbGb', true, '', { lock: true });
op(0x87, 'xchg', 'Ev,Gv', 'xchgEvGv', true, '', { lock: true });
op(0x88, 'mov', 'Eb,Gb', 'movEbGb', true, '');
op(0x89, 'mov', 'Ev,Gv', 'movEvGv', true, '');
op(0x8a, 'mov', 'Gb,Eb', 'movGbEb', true, '');
op(0x8b, 'mov', 'Gv,Ev', 'movGvEv', true, '');
// MOV to/from segment registers: ModRM.reg names the register; 6 and 7 (and MOV CS) are #UD.
for (const r of [0, 1, 2, 3, 4, 5]) grp(0x8c, r, 'mov', 'Ev,Sw', 'movEvSw', '');
op(0x8d, 'lea', 'Gv,M', 'leaGvM', true, '', { rm: 'mem' });
for (const r of [0, 2, 3, 4, 5]) grp(0x8e, r, 'mov', 'Sw,Ew', 'movSwEw', '', { ends: true });
grp(0x8f, 0, 'pop', 'Ev', 'popEv', '');

op(0x98, 'cwde', '', 'cbw', false, '');
op(0x99, 'cdq', '', 'cwd', false, '');
op(0x9a, 'call', 'Ap', 'callAp', false, 'Ap', { ends: true });
op(0x9b, 'wait', '', 'wait', false, '');
op(0x9c, 'pushf', '', 'pushf', false, '');
op(0x9d, 'popf', '', 'popf', false, '', { ends: true });
op(0x9e, 'sahf', '', 'sahf', false, '');
op(0x9f, 'lahf', '', 'lahf', false, '');
op(0xa0, 'mov', 'AL,Ob', 'movALOb', false, 'O');
op(0xa1, 'mov', 'eAX,Ov', 'movEAXOv', false, 'O');
op(0xa2, 'mov', 'Ob,AL', 'movObAL', false, 'O');
op(0xa3, 'mov', 'Ov,eAX', 'movOvEAX', false, 'O');
op(0xa8, 'test', 'AL,Ib', 'testALIb', false, 'Ib');
op(0xa9, 'test', 'eAX,Iz', 'testEAXIz', false, 'Iz');

// Shifts and rotates, group 2 (arg = source: 0 = Ib, 1 = the constant 1, 2 = CL).
export const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
SHIFT_NAMES.forEach((m, r) => {
  grp(0xc0, r, m, 'Eb,Ib', 'shiftEb', 'Ib', { arg: 0 });
  grp(0xc1, r, m, 'Ev,Ib', 'shiftEv', 'Ib', { arg: 0 });
  grp(0xd0, r, m, 'Eb,1', 'shiftEb', '', { arg: 1 });
  grp(0xd1, r, m, 'Ev,1', 'shiftEv', '', { arg: 1 });
  grp(0xd2, r, m, 'Eb,CL', 'shiftEb', '', { arg: 2 });
  grp(0xd3, r, m, 'Ev,CL', 'shiftEv', '', { arg: 2 });
});

op(0xc2, 'ret', 'Iw', 'retnIw', false, 'Iw', { ends: true });
op(0xc3, 'ret', '', 'retnIw', false, '', { ends: true });
op(0xc4, 'les', 'Gv,Mp', 'lfpGvMp', true, '', { arg: 0, rm: 'mem', ends: true });
op(0xc5, 'lds', 'Gv,Mp', 'lfpGvMp', true, '', { arg: 3, rm: 'mem', ends: true });
op(0x0fb2, 'lss', 'Gv,Mp', 'lfpGvMp', true, '', { arg: 2, rm: 'mem', ends: true });
op(0x0fb4, 'lfs', 'Gv,Mp', 'lfpGvMp', true, '', { arg: 4, rm: 'mem', ends: true });
op(0x0fb5, 'lgs', 'Gv,Mp', 'lfpGvMp', true, '', { arg: 5, rm: 'mem', ends: true });
grp(0xc6, 0, 'mov', 'Eb,Ib', 'movEbIb', 'Ib');
grp(0xc7, 0, 'mov', 'Ev,Iz', 'movEvIz', 'Iz');
op(0xc8, 'enter', 'Iw,Ib', 'enter', false, 'IwIb');
op(0xc9, 'leave', '', 'leave', false, '');
op(0xca, 'retf', 'Iw', 'retfIw', false, 'Iw', { ends: true });
op(0xcb, 'retf', '', 'retfIw', false, '', { ends: true });
op(0xcc, 'int3', '', 'int3', false, '', { ends: true });
op(0xcd, 'int', 'Ib', 'intIb', false, 'Ib', { ends: true });
op(0xce, 'into', '', 'into', false, '', { ends: true });
op(0xcf, 'iret', '', 'iret', false, '', { ends: true });
op(0xd7, 'xlat', '', 'xlat', false, '');

// x87 escapes: decoded (they have a ModRM) and raise #NM or #UD: there is no FPU.
for (let c = 0xd8; c <= 0xdf; c++) op(c, 'esc', 'x87', 'fpuEscape', true, '');

op(0xe0, 'loopne', 'Jb', 'loop', false, 'Jb', { arg: 0, ends: true });
op(0xe1, 'loope', 'Jb', 'loop', false, 'Jb', { arg: 1, ends: true });
op(0xe2, 'loop', 'Jb', 'loop', false, 'Jb', { arg: 2, ends: true });
op(0xe3, 'jecxz', 'Jb', 'loop', false, 'Jb', { arg: 3, ends: true });
op(0xe4, 'in', 'AL,Ib', 'inPort', false, 'Ib', { arg: 1 });
op(0xe5, 'in', 'eAX,Ib', 'inPort', false, 'Ib', { arg: 0 });
op(0xe6, 'out', 'Ib,AL', 'outPort', false, 'Ib', { arg: 1, ends: true });
op(0xe7, 'out', 'Ib,eAX', 'outPort', false, 'Ib', { arg: 0, ends: true });
op(0xe8, 'call', 'Jz', 'callJz', false, 'Jz', { ends: true });
op(0xe9, 'jmp', 'Jz', 'jmpJz', false, 'Jz', { ends: true });
op(0xea, 'jmp', 'Ap', 'jmpAp', false, 'Ap', { ends: true });
op(0xeb, 'jmp', 'Jb', 'jmpJz', false, 'Jb', { ends: true });
op(0xec, 'in', 'AL,DX', 'inDX', false, '', { arg: 1 });
op(0xed, 'in', 'eAX,DX', 'inDX', false, '', { arg: 0 });
op(0xee, 'out', 'DX,AL', 'outDX', false, '', { arg: 1, ends: true });
op(0xef, 'out', 'DX,eAX', 'outDX', false, '', { arg: 0, ends: true });

op(0xf4, 'hlt', '', 'hlt', false, '', { ends: true });
op(0xf5, 'cmc', '', 'cmc', false, '');
grp(0xf6, 0, 'test', 'Eb,Ib', 'testEbIb', 'Ib');
grp(0xf6, 1, 'test', 'Eb,Ib', 'testEbIb', 'Ib');
grp(0xf6, 2, 'not', 'Eb', 'notEb', '', { lock: true });
grp(0xf6, 3, 'neg', 'Eb', 'negEb', '', { lock: true });
grp(0xf6, 4, 'mul', 'Eb', 'mulEb', '');
grp(0xf6, 5, 'imul', 'Eb', 'imulEb', '');
grp(0xf6, 6, 'div', 'Eb', 'divEb', '');
grp(0xf6, 7, 'idiv', 'Eb', 'idivEb', '');
grp(0xf7, 0, 'test', 'Ev,Iz', 'testEvIz', 'Iz');
grp(0xf7, 1, 'test', 'Ev,Iz', 'testEvIz', 'Iz');
grp(0xf7, 2, 'not', 'Ev', 'notEv', '', { lock: true });
grp(0xf7, 3, 'neg', 'Ev', 'negEv', '', { lock: true });
grp(0xf7, 4, 'mul', 'Ev', 'mulEv', '');
grp(0xf7, 5, 'imul', 'Ev', 'imulEv', '');
grp(0xf7, 6, 'div', 'Ev', 'divEv', '');
grp(0xf7, 7, 'idiv', 'Ev', 'idivEv', '');
op(0xf8, 'clc', '', 'clc', false, '');
op(0xf9, 'stc', '', 'stc', false, '');
op(0xfa, 'cli', '', 'cli', false, '', { ends: true });
op(0xfb, 'sti', '', 'sti', false, '', { ends: true });
op(0xfc, 'cld', '', 'cld', false, '');
op(0xfd, 'std', '', 'std', false, '');
grp(0xfe, 0, 'inc', 'Eb', 'incEb', '', { lock: true });
grp(0xfe, 1, 'dec', 'Eb', 'decEb', '', { lock: true });
grp(0xff, 0, 'inc', 'Ev', 'incEv', '', { lock: true });
grp(0xff, 1, 'dec', 'Ev', 'decEv', '', { lock: true });
grp(0xff, 2, 'call', 'Ev', 'callEv', '', { ends: true });
grp(0xff, 3, 'call', 'Mp', 'callMp', '', { rm: 'mem', ends: true });
grp(0xff, 4, 'jmp', 'Ev', 'jmpEv', '', { ends: true });
grp(0xff, 5, 'jmp', 'Mp', 'jmpMp', '', { rm: 'mem', ends: true });
grp(0xff, 6, 'push', 'Ev', 'pushEv', '');

// --- Two-byte opcodes ----------------------------------------------------------------------
grp(0x0f00, 0, 'sldt', 'Ew', 'sldtEw', '');
grp(0x0f00, 1, 'str', 'Ew', 'strEw', '');
grp(0x0f00, 2, 'lldt', 'Ew', 'lldtEw', '', { ends: true });
grp(0x0f00, 3, 'ltr', 'Ew', 'ltrEw', '', { ends: true });
grp(0x0f00, 4, 'verr', 'Ew', 'verEw', '', { arg: 0 });
grp(0x0f00, 5, 'verw', 'Ew', 'verEw', '', { arg: 1 });
grp(0x0f01, 0, 'sgdt', 'Ms', 'sdtMs', '', { arg: 0, rm: 'mem' });
grp(0x0f01, 1, 'sidt', 'Ms', 'sdtMs', '', { arg: 1, rm: 'mem' });
grp(0x0f01, 2, 'lgdt', 'Ms', 'ldtMs', '', { arg: 0, rm: 'mem', ends: true });
grp(0x0f01, 3, 'lidt', 'Ms', 'ldtMs', '', { arg: 1, rm: 'mem', ends: true });
grp(0x0f01, 4, 'smsw', 'Ew', 'smswEw', '');
grp(0x0f01, 6, 'lmsw', 'Ew', 'lmswEw', '', { ends: true });
grp(0x0f01, 7, 'invlpg', 'Mb', 'invlpgMb', '', { rm: 'mem', ends: true });
op(0x0f02, 'lar', 'Gv,Ew', 'larGvEw', true, '');
op(0x0f03, 'lsl', 'Gv,Ew', 'lslGvEw', true, '');
op(0x0f06, 'clts', '', 'clts', false, '', { ends: true });
op(0x0f08, 'invd', '', 'wbinvd', false, '');
op(0x0f09, 'wbinvd', '', 'wbinvd', false, '');
op(0x0f0b, 'ud2', '', 'ud2', false, '', { ends: true });
for (let c = 0x0f18; c <= 0x0f1f; c++) op(c, 'nop', 'Ev', 'nopEv', true, '');
// MOV to/from CR0, CR2, CR3, CR4 (CR1 and CR5-7 are #UD).
for (const r of [0, 2, 3, 4]) grp(0x0f20, r, 'mov', 'Rd,Cd', 'movRdCd', '', { rm: 'reg' });
op(0x0f21, 'mov', 'Rd,Dd', 'movRdDd', true, '', { rm: 'reg' });
for (const r of [0, 2, 3, 4]) grp(0x0f22, r, 'mov', 'Cd,Rd', 'movCdRd', '', { rm: 'reg', ends: true });
op(0x0f23, 'mov', 'Dd,Rd', 'movDdRd', true, '', { rm: 'reg' });
op(0x0f30, 'wrmsr', '', 'wrmsr', false, '', { ends: true });
op(0x0f31, 'rdtsc', '', 'rdtsc', false, '');
op(0x0f32, 'rdmsr', '', 'rdmsr', false, '');
op(0x0f34, 'sysenter', '', 'sysenter', false, '', { ends: true });
op(0x0f35, 'sysexit', '', 'sysexit', false, '', { ends: true });
op(0x0fa2, 'cpuid', '', 'cpuid', false, '');
op(0x0fa3, 'bt', 'Ev,Gv', 'btEvGv', true, '', { arg: 0 });
op(0x0fab, 'bts', 'Ev,Gv', 'btEvGv', true, '', { arg: 1, lock: true });
op(0x0fb3, 'btr', 'Ev,Gv', 'btEvGv', true, '', { arg: 2, lock: true });
op(0x0fbb, 'btc', 'Ev,Gv', 'btEvGv', true, '', { arg: 3, lock: true });
grp(0x0fba, 4, 'bt', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 0 });
grp(0x0fba, 5, 'bts', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 1, lock: true });
grp(0x0fba, 6, 'btr', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 2, lock: true });
grp(0x0fba, 7, 'btc', 'Ev,Ib', 'btEvIb', 'Ib', { arg: 3, lock: true });
op(0x0fa4, 'shld', 'Ev,Gv,Ib', 'shldEvGv', true, 'Ib', { arg: 0 });
op(0x0fa5, 'shld', 'Ev,Gv,CL', 'shldEvGv', true, '', { arg: 2 });
op(0x0fac, 'shrd', 'Ev,Gv,Ib', 'shrdEvGv', true, 'Ib', { arg: 0 });
op(0x0fad, 'shrd', 'Ev,Gv,CL', 'shrdEvGv', true, '', { arg: 2 });
op(0x0faf, 'imul', 'Gv,Ev', 'imulGvEv', true, '');
op(0x0fb0, 'cmpxchg', 'Eb,Gb', 'cmpxchgEbGb', true, '', { lock: true });
op(0x0fb1, 'cmpxchg', 'Ev,Gv', 'cmpxchgEvGv', true, '', { lock: true });
op(0x0fb6, 'movzx', 'Gv,Eb', 'movzxGvEb', true, '');
op(0x0fb7, 'movzx', 'Gv,Ew', 'movzxGvEw', true, '');
op(0x0fbe, 'movsx', 'Gv,Eb', 'movsxGvEb', true, '');
op(0x0fbf, 'movsx', 'Gv,Ew', 'movsxGvEw', true, '');
op(0x0fbc, 'bsf', 'Gv,Ev', 'bsfGvEv', true, '');
op(0x0fbd, 'bsr', 'Gv,Ev', 'bsrGvEv', true, '');
op(0x0fc0, 'xadd', 'Eb,Gb', 'xaddEbGb', true, '', { lock: true });
op(0x0fc1, 'xadd', 'Ev,Gv', 'xaddEvGv', true, '', { lock: true });
grp(0x0fc7, 1, 'cmpxchg8b', 'Mq', 'cmpxchg8bMq', '', { rm: 'mem', lock: true });

/** Every implemented form, in table order. */
export const OPCODE_FORMS: readonly OpForm[] = forms;
