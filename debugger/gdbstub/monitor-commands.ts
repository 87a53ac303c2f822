/**
 * ringside's own commands in gdb (`monitor ...`, the qRcmd packet): each takes its argument
 * text and returns the text gdb prints.
 */
import type { DebugTarget } from './target';
import { describeSegments, describeVirtualCpu } from '../../emulator/describe-state';
import { guestRegisters } from '../../emulator/guest-view';
import { SEG_NAMES } from '../../emulator/cpu/constants';
import { formatEvent } from '../../recorder/events';

const hex = (n: number, w = 8) => (n >>> 0).toString(16).padStart(w, '0');

interface MonitorCommand {
  usage: string;
  help: string;
  run(target: DebugTarget, arg: string): string;
}

const COMMANDS: Record<string, MonitorCommand> = {
  sreg: {
    usage: 'sreg',
    help: 'segment registers with their hidden descriptor caches, GDTR, IDTR, LDTR, TR',
    run(t) {
      const lines = describeSegments(t.machine);
      if (t.machine.monitor !== null) {
        const g = guestRegisters(t.machine);
        lines.push(`the guest's own selectors (virtual CPL ${g.cpl}): ${g.segSel.map((s, k) => `${SEG_NAMES[k]}=${hex(s, 4)}`).join(' ')}`);
      }
      return lines.join('\n');
    },
  },
  icount: {
    usage: 'icount',
    help: 'the current instruction count (retired guest instructions)',
    run: (t) => `icount ${t.icount}${t.end !== null ? ` of ${t.end}` : ''}`,
  },
  goto: {
    usage: 'goto N',
    help: 'move to instruction count N (then `maint flush register-cache`, or any step, to refresh gdb)',
    run(t, arg) {
      if (!/^\d+$/.test(arg.replace(/_/g, ''))) throw new Error('usage: monitor goto N (an instruction count)');
      return t.goto(Number(arg.replace(/_/g, '')));
    },
  },
  events: {
    usage: 'events [N]',
    help: 'the N events (default 10) before the current point, and after it in a recording',
    run(t, arg) {
      const n = arg === '' ? 10 : /^\d+$/.test(arg) ? Math.min(Number(arg), 1000) : NaN;
      if (!Number.isFinite(n)) throw new Error('usage: monitor events [N]');
      const { before, after } = t.events(n);
      const lines = before.map(formatEvent);
      lines.push(`-- icount ${t.icount} --`);
      lines.push(...after.map(formatEvent));
      return lines.join('\n');
    },
  },
  vcpu: {
    usage: 'vcpu',
    help: "under a monitor: the guest's virtual CPU",
    run(t) {
      const lines = describeVirtualCpu(t.machine);
      return lines.length > 0 ? lines.slice(0, 4).join('\n') : 'the guest runs natively: its CPU is the real one (info registers)';
    },
  },
  exits: {
    usage: 'exits',
    help: "under a monitor: the monitor's exits and interventions so far, by kind",
    run(t) {
      const mon = t.machine.monitor;
      if (mon === null) return 'the guest runs natively: no monitor, no exits';
      const lines = [`${mon.exits} monitor exits, ${mon.cr3Switches} shadow CR3 switches over ${t.icount} guest instructions`];
      for (const [kind, n] of Object.entries(mon.interventions())) lines.push(`  ${kind.padEnd(20)} ${n}`);
      return lines.join('\n');
    },
  },
};

/** Runs a monitor command line; the text to print (errors included, prefixed). */
export function runMonitorCommand(target: DebugTarget, line: string): string {
  const [name, ...rest] = line.trim().split(/\s+/);
  const cmd = COMMANDS[name];
  if (cmd === undefined || name === 'help' || name === '') {
    const known = Object.values(COMMANDS).map((c) => `  monitor ${c.usage.padEnd(12)} ${c.help}`);
    return (name === 'help' || name === '' ? '' : `unknown monitor command '${name}'\n`) + 'ringside monitor commands:\n' + known.join('\n');
  }
  try {
    return cmd.run(target, rest.join(' '));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}
