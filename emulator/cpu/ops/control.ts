/**
 * Near control transfers (JMP, Jcc, CALL, RET, LOOP*, JECXZ) and software interrupts
 * (INT n, INT3, INTO, BOUND). Every near target is checked against the CS limit (#GP(0)).
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { CS, ECX, BR_VECTOR, BP_VECTOR, OF_VECTOR } from '../constants';
import { ea, getEv, getReg } from './operands';
import { deliverEvent, EVENT_SOFTWARE } from '../interrupts';

/** Sets the next EIP to a near target, with the operand-size wrap and the CS limit check. */
export function branchTo(cpu: Cpu, target: number, os32: boolean): void {
  const t = os32 ? target >>> 0 : target & 0xffff;
  if (t > cpu.segLimit[CS]) cpu.gp(0);
  cpu.next = t;
}

// 70+cc cb, 0F 80+cc cd: Jcc
export function jcc(cpu: Cpu, i: Insn): void {
  if (cpu.cond(i.arg)) branchTo(cpu, cpu.next + i.imm, i.os32);
}
// E9 cd, EB cb: JMP rel
export function jmpJz(cpu: Cpu, i: Insn): void {
  branchTo(cpu, cpu.next + i.imm, i.os32);
}
// FF /4: JMP Ev
export function jmpEv(cpu: Cpu, i: Insn): void {
  branchTo(cpu, getEv(cpu, i), i.os32);
}
// E8 cd: CALL rel
export function callJz(cpu: Cpu, i: Insn): void {
  const ret = cpu.next;
  const t = i.os32 ? (ret + i.imm) >>> 0 : (ret + i.imm) & 0xffff;
  if (t > cpu.segLimit[CS]) cpu.gp(0);
  cpu.push(ret, i.os32);
  cpu.next = t;
}
// FF /2: CALL Ev
export function callEv(cpu: Cpu, i: Insn): void {
  const ret = cpu.next;
  const t = i.os32 ? getEv(cpu, i) >>> 0 : getEv(cpu, i) & 0xffff;
  if (t > cpu.segLimit[CS]) cpu.gp(0);
  cpu.push(ret, i.os32);
  cpu.next = t;
}
// C3, C2 iw: RET / RET imm16
export function retNear(cpu: Cpu, i: Insn): void {
  const t = cpu.peek(0, i.os32);
  const tt = i.os32 ? t >>> 0 : t & 0xffff;
  if (tt > cpu.segLimit[CS]) cpu.gp(0);
  cpu.setSp(cpu.spAdd((i.os32 ? 4 : 2) + i.imm));
  cpu.next = tt;
}

// E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JECXZ (the counter is ECX or CX by address size)
export function loop(cpu: Cpu, i: Insn): void {
  let count: number;
  if (i.arg === 3) count = i.as32 ? cpu.regs[ECX] : cpu.regs16[ECX << 1];
  else if (i.as32) count = cpu.regs[ECX] = cpu.regs[ECX] - 1;
  else count = cpu.regs16[ECX << 1] = cpu.regs16[ECX << 1] - 1;
  let take: boolean;
  switch (i.arg) {
    case 0: take = count !== 0 && !cpu.getZF(); break;
    case 1: take = count !== 0 && cpu.getZF(); break;
    case 2: take = count !== 0; break;
    default: take = count === 0; break;
  }
  if (take) branchTo(cpu, cpu.next + i.imm, i.os32);
}

// CD ib: INT n (a trap: the pushed EIP is the next instruction)
export function intIb(cpu: Cpu, i: Insn): void {
  deliverEvent(cpu, i.imm, -1, EVENT_SOFTWARE, cpu.next);
}
// CC: INT3
export function int3(cpu: Cpu): void {
  deliverEvent(cpu, BP_VECTOR, -1, EVENT_SOFTWARE, cpu.next);
}
// CE: INTO
export function into(cpu: Cpu): void {
  if (cpu.getOF()) deliverEvent(cpu, OF_VECTOR, -1, EVENT_SOFTWARE, cpu.next);
}
// 62 /r: BOUND Gv,Ma: #BR (a fault) when the index is outside [lower, upper] (signed)
export function boundGvMa(cpu: Cpu, i: Insn): void {
  const off = ea(cpu, i);
  const size = i.os32 ? 4 : 2;
  const idx = i.os32 ? getReg(cpu, i.reg, 4) : (getReg(cpu, i.reg, 2) << 16) >> 16;
  const lo = i.os32 ? cpu.rd32(i.seg, off) : (cpu.rd16(i.seg, off) << 16) >> 16;
  const hiOff = i.as32 ? (off + size) >>> 0 : (off + size) & 0xffff;
  const hi = i.os32 ? cpu.rd32(i.seg, hiOff) : (cpu.rd16(i.seg, hiOff) << 16) >> 16;
  if (idx < lo || idx > hi) cpu.raise(BR_VECTOR, -1);
}
