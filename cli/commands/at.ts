/** `ringside at FILE [--run ID] --icount N [--memory ADDR[:LEN]] [--stack [N]] [--events N]`: the machine state at an instruction count. */
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { pickRun, openTimeline } from '../../recorder/load-run';
import { eventsAround } from '../../recorder/events-around';
import { formatEvent } from '../../recorder/events';
import { describeState, describeMemory, describeStack } from '../../emulator/describe-state';
import { formatScreen } from '../../emulator/devices/vga-text';
import type { Machine } from '../../emulator/machine';
import { parseRunId, parseCount, parseAddress } from '../options';
import { UsageError } from '../errors';
import { writeStdout } from '../stdout';

export interface AtOptions {
  run?: string;
  icount?: string;
  memory?: string;
  stack?: string | boolean;
  events?: string;
  screen?: boolean;
}

/** The most bytes --memory dumps. */
const MAX_MEMORY = 64 * 1024;

/** ADDR[:LEN]: ADDR a number or a symbol of the image; LEN default 64. */
function parseMemory(s: string, m: Machine): { address: number; length: number } {
  const colon = s.lastIndexOf(':');
  const a = colon < 0 ? s : s.slice(0, colon);
  const l = colon < 0 ? undefined : s.slice(colon + 1);
  const sym = m.symbols.addressOf(a);
  const address = sym !== undefined && !/^(0x)?[0-9a-f]+$/i.test(a) ? sym : parseAddress(a, '--memory ADDR (or a symbol)');
  const length = l === undefined ? 64 : parseCount(l, '--memory LEN');
  if (length < 1 || length > MAX_MEMORY) throw new UsageError(`--memory LEN must be between 1 and ${MAX_MEMORY}`);
  return { address, length };
}

export function atCommand(file: string, opts: AtOptions): number {
  if (opts.icount === undefined) throw new UsageError('at needs --icount N');
  const n = parseCount(opts.icount, '--icount');
  const stack = opts.stack === undefined || opts.stack === false ? 0 : opts.stack === true ? 16 : parseCount(opts.stack, '--stack');
  if (stack > 4096) throw new UsageError('--stack N must be at most 4096');
  const events = opts.events === undefined ? 0 : parseCount(opts.events, '--events');
  if (events > 100_000) throw new UsageError('--events N must be at most 100000');
  const db = openTraceReadOnly(file);
  try {
    const run = pickRun(db, parseRunId(opts.run));
    const tl = openTimeline(db, run);
    if (n > tl.end) throw new UsageError(`run ${run.id} ends at icount ${tl.end}; --icount ${n} is beyond it`);
    const memory = opts.memory !== undefined ? parseMemory(opts.memory, tl.machine) : undefined;
    tl.seek(n);
    const head = `run ${run.id} (${run.imageName}, ${run.mode}) at icount ${tl.icount} of ${tl.end}`;
    if (opts.screen === true) {
      process.stdout.write(head + '\n' + formatScreen(tl.machine.screen()));
      return 0;
    }
    const out = [head, ...describeState(tl.machine)];
    if (memory !== undefined) {
      out.push(`memory at ${(memory.address >>> 0).toString(16).padStart(8, '0')}, ${memory.length} bytes (through the guest's page tables; ?? not mapped):`);
      out.push(...describeMemory(tl.machine, memory.address, memory.length));
    }
    if (stack > 0) {
      out.push(`stack (${stack} dwords from ss:esp):`);
      out.push(...describeStack(tl.machine, stack));
    }
    if (events > 0) {
      const around = eventsAround(db, run.id, tl.icount, events);
      out.push(`events before icount ${tl.icount} (${around.before.length}) and from it on (${around.after.length}):`);
      out.push(...around.before.map((e) => `  ${formatEvent(e)}`), `  -- icount ${tl.icount} --`, ...around.after.map((e) => `  ${formatEvent(e)}`));
    }
    writeStdout(out.join('\n') + '\n');
    return 0;
  } finally {
    closeTrace(db);
  }
}
