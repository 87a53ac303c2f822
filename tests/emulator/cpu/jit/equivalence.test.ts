import { describe, expect, it } from 'vitest';
import { Machine, type MachineOptions } from '../../../../emulator/machine';
import { EventRecorder } from '../../../../recorder/event-recorder';
import type { TraceEvent } from '../../../../recorder/events';
import { guestNames, guestImage } from '../../../helpers/guests';
import { COLUMNS, VTX_COLUMNS, SCENARIOS } from '../../../../scenarios/scenarios';
import { Prng } from '../../../helpers/prng';
import { OPCODE_FORMS } from '../../../../emulator/cpu/opcodes';
import { DiskImage } from '../../../../emulator/devices/disk-image';
import { guestDiskSizes, guestDiskBytes } from '../../../helpers/guest-disks';

/** Everything a run leaves that the interpreter and the translator must agree on. */
interface Outcome {
  result: string;
  output: string;
  events: string[];
  state: Record<string, unknown>;
  ram: Uint8Array;
  disks: Uint8Array[];
  translated: number;
}

/** Fresh copies of a guest's disks (each run writes its own). */
function disksOf(name: string): DiskImage[] {
  return guestDiskSizes(name).map((size, k) => new DiskImage(guestDiskBytes(k, size), `disk${k}`));
}

function runOnce(image: Uint8Array, opts: MachineOptions, jit: boolean, max: number, name = ''): Outcome {
  const out: number[] = [];
  const disks = name === '' ? [] : disksOf(name);
  const m = new Machine(image, { ...opts, disks, jit, onUartByte: (b) => out.push(b) });
  // Translate after two executions, so that short guests run mostly translated.
  m.executor.hotTranslate = 2;
  const events: string[] = [];
  const rec = new EventRecorder(m, (e: TraceEvent) => events.push(`${e.seq} ${e.icount} ${e.kind} ${e.cpl} ${e.cs}:${e.eip} ${e.a} ${e.b} ${e.c} ${e.d} ${e.text}`));
  rec.attach();
  const r = m.run(max);
  const c = m.cpu;
  return {
    result: `${r.reason} ${r.exitCode} ${r.icount}`,
    output: Buffer.from(out).toString('latin1'),
    events,
    state: {
      regs: [...c.regs], eip: c.eip, next: c.next, flags: c.getFlags(), icount: c.icount, cpl: c.cpl,
      lazy: [c.flagsReg, c.lazy, c.lop, c.ldst, c.lsrc, c.lres, c.lsz, c.lcin],
      seg: [...c.segSel, ...c.segBase, ...c.segLimit, ...c.segAR],
      cr: [c.cr0, c.cr2, c.cr3, c.cr4], halted: c.halted, stop: c.stopReason, shutdown: [c.shutdownReason, c.shutdownCs, c.shutdownEip],
      exc: [c.excVector, c.excCode, c.excAddr],
    },
    ram: c.ram,
    disks: disks.map((d) => d.contents()),
    translated: m.executor.blocksTranslated,
  };
}

/** Runs twice (interpreter, translator) and requires the same outcome; returns the translated-block count. */
function expectSame(image: Uint8Array, opts: MachineOptions, max: number, name = ''): number {
  const a = runOnce(image, opts, false, max, name);
  const b = runOnce(image, opts, true, max, name);
  expect(a.translated).toBe(0);
  expect(b.result).toBe(a.result);
  expect(b.output).toBe(a.output);
  expect(b.state).toEqual(a.state);
  expect(b.events.length).toBe(a.events.length);
  for (let k = 0; k < a.events.length; k++) if (a.events[k] !== b.events[k]) expect(b.events[k]).toBe(a.events[k]);
  expect(Buffer.compare(a.ram, b.ram)).toBe(0);
  expect(b.disks).toEqual(a.disks);
  return b.translated;
}

describe('the block translator changes nothing observable', () => {
  // Runs are compared to their end, or at a stop after LIMIT instructions (BENCH_LIMIT for the
  // 200 M-instruction benchmarks, MONITORED_LIMIT under a monitor): the stop itself must then
  // come at the same instruction with the same state.
  const LIMIT = 2_000_000;
  const BENCH_LIMIT = 300_000;
  const MONITORED_LIMIT = 200_000;
  const TIMEOUT = 240_000; // a loaded 2-core machine runs these many times slower than an idle one
  for (const name of guestNames()) {
    const max = name.startsWith('bench-') ? BENCH_LIMIT : LIMIT;
    it(`${name} natively: same state, UART output and events translated as interpreted`, () => {
      expect(expectSame(guestImage(name), {}, max, name)).toBeGreaterThan(0);
    }, TIMEOUT);
  }

  const monitored = SCENARIOS.map((s) => s.name);
  for (const name of monitored) {
    for (const col of [...COLUMNS.slice(1), ...VTX_COLUMNS]) {
      it(`${name} under ${col.label}: same state, UART output and events translated as interpreted`, () => {
        expectSame(guestImage(name), { mode: col.mode, shadow: col.shadow, vtxGen: col.vtxGen }, MONITORED_LIMIT, name);
      }, TIMEOUT);
    }
  }

  it('random byte programs end the same (faults, shutdowns, limits)', () => {
    const rng = new Prng(0x5eed);
    for (let p = 0; p < 60; p++) {
      const code = new Uint8Array(4096);
      for (let k = 0; k < code.length; k++) code[k] = rng.below(256);
      expectSame(code, { flatAddress: 0x100000, ramSize: 4 * 1024 * 1024 }, 20_000);
    }
  }, TIMEOUT);

  it('random loops of translated forms end the same, stopped at every kind of limit', () => {
    const rng = new Prng(0xb10c);
    let translated = 0;
    for (let p = 0; p < 60; p++) {
      const image = randomLoop(rng);
      translated += expectSame(image, { flatAddress: 0x100000, ramSize: 4 * 1024 * 1024 }, 1000 + rng.below(60_000));
    }
    expect(translated).toBeGreaterThan(20);
  }, TIMEOUT);
});

const JIT_FORMS = OPCODE_FORMS.filter((f) => f.jit !== '' && !f.endsBlock);

/**
 * A flat program: EBX and EBP point into RAM, ESP at a stack; then a loop body of random
 * instructions drawn from the forms with templates (register operands mostly, memory through
 * [EBX+disp8] or [EBP+disp8], sometimes a prefix), a random conditional branch back, and more
 * random bytes after it.
 */
function randomLoop(rng: Prng): Uint8Array {
  const b: number[] = [];
  const imm32 = (v: number) => b.push(v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255);
  b.push(0xbb); imm32(0x180000); // mov ebx, 0x180000
  b.push(0xbd); imm32(0x1a0000 + rng.below(0x1000)); // mov ebp, ...
  b.push(0xbc); imm32(0x1c0000); // mov esp, 0x1c0000
  b.push(0xb9); imm32(50 + rng.below(200)); // mov ecx, count
  const top = b.length;
  const body = 3 + rng.below(20);
  for (let k = 0; k < body; k++) {
    const f = JIT_FORMS[rng.below(JIT_FORMS.length)];
    if (rng.below(10) === 0) b.push([0x66, 0x67, 0xf0, 0x26, 0x64, 0xf3][rng.below(6)]);
    if (f.code > 0xff) b.push(0x0f);
    b.push(f.code & 0xff);
    if (f.modrm) {
      const reg = f.reg >= 0 ? f.reg : rng.below(8);
      // Keep ESP and EBX (mostly) out of the destinations so that loops keep going.
      const rm = [0, 1, 2, 6, 7, 5, 3][rng.below(7)];
      const mem = rng.below(3) === 0 || f.rm === 'mem';
      if (mem) {
        b.push(0x40 | (reg << 3) | (rng.below(2) === 0 ? 3 : 5), rng.below(256));
      } else b.push(0xc0 | (reg << 3) | rm);
    }
    switch (f.imm) {
      case 'Ib': case 'Ibs': b.push(rng.below(256)); break;
      case 'Iw': b.push(rng.below(256), rng.below(256)); break;
      case 'Iz': imm32(rng.next()); break;
      default: break;
    }
  }
  b.push(0x49); // dec ecx
  const cc = rng.below(4) === 0 ? rng.below(16) : 5; // jcc / jnz top
  if (top - (b.length + 2) >= -128) b.push(0x70 + cc, (top - (b.length + 2)) & 255);
  else {
    b.push(0x0f, 0x80 + cc);
    imm32(top - (b.length + 4));
  }
  b.push(0xe6, 0xf4); // out 0xf4, al: exit
  for (let k = 0; k < 64; k++) b.push(rng.below(256));
  return new Uint8Array(b);
}
