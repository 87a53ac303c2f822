/**
 * Data movement: MOV in all its forms, MOVZX/MOVSX, LEA, XCHG, CMPXCHG, XADD, CMPXCHG8B,
 * CBW/CWDE, CWD/CDQ, XLAT, NOP. None of these changes flags except CMPXCHG/XADD/CMPXCHG8B.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { MASK } from '../cpu';
import { EAX, EDX, EBX, ECX, ZF, DS } from '../constants';
import { ALU_ADD, ALU_CMP } from '../opcodes';
import { aluFlags } from './alu';
import {
  ea, getEb, getEw, setEb, setEv, getReg, setReg, readLin, writeLin, setGv,
} from './operands';

// 88 /r: MOV Eb,Gb
export function movEbGb(cpu: Cpu, i: Insn): void {
  setEb(cpu, i, cpu.regs8[i.g8]);
}
// 89 /r: MOV Ev,Gv
export function movEvGv(cpu: Cpu, i: Insn): void {
  if (i.os32) {
    if (i.isMem) cpu.wr32(i.seg, ea(cpu, i), cpu.regs[i.reg]);
    else cpu.regs[i.rm] = cpu.regs[i.reg];
  } else setEv(cpu, i, cpu.regs16[i.reg << 1]);
}
// 8A /r: MOV Gb,Eb
export function movGbEb(cpu: Cpu, i: Insn): void {
  cpu.regs8[i.g8] = getEb(cpu, i);
}
// 8B /r: MOV Gv,Ev
export function movGvEv(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.regs[i.reg] = i.isMem ? cpu.rd32(i.seg, ea(cpu, i)) : cpu.regs[i.rm];
  else cpu.regs16[i.reg << 1] = getEw(cpu, i);
}
// 8D /r: LEA Gv,M (the offset only; no memory access, no segment)
export function leaGvM(cpu: Cpu, i: Insn): void {
  setGv(cpu, i, ea(cpu, i));
}
// C6 /0 ib: MOV Eb,Ib
export function movEbIb(cpu: Cpu, i: Insn): void {
  setEb(cpu, i, i.imm);
}
// C7 /0 iz: MOV Ev,Iz
export function movEvIz(cpu: Cpu, i: Insn): void {
  setEv(cpu, i, i.os32 ? i.imm : i.imm & 0xffff);
}
// B0+r ib: MOV Zb,Ib
export function movZbIb(cpu: Cpu, i: Insn): void {
  setReg(cpu, i.arg, 1, i.imm);
}
// B8+r iz: MOV Zv,Iz
export function movZvIz(cpu: Cpu, i: Insn): void {
  setReg(cpu, i.arg, i.os32 ? 4 : 2, i.imm);
}
// A0: MOV AL,Ob
export function movALOb(cpu: Cpu, i: Insn): void {
  cpu.regs8[0] = cpu.rd8(i.seg, i.disp >>> 0);
}
// A1: MOV eAX,Ov
export function movEAXOv(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.regs[EAX] = cpu.rd32(i.seg, i.disp >>> 0);
  else cpu.regs16[0] = cpu.rd16(i.seg, i.disp >>> 0);
}
// A2: MOV Ob,AL
export function movObAL(cpu: Cpu, i: Insn): void {
  cpu.wr8(i.seg, i.disp >>> 0, cpu.regs8[0]);
}
// A3: MOV Ov,eAX
export function movOvEAX(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.wr32(i.seg, i.disp >>> 0, cpu.regs[EAX]);
  else cpu.wr16(i.seg, i.disp >>> 0, cpu.regs16[0]);
}
// 0F B6 /r: MOVZX Gv,Eb
export function movzxGvEb(cpu: Cpu, i: Insn): void {
  setGv(cpu, i, getEb(cpu, i));
}
// 0F B7 /r: MOVZX Gv,Ew
export function movzxGvEw(cpu: Cpu, i: Insn): void {
  setGv(cpu, i, getEw(cpu, i));
}
// 0F BE /r: MOVSX Gv,Eb
export function movsxGvEb(cpu: Cpu, i: Insn): void {
  setGv(cpu, i, (getEb(cpu, i) << 24) >> 24);
}
// 0F BF /r: MOVSX Gv,Ew
export function movsxGvEw(cpu: Cpu, i: Insn): void {
  setGv(cpu, i, (getEw(cpu, i) << 16) >> 16);
}
// 98: CBW / CWDE
export function cwde(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.regs[EAX] = (cpu.regs[EAX] << 16) >> 16;
  else cpu.regs16[0] = (cpu.regs8[0] << 24) >> 24;
}
// 99: CWD / CDQ
export function cdq(cpu: Cpu, i: Insn): void {
  if (i.os32) cpu.regs[EDX] = cpu.regs[EAX] >> 31;
  else cpu.regs16[EDX << 1] = (cpu.regs16[0] & 0x8000) !== 0 ? 0xffff : 0;
}
// D7: XLAT: AL <- [seg:(E)BX + AL]
export function xlat(cpu: Cpu, i: Insn): void {
  const off = i.as32 ? (cpu.regs[EBX] + cpu.regs8[0]) >>> 0 : (cpu.regs16[EBX << 1] + cpu.regs8[0]) & 0xffff;
  cpu.regs8[0] = cpu.rd8(i.segPrefix >= 0 ? i.segPrefix : DS, off);
}
// 90, F3 90 (PAUSE), 0F 18-1F /r (hint NOPs; the memory operand is not accessed)
export function nop(): void {}
export function nopEv(): void {}

// 86 /r: XCHG Eb,Gb (a memory operand is always locked: no difference on one CPU)
export function xchgEbGb(cpu: Cpu, i: Insn): void {
  let lin = 0, old: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), 1);
    old = cpu.readL8(lin);
    cpu.writeL8(lin, cpu.regs8[i.g8]);
  } else {
    old = cpu.regs8[i.e8];
    cpu.regs8[i.e8] = cpu.regs8[i.g8];
  }
  cpu.regs8[i.g8] = old;
}
// 87 /r: XCHG Ev,Gv
export function xchgEvGv(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  let lin = 0, old: number;
  const g = getReg(cpu, i.reg, size);
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    old = readLin(cpu, lin, size);
    writeLin(cpu, lin, size, g);
  } else {
    old = getReg(cpu, i.rm, size);
    setReg(cpu, i.rm, size, g);
  }
  setReg(cpu, i.reg, size, old);
}
// 90+r: XCHG Zv,eAX
export function xchgZvEAX(cpu: Cpu, i: Insn): void {
  const size = i.os32 ? 4 : 2;
  const a = getReg(cpu, EAX, size);
  setReg(cpu, EAX, size, getReg(cpu, i.arg, size));
  setReg(cpu, i.arg, size, a);
}

/**
 * CMPXCHG: compare the accumulator with the destination; equal: store the source, else load
 * the accumulator. The destination is written in both cases (SDM: the processor writes back
 * the old value when the comparison fails), so a read-only destination faults either way.
 */
function cmpxchg(cpu: Cpu, i: Insn, size: number): void {
  const src = size === 1 ? cpu.regs8[i.g8] : getReg(cpu, i.reg, size);
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = getReg(cpu, i.rm, size);
  const acc = getReg(cpu, EAX, size);
  const r = (acc - d) & MASK[size];
  const equal = r === 0;
  const out = equal ? src : d;
  if (i.isMem) writeLin(cpu, lin, size, out);
  else setReg(cpu, i.rm, size, out);
  if (!equal) setReg(cpu, EAX, size, d);
  aluFlags(cpu, ALU_CMP, acc, d, r, 0, size);
}
// 0F B0 /r: CMPXCHG Eb,Gb
export function cmpxchgEbGb(cpu: Cpu, i: Insn): void {
  cmpxchg(cpu, i, 1);
}
// 0F B1 /r: CMPXCHG Ev,Gv
export function cmpxchgEvGv(cpu: Cpu, i: Insn): void {
  cmpxchg(cpu, i, i.os32 ? 4 : 2);
}

function xadd(cpu: Cpu, i: Insn, size: number): void {
  const src = size === 1 ? cpu.regs8[i.g8] : getReg(cpu, i.reg, size);
  let lin = 0, d: number;
  if (i.isMem) {
    lin = cpu.linW(i.seg, ea(cpu, i), size);
    d = readLin(cpu, lin, size);
  } else d = size === 1 ? cpu.regs8[i.e8] : getReg(cpu, i.rm, size);
  const r = (d + src) & MASK[size];
  if (i.isMem) writeLin(cpu, lin, size, r);
  // Register form: the source register gets the old destination first, then the destination
  // gets the sum (so XADD r,r with the same register leaves the sum).
  if (size === 1) {
    cpu.regs8[i.g8] = d;
    if (!i.isMem) cpu.regs8[i.e8] = r;
  } else {
    setReg(cpu, i.reg, size, d);
    if (!i.isMem) setReg(cpu, i.rm, size, r);
  }
  aluFlags(cpu, ALU_ADD, d, src, r, 0, size);
}
// 0F C0 /r: XADD Eb,Gb
export function xaddEbGb(cpu: Cpu, i: Insn): void {
  xadd(cpu, i, 1);
}
// 0F C1 /r: XADD Ev,Gv
export function xaddEvGv(cpu: Cpu, i: Insn): void {
  xadd(cpu, i, i.os32 ? 4 : 2);
}
// 0F C7 /1: CMPXCHG8B Mq: compare EDX:EAX with m64; equal: store ECX:EBX, ZF=1; else load
// EDX:EAX, ZF=0. The destination is written in both cases.
export function cmpxchg8bMq(cpu: Cpu, i: Insn): void {
  const off = ea(cpu, i);
  const lin = cpu.linW(i.seg, off, 8);
  cpu.probeWrite(lin, 8);
  const lo = cpu.readL32(lin), hi = cpu.readL32((lin + 4) | 0);
  const equal = lo === cpu.regs[EAX] && hi === cpu.regs[EDX];
  if (equal) {
    cpu.writeL32(lin, cpu.regs[EBX]);
    cpu.writeL32((lin + 4) | 0, cpu.regs[ECX]);
  } else {
    cpu.writeL32(lin, lo);
    cpu.writeL32((lin + 4) | 0, hi);
    cpu.regs[EAX] = lo;
    cpu.regs[EDX] = hi;
  }
  cpu.setArith(ZF, equal ? ZF : 0);
}

