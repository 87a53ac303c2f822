/**
 * Packet-level transcripts (transcripts/*.txt), each run against the live server (a machine)
 * and the trace server (a recording of the same run), in process, on an ephemeral port.
 *
 * Transcript lines:
 *   # guest: NAME          the guest (emulator/guests/NAME.elf); `# targets: live` limits the servers;
 *   # mode: MODE [SHADOW]  the monitor the guest runs under (default native)
 *   # jit: off             the live machine runs interpreted (a guest translated to JavaScript may
 *                          end before a `wait` is over)
 *   > PAYLOAD              a request (framed by the client)
 *   >raw TEXT              raw bytes (JSON string escapes: \u0003)
 *   >monitor COMMAND       qRcmd; the console output is matched by <monitor lines
 *   < REPLY                the expected reply, \n a newline (`<live` / `<trace`: for one server only)
 *   <~ REGEX               the reply matches (also `<live~`, `<trace~`)
 *   <monitor TEXT / <monitor~ REGEX   the monitor command's whole output (one line; \n between lines)
 *   <ack C                 the next byte is the acknowledgment C (+ or -)
 *   <closed                the server closed the connection
 *   wait MS                pause
 * In requests and replies, {sym:NAME} is a symbol's address in hex and {le:NAME} its
 * little-endian register encoding; NAME may be NAME+N (hex offset).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { GdbClient } from '../../helpers/gdb-client';
import { serveGdb, type SessionEnd } from '../../../debugger/gdbstub/server';
import { LiveTarget } from '../../../debugger/gdbstub/live-target';
import { TraceTarget } from '../../../debugger/gdbstub/trace-target';
import type { DebugTarget } from '../../../debugger/gdbstub/target';
import { le32, hexToText } from '../../../debugger/gdbstub/packets';
import { buildMachine, DEFAULT_SNAPSHOT_INTERVAL, type RunOptions } from '../../../recorder/session';
import { EventRecorder } from '../../../recorder/event-recorder';
import { recordRun } from '../../../recorder/record';
import { Timeline } from '../../../recorder/timeline';
import { loadRecordedRun, pickRun } from '../../../recorder/load-run';
import { openTraceReadOnly, closeTrace, type TraceDb } from '../../../recorder/store';
import { scenarioImage } from '../../../scenarios/scenarios';
import { DEFAULT_RAM_SIZE } from '../../../emulator/machine';
import { SymbolTable } from '../../../emulator/loader/symbols';

const DIR = join(import.meta.dirname, 'transcripts');
const tmp = mkdtempSync(join(tmpdir(), 'ringside-gdbstub-'));
const dbs: TraceDb[] = [];
afterAll(() => {
  for (const db of dbs) closeTrace(db);
  rmSync(tmp, { recursive: true, force: true });
});

const OPTIONS: RunOptions = { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL };

function liveTarget(image: Uint8Array, options: RunOptions, jit: boolean): DebugTarget {
  const machine = buildMachine(image, options);
  machine.executor.jit = jit;
  const target = new LiveTarget({ machine, limit: Infinity, run: (stopAt) => machine.run(stopAt - machine.cpu.icount) });
  new EventRecorder(machine, (e) => target.noteEvent(e)).attach();
  return target;
}

const recorded = new Map<string, string>(); // guest -> trace file
function traceTarget(name: string, image: Uint8Array, options: RunOptions): DebugTarget {
  let file = recorded.get(name);
  if (file === undefined) {
    file = join(tmp, `${name}.sqlite`);
    recordRun({ image, imageName: `${name}.elf`, options, out: file });
    recorded.set(name, file);
  }
  const db = openTraceReadOnly(file);
  dbs.push(db);
  const run = pickRun(db);
  return new TraceTarget(new Timeline(loadRecordedRun(db, run)), db, run.id);
}

function substitute(text: string, symbols: SymbolTable): string {
  return text.replace(/\{(sym|le):([A-Za-z_.][\w.]*)(?:\+([0-9a-f]+))?\}/g, (_, how: string, name: string, plus?: string) => {
    const a = symbols.addressOf(name);
    if (a === undefined) throw new Error(`no symbol ${name}`);
    const v = (a + (plus ? parseInt(plus, 16) : 0)) >>> 0;
    return how === 'sym' ? v.toString(16) : le32(v);
  });
}

async function play(lines: string[], which: 'live' | 'trace', target: DebugTarget, symbols: SymbolTable): Promise<void> {
  let ended: SessionEnd | 'error' | null = null;
  let port = 0;
  const listening = new Promise<void>((resolve) => {
    serveGdb(target, { host: '127.0.0.1', port: 0, onListening: (_h, p) => ((port = p), resolve()) }).then((e) => (ended = e), () => (ended = 'error'));
  });
  await listening;
  const client = await GdbClient.connect(port);
  try {
    let monitorOut: string | null = null;
    for (const [k, raw] of lines.entries()) {
      const where = `line ${k + 1} (${which}): ${raw}`;
      await step(raw, where).catch((e: Error) => {
        throw new Error(`${where}: ${e.message}`);
      });
    }
    async function step(raw: string, where: string): Promise<void> {
      const line = substitute(raw, symbols);
      let m: RegExpExecArray | null;
      if (line.trim() === '' || line.startsWith('#')) return;
      if ((m = /^wait (\d+)$/.exec(line))) await new Promise((r) => setTimeout(r, Number(m![1])));
      else if (line.startsWith('>raw ')) client.raw(JSON.parse(`"${line.slice(5)}"`));
      else if (line.startsWith('>monitor ')) {
        client.send('qRcmd,' + Buffer.from(line.slice(9)).toString('hex'));
        let out = '';
        for (;;) {
          const r = await client.reply();
          if (r === null || r === 'OK') break;
          expect(r.startsWith('O'), where).toBe(true);
          out += hexToText(r.slice(1));
        }
        monitorOut = out.replace(/\n$/, '').replace(/\n/g, '\\n');
      } else if (line.startsWith('> ') || line === '>') {
        const payload = line.slice(2);
        client.send(payload);
        if (payload === 'QStartNoAckMode') client.noAck = true;
      } else if ((m = /^<(live|trace)?(?: ?(monitor))?(~)? ?(.*)$/.exec(line))) {
        const [, only, monitor, regex, want] = m;
        if (only !== undefined && only !== which) return;
        if (want.startsWith('ack ') && !monitor && !regex && only === undefined) {
          expect(await client.ackByte(), where).toBe(want.slice(4));
          return;
        }
        if (want === 'closed' && !monitor) {
          expect(await client.reply(), where).toBeNull();
          return;
        }
        const got = monitor ? monitorOut : await client.reply();
        if (regex) expect(got, where).toMatch(new RegExp(want));
        else expect(got, where).toBe(monitor ? want : want.replace(/\\n/g, '\n'));
      } else throw new Error(`bad transcript ${where}`);
    }
  } finally {
    client.close();
    for (let k = 0; k < 100 && ended === null; k++) await new Promise((r) => setTimeout(r, 10));
  }
  expect(ended).not.toBe('error');
}

describe('gdb stub transcripts (live and trace servers)', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort()) {
    const lines = readFileSync(join(DIR, file), 'utf8').split('\n');
    const guest = /^# guest: (\S+)/m.exec(lines.join('\n'))?.[1] ?? 'minikernel';
    const only = /^# targets: (.+)$/m.exec(lines.join('\n'))?.[1].split(/\s+/) ?? ['live', 'trace'];
    const [mode, shadow] = /^# mode: (.+)$/m.exec(lines.join('\n'))?.[1].split(/\s+/) ?? ['native'];
    const options: RunOptions = { ...OPTIONS, mode, shadow };
    const jit = !/^# jit: off\b/m.test(lines.join('\n'));
    const image = scenarioImage(guest);
    const symbols = SymbolTable.fromElf(image);
    for (const which of only as ('live' | 'trace')[]) {
      it(`${file.replace(/\.txt$/, '')} (${which})`, async () => {
        const target = which === 'live' ? liveTarget(image, options, jit) : traceTarget(`${guest}-${mode}-${shadow ?? ''}`, image, options);
        await play(lines, which, target, symbols);
      }, 60_000);
    }
  }
});
