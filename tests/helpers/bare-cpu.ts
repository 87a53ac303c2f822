/**
 * A bare CPU for instruction tests: flat 4 GiB ring-0 segments, no paging, no devices, and a
 * helper that executes one instruction from given bytes and reports the fault it raised.
 */
import { Cpu } from '../../emulator/cpu/cpu';
import { IoBus } from '../../emulator/devices/bus';
import { decode } from '../../emulator/cpu/decoder';
import { Insn } from '../../emulator/cpu/insn';
import { FAULT } from '../../emulator/cpu/fault';
import '../../emulator/cpu/exec';
import { CS, DS, ES, FS, GS, SS, FIXED1 } from '../../emulator/cpu/constants';

export class NullApic {
  nmiPending = false;
  apicBaseMsr = 0xfee00900;
  pendingVector(): number {
    return -1;
  }
  acknowledge(): number {
    return -1;
  }
  nextDeadline(): number {
    return Infinity;
  }
  advance(): void {}
  mmioRead(): number {
    return 0;
  }
  mmioWrite(): void {}
}

export function bareCpu(ramSize = 16 * 1024 * 1024): Cpu {
  const cpu = new Cpu(ramSize, new IoBus(), new NullApic());
  cpu.setSegCache(CS, 0x08, 0, 0xffffffff, 0x00cf9b00);
  for (const s of [DS, ES, FS, GS, SS]) cpu.setSegCache(s, 0x10, 0, 0xffffffff, 0x00cf9300);
  cpu.setCpl(0);
  cpu.setFlags(FIXED1);
  cpu.regs[4] = 0x80000;
  return cpu;
}

const insn = new Insn();

/**
 * Decodes `bytes` and executes them as one instruction at cpu.eip. Returns the vector of the
 * fault raised (state as the handler left it), or -1.
 */
export function execOne(cpu: Cpu, bytes: ArrayLike<number>): number {
  const buf = Uint8Array.from(bytes);
  const len = decode(buf, 0, buf.length, cpu.cs32, insn);
  if (len < 0) throw new Error('truncated instruction');
  cpu.next = (cpu.eip + len) >>> 0;
  try {
    insn.exec(cpu, insn);
  } catch (e) {
    if (e !== FAULT) throw e;
    return cpu.excVector;
  }
  cpu.eip = cpu.next;
  return -1;
}

export function hexBytes(s: string): number[] {
  const out: number[] = [];
  for (let k = 0; k < s.length; k += 2) out.push(parseInt(s.slice(k, k + 2), 16));
  return out;
}
