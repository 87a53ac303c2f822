/**
 * Port I/O: IN and OUT, with the I/O privilege check. When CPL > IOPL the TSS I/O permission
 * bitmap decides (SDM vol. 1 section 19.5.2); a 16-bit TSS has no bitmap, so access faults.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import type { Intercept } from '../opcodes';
import { EAX, EDX } from '../constants';

/** #GP(0) unless the current privilege may access `size` ports from `port`. */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if (cpu.cpl <= cpu.iopl()) return;
  const type = (cpu.trAR >> 8) & 0xf;
  if ((cpu.trSel & 0xfffc) === 0 || (type & 8) === 0 || cpu.trLimit < 0x67) cpu.gp(0);
  const bitmap = cpu.readSys16((cpu.trBase + 0x66) | 0);
  const off = bitmap + (port >>> 3);
  if (off + 1 > cpu.trLimit) cpu.gp(0);
  const bits = cpu.readSys16((cpu.trBase + off) | 0);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) cpu.gp(0);
}

function portIn(cpu: Cpu, i: Insn, port: number, size: number): void {
  checkIoPermission(cpu, port, size);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const v = cpu.io.portIn(port, size as 1 | 2 | 4);
  if (size === 1) cpu.regs8[0] = v;
  else if (size === 2) cpu.regs16[0] = v;
  else cpu.regs[EAX] = v;
  if (cpu.observer !== null) cpu.observer.io(false, port, size, v);
  cpu.brk = true; // a read may acknowledge an interrupt (8259 poll) or change a device's state
}

function portOut(cpu: Cpu, i: Insn, port: number, size: number): void {
  checkIoPermission(cpu, port, size);
  if (cpu.monitor !== null && cpu.monitor.instruction(i.form!.intercept as Intercept, i)) return;
  const v = size === 1 ? cpu.regs8[0] : size === 2 ? cpu.regs16[0] : cpu.regs[EAX] >>> 0;
  if (cpu.observer !== null) cpu.observer.io(true, port, size, v);
  cpu.io.portOut(port, v, size as 1 | 2 | 4);
  cpu.brk = true; // a device may have stopped the machine
}

// E4 ib, E5 ib: IN AL/eAX,Ib (arg 1: byte; 0: operand size)
export function inPort(cpu: Cpu, i: Insn): void {
  portIn(cpu, i, i.imm, i.arg === 1 ? 1 : i.os32 ? 4 : 2);
}
// EC, ED: IN AL/eAX,DX
export function inDX(cpu: Cpu, i: Insn): void {
  portIn(cpu, i, cpu.regs16[EDX << 1], i.arg === 1 ? 1 : i.os32 ? 4 : 2);
}
// E6 ib, E7 ib: OUT Ib,AL/eAX
export function outPort(cpu: Cpu, i: Insn): void {
  portOut(cpu, i, i.imm, i.arg === 1 ? 1 : i.os32 ? 4 : 2);
}
// EE, EF: OUT DX,AL/eAX
export function outDX(cpu: Cpu, i: Insn): void {
  portOut(cpu, i, cpu.regs16[EDX << 1], i.arg === 1 ? 1 : i.os32 ? 4 : 2);
}
