/**
 * The table of commands: one handler per packet name, from a request's payload to the reply's
 * payload. Packets the table does not know get the empty reply (the protocol's "unsupported",
 * which gdb relies on when it probes); a known packet with bad arguments, an address that is
 * not mapped, or a change a recorded run cannot take gets an `E` reply.
 */
import type { DebugTarget, Stop } from './target';
import { REGISTERS, FEATURE_FILES } from './target-description';
import { toHex, fromHex, le32, fromLe32, hexToText, textToHex, PacketReader } from './packets';
import { guestRegisters, readGuest, writeGuest, setGuestRegister, guestLinearIp } from '../../emulator/guest-view';
import { runMonitorCommand } from './monitor-commands';
import type { WatchRange } from '../../emulator/memory-watch';

/** Errors, as errno values gdb prints. */
export const E_ARGS = 'E16'; // EINVAL-like: bad arguments
export const E_FAULT = 'E0e'; // EFAULT: memory not mapped
export const E_READONLY = 'E1e'; // EROFS: a recorded run, or a read-only register
export const E_UNSUPPORTED = 'E26'; // ENOSYS-like: the target cannot do it

/** The protocol state of one gdb connection. */
export class StubState {
  noAck = false; // QStartNoAckMode accepted
  readonly swBreaks = new Set<number>(); // Z0
  readonly hwBreaks = new Set<number>(); // Z1
  readonly watches = new Map<string, WatchRange>(); // Z2 Z3 Z4, by "type,addr,len"
  lastStop: Stop = { kind: 'step' };
  interrupted = false; // the interrupt byte arrived while running
  ended: 'detach' | 'kill' | null = null; // the session is over
  constructor(readonly target: DebugTarget) {}

  sync(): void {
    this.target.setBreakpoints([...this.swBreaks, ...this.hwBreaks]);
    this.target.setWatchpoints([...this.watches.values()]);
  }
}

/** A reply payload; several (console output before the final reply of qRcmd); null: none (k). */
export type Reply = string | string[] | null;
export type Handler = (s: StubState, args: string) => Reply | Promise<Reply>;

const num = (h: string): number | null => (/^[0-9a-fA-F]{1,8}$/.test(h) ? parseInt(h, 16) >>> 0 : null);

/** The stop reply for a stop. */
export function stopReply(s: StubState, stop: Stop): string {
  s.lastStop = stop;
  switch (stop.kind) {
    case 'exited':
      return `W${(stop.code & 0xff).toString(16).padStart(2, '0')}`;
    case 'interrupt':
      return 'T02thread:01;';
    case 'watch': {
      const reason = stop.watchKind === 'read' ? 'rwatch' : stop.watchKind === 'access' ? 'awatch' : 'watch';
      return `T05thread:01;${reason}:${(stop.address >>> 0).toString(16)};`;
    }
    case 'history':
      return `T05thread:01;replaylog:${stop.end};`;
    case 'breakpoint': {
      const at = guestLinearIp(s.target.machine);
      return `T05thread:01;${s.swBreaks.has(at) || !s.hwBreaks.has(at) ? 'swbreak' : 'hwbreak'}:;`;
    }
    default:
      return 'T05thread:01;';
  }
}

/** Each register's value, null when unavailable (the x87 registers of a CPU without an FPU). */
function readRegisters(s: StubState): (number | null)[] {
  const g = guestRegisters(s.target.machine);
  return REGISTERS.map((r) => {
    const v = r.read(g);
    return v === null ? null : v >>> 0;
  });
}

/** A register in the `g` packet's encoding (`x` bytes when unavailable). */
function encodeRegister(n: number, v: number | null): string {
  const bytes = REGISTERS[n].bits / 8;
  if (v === null) return 'xx'.repeat(bytes);
  return le32(v) + '00'.repeat(bytes - 4);
}

/** Sets register `n` to `value`; null when done, else the error reply. */
function writeRegister(s: StubState, n: number, value: number | null): string | null {
  const current = REGISTERS[n].read(guestRegisters(s.target.machine));
  if (current === null) return value === null ? null : E_READONLY; // no such register on this CPU
  if (value !== null && current >>> 0 === value >>> 0) return null; // gdb writes back what it read: nothing to do
  if (value === null) return E_ARGS;
  if (!s.target.writable) return E_READONLY;
  const settable = REGISTERS[n].settable;
  if (settable === undefined || !setGuestRegister(s.target.machine, settable, value)) return E_READONLY;
  return null;
}

/** "addr,len" (both hex). */
function addrLen(args: string): { addr: number; len: number } | null {
  const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(args);
  return m === null ? null : { addr: parseInt(m[1], 16) >>> 0, len: parseInt(m[2], 16) };
}

async function resume(s: StubState, how: 'step' | 'continue', args: string): Promise<string> {
  if (args !== '') {
    const addr = num(args);
    if (addr === null) return E_ARGS;
    const err = writeRegister(s, 8, addr);
    if (err !== null) return err;
  }
  s.sync();
  s.interrupted = false;
  const stop = how === 'step' ? s.target.step() : await s.target.continue(() => s.interrupted);
  return stopReply(s, stop);
}

function reverse(s: StubState, how: 'step' | 'continue'): string {
  if (!s.target.reversible) return E_UNSUPPORTED;
  s.sync();
  return stopReply(s, how === 'step' ? s.target.reverseStep() : s.target.reverseContinue());
}

const memoryRead: Handler = (s, args) => {
  const a = addrLen(args);
  if (a === null) return E_ARGS;
  const bytes = readGuest(s.target.machine, a.addr, Math.min(a.len, PacketReader.MAX / 2 - 16));
  const readable = bytes.indexOf(-1);
  if (readable === 0 && a.len > 0) return E_FAULT;
  return toHex(readable < 0 ? bytes : bytes.slice(0, readable));
};

function memoryWrite(s: StubState, args: string, binary: boolean): string {
  const colon = args.indexOf(':');
  const a = colon < 0 ? null : addrLen(args.slice(0, colon));
  if (a === null) return E_ARGS;
  const data = binary ? Array.from(args.slice(colon + 1), (c) => c.charCodeAt(0)) : fromHex(args.slice(colon + 1));
  if (data === null || data.length !== a.len) return E_ARGS;
  if (a.len === 0) return 'OK'; // gdb probes X support this way
  if (!s.target.writable) return E_READONLY;
  return writeGuest(s.target.machine, a.addr, data) ? 'OK' : E_FAULT;
}

function breakpoint(s: StubState, args: string, insert: boolean): string {
  const m = /^([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(args);
  if (m === null) return E_ARGS;
  const type = Number(m[1]);
  const addr = parseInt(m[2], 16) >>> 0;
  const len = parseInt(m[3], 16);
  if (type === 0 || type === 1) {
    const set = type === 0 ? s.swBreaks : s.hwBreaks;
    if (insert) set.add(addr);
    else set.delete(addr);
    return 'OK';
  }
  // 2 write, 3 read, 4 access watchpoints
  if (len < 1 || len > 4096) return E_ARGS;
  const key = `${type},${addr},${len}`;
  if (insert) s.watches.set(key, { address: addr, length: len, kind: type === 2 ? 'write' : type === 3 ? 'read' : 'access' });
  else s.watches.delete(key);
  return 'OK';
}

function supported(s: StubState): string {
  const features = [`PacketSize=${PacketReader.MAX.toString(16)}`, 'qXfer:features:read+', 'QStartNoAckMode+', 'swbreak+', 'hwbreak+', 'vContSupported+'];
  if (s.target.reversible) features.push('ReverseStep+', 'ReverseContinue+');
  return features.join(';');
}

function featuresRead(args: string): string {
  const m = /^read:([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
  if (m === null) return E_ARGS;
  const doc = FEATURE_FILES[m[1]];
  if (doc === undefined) return 'E00';
  const off = parseInt(m[2], 16), len = parseInt(m[3], 16);
  if (off > doc.length) return E_ARGS;
  const part = doc.slice(off, off + len);
  return (off + len >= doc.length ? 'l' : 'm') + part;
}

function vCont(s: StubState, args: string): string | Promise<string> {
  if (args === '?') return 'vCont;c;C;s;S';
  // One thread: the first action decides (c, Csig, s, Ssig; an optional :thread is ignored).
  const first = /^;([cCsS])([0-9a-fA-F]{2})?(:[0-9a-fA-F.-]+)?/.exec(args);
  if (first === null) return E_ARGS;
  return resume(s, first[1].toLowerCase() === 's' ? 'step' : 'continue', '');
}

/** The handlers, by packet name. */
export const COMMANDS: Record<string, Handler> = {
  '?': (s) => stopReply(s, s.lastStop),
  g: (s) => readRegisters(s).map((v, n) => encodeRegister(n, v)).join(''),
  G: (s, args) => {
    const values: (number | null)[] = [];
    let at = 0;
    for (let k = 0; k < REGISTERS.length; k++) {
      const width = REGISTERS[k].bits / 4;
      const field = args.slice(at, at + width);
      at += width;
      if (field.length !== width) return E_ARGS;
      if (/^x+$/.test(field)) values.push(null);
      else {
        const v = fromLe32(field.slice(0, 8));
        if (v === null || !/^0*$/.test(field.slice(8))) return E_ARGS;
        values.push(v);
      }
    }
    if (at !== args.length) return E_ARGS;
    const current = readRegisters(s);
    // All or nothing: check every change first.
    for (let k = 0; k < REGISTERS.length; k++) {
      if (values[k] !== current[k] && (values[k] === null || current[k] === null || !s.target.writable || REGISTERS[k].settable === undefined)) return E_READONLY;
    }
    for (let k = 0; k < REGISTERS.length; k++) {
      const err = writeRegister(s, k, values[k]);
      if (err !== null) return err;
    }
    return 'OK';
  },
  p: (s, args) => {
    const n = num(args);
    if (n === null || n >= REGISTERS.length) return E_ARGS;
    return encodeRegister(n, readRegisters(s)[n]);
  },
  P: (s, args) => {
    const m = /^([0-9a-fA-F]{1,4})=([0-9a-fA-Fx]+)$/.exec(args);
    if (m === null) return E_ARGS;
    const n = parseInt(m[1], 16);
    if (n >= REGISTERS.length || m[2].length !== REGISTERS[n].bits / 4) return E_ARGS;
    if (REGISTERS[n].bits !== 32) return E_READONLY; // the x87 stack: no FPU
    const v = fromLe32(m[2]);
    if (v === null) return E_ARGS;
    return writeRegister(s, n, v) ?? 'OK';
  },
  m: memoryRead,
  M: (s, args) => memoryWrite(s, args, false),
  X: (s, args) => memoryWrite(s, args, true),
  c: (s, args) => resume(s, 'continue', args),
  s: (s, args) => resume(s, 'step', args),
  C: (s, args) => resume(s, 'continue', args.includes(';') ? args.slice(args.indexOf(';') + 1) : ''),
  S: (s, args) => resume(s, 'step', args.includes(';') ? args.slice(args.indexOf(';') + 1) : ''),
  bs: (s) => reverse(s, 'step'),
  bc: (s) => reverse(s, 'continue'),
  vCont: vCont,
  Z: (s, args) => breakpoint(s, args, true),
  z: (s, args) => breakpoint(s, args, false),
  qSupported: (s) => supported(s),
  qXfer: (s, args) => (args.startsWith(':features:') ? featuresRead(args.slice(':features:'.length)) : ''),
  QStartNoAckMode: () => 'OK',
  qAttached: () => '1',
  qC: () => 'QC01',
  qfThreadInfo: () => 'm01',
  qsThreadInfo: () => 'l',
  H: () => 'OK',
  T: () => 'OK',
  qSymbol: () => 'OK',
  qRcmd: (s, args) => {
    const text = hexToText(args.startsWith(',') ? args.slice(1) : args);
    if (text === null) return E_ARGS;
    const out = runMonitorCommand(s.target, text);
    const text2 = out === '' || out.endsWith('\n') ? out : out + '\n';
    // Console output packets ('O' + hex) of a bounded size, then OK.
    const packets: string[] = [];
    for (let k = 0; k < text2.length; k += 2048) packets.push('O' + textToHex(text2.slice(k, k + 2048)));
    packets.push('OK');
    return packets;
  },
  D: (s) => {
    s.ended = 'detach';
    s.target.detach();
    return 'OK';
  },
  k: (s) => {
    s.ended = 'kill';
    s.target.kill();
    return null;
  },
  vKill: (s) => {
    s.ended = 'kill';
    s.target.kill();
    return 'OK';
  },
};

/** The packet name of a request: `q`/`Q`/`v` words up to their separator, `bs`/`bc`, or one letter. */
export function packetName(data: string): string {
  if (/^[qQv]/.test(data)) return /^[qQv][A-Za-z]+/.exec(data)?.[0] ?? data[0];
  if (data.startsWith('bs') || data.startsWith('bc')) return data.slice(0, 2);
  return data.slice(0, 1);
}

/** Answers one request (null: no reply, as for `k`). */
export async function handlePacket(s: StubState, data: string): Promise<Reply> {
  const name = packetName(data);
  const handler = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (handler === undefined) return '';
  return handler(s, data.slice(name.length));
}
