/**
 * The machine state as plain data for the debugger: registers, EFLAGS, CPL, each segment
 * register with its hidden descriptor cache and whether that cache is stale (the descriptor
 * in memory no longer matches what was loaded), the descriptor-table and control registers,
 * and, under a software monitor, the guest's virtual CPU. Nothing here is live: a view is a
 * copy, so two views (before and after a step, or of two runs) can be compared field by field.
 */
import type { Machine } from '../../emulator/machine';
import { describeRights, flagsText } from '../../emulator/describe-state';
import { probeTranslate } from '../../emulator/cpu/paging';
import { REG32_NAMES, SEG_NAMES, IF, CS } from '../../emulator/cpu/constants';

export interface DescriptorView {
  base: number;
  limit: number; // byte granular
  rights: number; // LAR layout, accessed bit and limit bits 19:16 cleared
}

export interface SegmentView {
  name: string; // es cs ss ds fs gs
  selector: number;
  base: number; // hidden cache
  limit: number;
  rights: number; // LAR layout (bits 8-23)
  rightsText: string; // the rights in words
  stale: boolean; // the descriptor the selector names now differs from the cache
  inMemory: DescriptorView | null; // that descriptor (null: null selector, or beyond the table)
}

export interface TableRegisterView {
  selector?: number; // LDTR and TR
  base: number;
  limit: number;
}

export interface VirtualCpuView {
  mode: string; // sw-013 or sw-033
  cpl: number; // the guest's own privilege level
  if: number; // the guest's virtual IF
  iopl: number;
  cr: { cr0: number; cr2: number; cr3: number; cr4: number };
  gdtr: TableRegisterView;
  idtr: TableRegisterView;
  ldtr: TableRegisterView;
  tr: TableRegisterView;
  sysenter: { cs: number; esp: number; eip: number };
  exits: number; // monitor entries so far
  cr3Switches: number;
  interventions: Record<string, number>; // by kind
}

export interface CpuView {
  icount: number;
  regs: { name: string; value: number }[]; // eax ecx edx ebx esp ebp esi edi
  eip: number;
  linearIp: number; // CS base + EIP
  symbol: string; // the symbol naming the linear IP (func+0x1c), or the address
  eflags: number;
  flagsText: string;
  cpl: number;
  halted: boolean;
  segments: SegmentView[]; // in SEG_NAMES order
  gdtr: TableRegisterView;
  idtr: TableRegisterView;
  ldtr: TableRegisterView;
  tr: TableRegisterView;
  cr: { cr0: number; cr2: number; cr3: number; cr4: number };
  monitor: VirtualCpuView | null;
}

const ACCESSED = 0x100;

/**
 * Bytes at a linear address as the processor sees them (its current page tables, the
 * monitor's region included: under a monitor the real GDT is the monitor's shadow GDT); -1
 * where unreadable. No side effects.
 */
function peekReal(m: Machine, lin: number, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = probeTranslate(m.cpu, (lin + k) | 0);
    out.push(p >= 0 && p < m.cpu.ramSize ? m.cpu.ram[p] : -1);
  }
  return out;
}
const RIGHTS_MASK = 0x00f0ff00;

/** The 8-byte descriptor `selector` names, read without side effects; null when there is none. */
export function readDescriptor(m: Machine, selector: number): DescriptorView | null {
  const cpu = m.cpu;
  const index = selector & ~7;
  const local = (selector & 4) !== 0;
  if (!local && index === 0) return null;
  const tableBase = local ? cpu.ldtrBase : cpu.gdtrBase;
  const tableLimit = local ? cpu.ldtrLimit : cpu.gdtrLimit;
  if (index + 7 > tableLimit) return null;
  const b = peekReal(m, (tableBase + index) | 0, 8);
  if (b.includes(-1)) return null;
  const raw = b[0] | (b[1] << 8) | ((b[6] & 0xf) << 16);
  const limit = (b[6] & 0x80) !== 0 ? raw * 4096 + 0xfff : raw;
  return { base: (b[2] | (b[3] << 8) | (b[4] << 16) | (b[7] << 24)) >>> 0, limit, rights: ((b[5] << 8) | ((b[6] & 0xf0) << 16)) & RIGHTS_MASK & ~ACCESSED };
}

function segmentView(m: Machine, s: number): SegmentView {
  const cpu = m.cpu;
  const selector = cpu.segSel[s];
  const base = cpu.segBase[s] >>> 0;
  const limit = cpu.segLimit[s];
  const rights = cpu.segAR[s];
  const usable = (rights & 0x8000) !== 0;
  const inMemory = usable ? readDescriptor(m, selector) : null;
  const stale = inMemory !== null && (inMemory.base !== base || inMemory.limit !== limit || inMemory.rights !== (rights & RIGHTS_MASK & ~ACCESSED));
  return { name: SEG_NAMES[s], selector, base, limit, rights, rightsText: describeRights(rights), stale, inMemory };
}

export function cpuView(m: Machine): CpuView {
  const cpu = m.cpu;
  const linearIp = (cpu.segBase[CS] + cpu.eip) >>> 0;
  const mon = m.monitor;
  let monitor: VirtualCpuView | null = null;
  if (mon !== null) {
    const v = mon.virtualCpu;
    monitor = {
      mode: m.mode,
      cpl: v.cpl,
      if: (v.flags & IF) !== 0 ? 1 : 0,
      iopl: (v.flags >> 12) & 3,
      cr: { cr0: v.cr0 >>> 0, cr2: v.cr2 >>> 0, cr3: v.cr3 >>> 0, cr4: v.cr4 >>> 0 },
      gdtr: { base: v.gdtrBase >>> 0, limit: v.gdtrLimit },
      idtr: { base: v.idtrBase >>> 0, limit: v.idtrLimit },
      ldtr: { selector: v.ldtrSel, base: v.ldtrBase >>> 0, limit: v.ldtrLimit },
      tr: { selector: v.trSel, base: v.trBase >>> 0, limit: v.trLimit },
      sysenter: { cs: v.sysenterCs, esp: v.sysenterEsp >>> 0, eip: v.sysenterEip >>> 0 },
      exits: mon.exits,
      cr3Switches: mon.cr3Switches,
      interventions: mon.interventions(),
    };
  }
  const eflags = cpu.getFlags();
  return {
    icount: cpu.icount,
    regs: REG32_NAMES.map((name, k) => ({ name, value: cpu.regs[k] >>> 0 })),
    eip: cpu.eip >>> 0,
    linearIp,
    symbol: m.symbols.format(linearIp),
    eflags,
    flagsText: flagsText(eflags),
    cpl: cpu.cpl,
    halted: cpu.halted,
    segments: SEG_NAMES.map((_, s) => segmentView(m, s)),
    gdtr: { base: cpu.gdtrBase >>> 0, limit: cpu.gdtrLimit },
    idtr: { base: cpu.idtrBase >>> 0, limit: cpu.idtrLimit },
    ldtr: { selector: cpu.ldtrSel, base: cpu.ldtrBase >>> 0, limit: cpu.ldtrLimit },
    tr: { selector: cpu.trSel, base: cpu.trBase >>> 0, limit: cpu.trLimit },
    cr: { cr0: cpu.cr0 >>> 0, cr2: cpu.cr2 >>> 0, cr3: cpu.cr3 >>> 0, cr4: cpu.cr4 >>> 0 },
    monitor,
  };
}
