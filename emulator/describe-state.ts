/**
 * The machine state as text lines, as `ringside at` and the debugger show it: registers,
 * EFLAGS, segment registers with their hidden descriptor caches, descriptor-table registers,
 * control registers, and the disassembly at EIP.
 */
import type { Machine } from './machine';
import { REG32_NAMES, SEG_NAMES, CF, PF, AF, ZF, SF, TF, IF, DF, OF, NT, RF, AC, ID } from './cpu/constants';
import { disassemble } from './disasm';
import { guestLinearIp, readGuest, guestStack } from './guest-view';

const hex = (n: number, w = 8) => (n >>> 0).toString(16).padStart(w, '0');
const FLAG_NAMES: [number, string][] = [[CF, 'CF'], [PF, 'PF'], [AF, 'AF'], [ZF, 'ZF'], [SF, 'SF'], [TF, 'TF'], [IF, 'IF'], [DF, 'DF'], [OF, 'OF'], [NT, 'NT'], [RF, 'RF'], [AC, 'AC'], [ID, 'ID']];

/** Human description of cached access rights (LAR layout). */
export function describeRights(ar: number): string {
  if ((ar & 0x8000) === 0) return ar === 0 ? 'unusable' : 'not present';
  const dpl = (ar >> 13) & 3;
  const type = (ar >> 8) & 0xf;
  if ((ar & 0x1000) === 0) return `system type ${type} DPL${dpl}`;
  const code = (type & 8) !== 0;
  const kind = code ? `code${type & 4 ? ' conforming' : ''}${type & 2 ? ' readable' : ' exec-only'}` : `data${type & 4 ? ' expand-down' : ''}${type & 2 ? ' writable' : ' read-only'}`;
  return `${kind} DPL${dpl} ${(ar & 0x400000) !== 0 ? '32-bit' : '16-bit'}${type & 1 ? ' accessed' : ''}`;
}

export function flagsText(f: number): string {
  const set = FLAG_NAMES.filter(([bit]) => (f & bit) !== 0).map(([, n]) => n);
  return `${hex(f)} [${set.join(' ')}] IOPL${(f >> 12) & 3}`;
}

/** The segment registers with their hidden descriptor caches, and the descriptor-table registers. */
export function describeSegments(m: Machine): string[] {
  const cpu = m.cpu;
  const lines = ['segment registers (selector, then the hidden descriptor cache):'];
  for (let s = 0; s < 6; s++) {
    lines.push(`  ${SEG_NAMES[s]}=${hex(cpu.segSel[s], 4)}  base=${hex(cpu.segBase[s])} limit=${hex(cpu.segLimit[s])} rights=${hex(cpu.segAR[s])} ${describeRights(cpu.segAR[s])}`);
  }
  lines.push(`gdtr base=${hex(cpu.gdtrBase)} limit=${hex(cpu.gdtrLimit, 4)}   idtr base=${hex(cpu.idtrBase)} limit=${hex(cpu.idtrLimit, 4)}`);
  lines.push(`ldtr=${hex(cpu.ldtrSel, 4)} base=${hex(cpu.ldtrBase)} limit=${hex(cpu.ldtrLimit)}   tr=${hex(cpu.trSel, 4)} base=${hex(cpu.trBase)} limit=${hex(cpu.trLimit)}`);
  return lines;
}

/** Under a monitor, the guest's virtual CPU and the monitor's interventions so far (none natively). */
export function describeVirtualCpu(m: Machine): string[] {
  const mon = m.monitor;
  if (mon === null) return [];
  const own = mon.describe();
  if (own.length > 0) return [`monitor ${m.mode}:`, ...own.map((l) => `  ${l}`)]; // the VT-x model: the VMCS says it all
  const cpu = m.cpu;
  const v = mon.virtualCpu;
  const kinds = Object.entries(mon.interventions()).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `monitor ${m.mode}: the guest runs at ring ${cpu.cpl === 0 ? '0 (inside the monitor)' : cpu.cpl}; its virtual CPU:`,
    `  cpl=${v.cpl} if=${(v.flags & IF) !== 0 ? 1 : 0} iopl=${(v.flags >> 12) & 3}   cr0=${hex(v.cr0)} cr2=${hex(v.cr2)} cr3=${hex(v.cr3)} cr4=${hex(v.cr4)}`,
    `  gdtr base=${hex(v.gdtrBase)} limit=${hex(v.gdtrLimit, 4)}   idtr base=${hex(v.idtrBase)} limit=${hex(v.idtrLimit, 4)}   ldtr=${hex(v.ldtrSel, 4)} tr=${hex(v.trSel, 4)}`,
    `  sysenter cs=${hex(v.sysenterCs, 4)} esp=${hex(v.sysenterEsp)} eip=${hex(v.sysenterEip)}`,
    `  ${mon.exits} monitor exits, ${mon.cr3Switches} shadow CR3 switches${kinds ? ': ' + kinds : ''}`,
  ];
}

export function describeState(m: Machine, disasmCount = 6): string[] {
  const cpu = m.cpu;
  const lines: string[] = [];
  const r = REG32_NAMES.map((n, k) => `${n}=${hex(cpu.regs[k])}`);
  lines.push(r.slice(0, 4).join(' '), r.slice(4).join(' '));
  lines.push(`eip=${hex(cpu.eip)} (${m.symbols.format((cpu.segBase[1] + cpu.eip) >>> 0)})  eflags=${flagsText(cpu.getFlags())}  cpl=${cpu.cpl}${cpu.halted ? '  halted' : ''}`);
  lines.push(...describeSegments(m));
  lines.push(`cr0=${hex(cpu.cr0)} cr2=${hex(cpu.cr2)} cr3=${hex(cpu.cr3)} cr4=${hex(cpu.cr4)}`);
  lines.push(...describeVirtualCpu(m));
  if (disasmCount > 0) {
    lines.push('disassembly:');
    const here = guestLinearIp(m);
    for (const d of disassemble(m, disasmCount)) {
      lines.push(`  ${d.address === here ? '=>' : '  '} ${hex(d.address)} ${d.symbol.padEnd(22).slice(0, 22)} ${d.bytes.padEnd(24)} ${d.text}`);
    }
  }
  return lines;
}

/** A hex dump of guest memory at a guest linear address, through the guest's page tables (`??`: not mapped). */
export function describeMemory(m: Machine, address: number, length: number): string[] {
  const lines: string[] = [];
  const bytes = readGuest(m, address, length);
  for (let off = 0; off < length; off += 16) {
    const row = bytes.slice(off, off + 16);
    const hexes = row.map((b) => (b < 0 ? '??' : b.toString(16).padStart(2, '0')));
    const text = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`  ${hex(address + off)}  ${hexes.slice(0, 8).join(' ').padEnd(23)}  ${hexes.slice(8).join(' ').padEnd(23)}  |${text}|`);
  }
  return lines;
}

/** `count` dwords of the guest's stack from SS:ESP, with the symbol each one points into. */
export function describeStack(m: Machine, count: number): string[] {
  return guestStack(m, count).map(({ address, value }) => {
    if (value < 0) return `  ${hex(address)}  ????????`;
    const sym = m.symbols.format(value);
    return `  ${hex(address)}  ${hex(value)}${sym && !/^0x/.test(sym) ? `  <${sym}>` : ''}`;
  });
}

/**
 * Why and where the machine shut down, as `run`, `record` and `replay` print it:
 * "shutdown at 0008:0010002a (main+0x1a), icount 3571: triple fault: #UD -> ... -> shutdown".
 */
export function describeShutdown(m: Machine): string {
  const cpu = m.cpu;
  const where = `${hex(cpu.shutdownCs, 4)}:${hex(cpu.shutdownEip)} (${m.symbols.format(cpu.shutdownLinear)})`;
  return `shutdown at ${where}, icount ${cpu.icount}: ${cpu.shutdownReason}`;
}
