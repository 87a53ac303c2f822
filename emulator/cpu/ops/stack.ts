/**
 * The stack and segment registers: PUSH/POP in every form, PUSHA/POPA, PUSHF/POPF, ENTER,
 * LEAVE, MOV to and from segment registers. Every instruction that moves ESP and writes
 * memory checks the write before it commits ESP, so a fault leaves ESP unchanged.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { ESP, EBP, SS } from '../constants';
import { ea, getEw, setEv, getReg, setReg } from './operands';

// 50+r: PUSH Zv (PUSH ESP pushes the value before the decrement)
export function pushZv(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.push32(cpu.regs[i.arg]);
  else cpu.push16(cpu.regs16[i.arg << 1]);
}
// 58+r: POP Zv (POP ESP loads ESP with the popped value)
export function popZv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    const v = cpu.pop32();
    cpu.regs[i.arg] = v;
  } else {
    const v = cpu.pop16();
    cpu.regs16[i.arg << 1] = v;
  }
}
// 68 iz, 6A ib: PUSH Iz / PUSH Ib (sign-extended)
export function pushIz(cpu: Cpu, i: Insn): void {
  cpu.push(i.imm, i.os32);
}
// FF /6: PUSH Ev
export function pushEv(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.push32(i.isMem ? cpu.rd32(i.seg, ea(cpu, i)) : cpu.regs[i.rm]);
  else cpu.push16(getEw(cpu, i));
}
// 8F /0: POP Ev. The effective address is computed after ESP is incremented (SDM "POP").
export function popEv(cpu: Cpu, i: Insn): void {
  const v = cpu.peek(0, i.os32);
  const oldEsp = cpu.regs[ESP];
  cpu.setSp(cpu.spAdd(i.os32 ? 4 : 2));
  try {
    setEv(cpu, i, v);
  } catch (e) {
    cpu.regs[ESP] = oldEsp;
    throw e;
  }
}

/**
 * PUSH Sreg. With a 32-bit operand size the selector is pushed zero-extended to 32 bits (the
 * SDM allows this or a 16-bit write; P6-family processors and QEMU zero-extend).
 */

// 60: PUSHA / PUSHAD
export function pusha(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const top = cpu.spAdd(-8 * size);
  cpu.probeWrite(cpu.linW(SS, top, 8 * size), 8 * size);
  const esp = cpu.regs[ESP];
  for (let r = 0; r < 8; r++) {
    const v = r === ESP ? esp : cpu.regs[r];
    const off = cpu.ss32 ? (esp - (r + 1) * size) >>> 0 : (esp - (r + 1) * size) & 0xffff;
    if (size === 4) cpu.wr32(SS, off, v);
    else cpu.wr16(SS, off, v);
  }
  cpu.setSp(top);
}
// 61: POPA / POPAD (the saved ESP is discarded)
export function popa(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  cpu.linR(SS, cpu.sp(), 8 * size);
  for (let r = 7; r >= 0; r--) {
    const v = cpu.peek((7 - r) * size, i.os32);
    if (r !== ESP) setReg(cpu, r, size, v);
  }
  cpu.setSp(cpu.spAdd(8 * size));
}


/**
 * 9D: POPF / POPFD. At CPL 0 every flag but VM and RF can change; at CPL > 0 IOPL keeps its
 * value, and IF changes only when CPL <= IOPL. Otherwise the change is silently dropped: this
 * is the non-faulting behaviour that makes IF hard to virtualize.
 */

// C8 iw ib: ENTER
export function enter(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const level = i.imm2 & 31;
  const oldEsp = cpu.regs[ESP], oldEbp = cpu.regs[EBP];
  try {
    cpu.push(getReg(cpu, EBP, size), i.os32);
    const frameTemp = cpu.sp();
    if (level > 0) {
      let bp = cpu.ss32 ? cpu.regs[EBP] >>> 0 : cpu.regs[EBP] & 0xffff;
      for (let k = 1; k < level; k++) {
        bp = cpu.ss32 ? (bp - size) >>> 0 : (bp - size) & 0xffff;
        cpu.push(size === 4 ? cpu.rd32(SS, bp) : cpu.rd16(SS, bp), i.os32);
      }
      cpu.push(frameTemp, i.os32);
    }
    const newSp = cpu.spAdd(-i.imm);
    if (i.imm > 0) cpu.linW(SS, newSp, 1);
    setReg(cpu, EBP, size, frameTemp);
    cpu.setSp(newSp);
  } catch (e) {
    cpu.regs[ESP] = oldEsp;
    cpu.regs[EBP] = oldEbp;
    throw e;
  }
}
// C9: LEAVE
export function leave(cpu: Cpu, i: Insn): void {
  const bp = cpu.ss32 ? cpu.regs[EBP] >>> 0 : cpu.regs[EBP] & 0xffff;
  const v = i.os32 ? cpu.rd32(SS, bp) : cpu.rd16(SS, bp);
  cpu.setSp(cpu.ss32 ? (bp + (i.os32 ? 4 : 2)) | 0 : (bp + (i.os32 ? 4 : 2)) & 0xffff);
  setReg(cpu, EBP, i.os32 ? 4 : 2, v);
}
