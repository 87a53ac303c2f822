/**
 * The block translator: turns a hot decoded block into one JavaScript function whose body is the
 * block's instructions with their semantics inline (templates.ts), guest registers and lazy
 * flags in locals, memory accesses through the TLB fast path, and a branch back to the block's
 * own start compiled as a loop. Forms without a template (or instances a template does not
 * cover) call the interpreter's handler with the state synced around the call.
 *
 * Precise state. The function is entered with the Cpu exactly as the interpreter would have it
 * before the block's first instruction, and leaves it exactly as the interpreter would after the
 * last instruction it retires:
 *  - every exit writes back the registers the block writes, the flag fields it writes, EIP,
 *    cpu.next and icount;
 *  - an exception (the FAULT signal) is caught, the state before the faulting instruction
 *    (index `pc`) written back, EIP and icount set to that instruction's, and the signal
 *    rethrown to the dispatch loop, which delivers it as it would for the interpreter;
 *  - a slow memory path (TLB miss, MMIO, a page holding code or watched by a debugger) syncs the
 *    whole state first, so devices, observers and watchpoints see what the interpreter shows
 *    them, and the block leaves after that instruction when cpu.brk was raised (a write to
 *    translated code, a device, a watchpoint);
 *  - a pass through a loop runs only when all of it fits before `limit` (the dispatch loop's
 *    stop: a requested count, a timer deadline), so stops stay exact.
 *
 * Dead-flag elimination: a flag-field store is dropped when a later store of the same field
 * comes before any reader (a condition, a carry-in, a possible exit, a possible fault or slow
 * path, a handler call: each of those reads every field). What remains is the last writer
 * before each reader, so the fields left at every exit are the interpreter's, bit for bit.
 */
import type { Cpu } from '../cpu';
import type { Insn } from '../insn';
import { FAULT } from '../fault';
import { Emitter, STORE, LOAD } from './emit';
import { F_ALL, F_FR, F_LZ, F_LOP, F_LSZ, F_LCI, FLAG_LOCALS, FLAG_FIELDS, FLAG_HELPERS } from './flags';

const INT_FIELDS = F_FR | F_LZ | F_LOP | F_LSZ | F_LCI;
import { TEMPLATES, coverable } from './templates';

/** A translated block: runs one or more passes of the block, stopping before `limit` instructions. */
export type Translated = (limit: number) => void;

/** What translating a block produced (the source is kept for statistics and debugging). */
export interface Translation {
  run: Translated;
  source: string;
}

const FLAG_NAME_RE = /\b(fr|lz|lop|ld|ls|lr|lsz|lci)\b/;

/** Translates the `n` instructions of a decoded 32-bit block for `cpu`. */
export function translate(cpu: Cpu, insns: readonly Insn[], n: number): Translation {
  const off: number[] = [0];
  for (let k = 0; k < n; k++) off.push(off[k] + insns[k].len);
  const g = new Emitter(off);
  const last = insns[n - 1];
  g.loops = last.form !== null && (last.form.jit === 'jcond' || last.form.jit === 'jmp') && off[n] + last.imm === 0;
  const handlers: unknown[] = [];
  for (let k = 0; k < n; k++) {
    const ins = insns[k];
    g.begin(k);
    const t = coverable(ins) ? TEMPLATES[ins.form!.jit as keyof typeof TEMPLATES] : undefined;
    if (t === undefined || !t(g, ins)) {
      g.cur = [];
      callHandler(g, ins, k, handlers);
    }
    g.end();
  }
  // A block that ends without a transfer falls through to the next instruction.
  g.items[n - 1].push({ s: g.exit(n, `(e0 + ${off[n]}) >>> 0`), w: 0, r: F_ALL, store: false });

  // Dead-flag elimination: backwards over the block; every exit reads every field.
  let live = F_ALL;
  let written = 0;
  for (let k = n - 1; k >= 0; k--) {
    const list = g.items[k];
    for (let j = list.length - 1; j >= 0; j--) {
      const it = list[j];
      if (it.store && (live & it.w) === 0) {
        list.splice(j, 1);
        continue;
      }
      written |= it.w;
      live = (live & ~it.w) | it.r;
    }
  }

  let body = '';
  for (let k = 0; k < n; k++) body += `// ${k}\n` + g.items[k].map((it) => it.s).join('\n') + '\n';
  const needFlags = FLAG_NAME_RE.test(body);

  const regs: number[] = [];
  for (let r = 0; r < 8; r++) if ((g.used >> r) & 1) regs.push(r);
  let store = '';
  for (let r = 0; r < 8; r++) if ((g.written >> r) & 1) store += `R[${r}] = r${r}; `;
  let load = regs.map((r) => `r${r} = R[${r}];`).join(' ');
  if (needFlags) {
    for (let f = 0; f < 8; f++) if ((written >> f) & 1) store += `cpu.${FLAG_FIELDS[f]} = ${FLAG_LOCALS[f]}; `;
    load += ' ' + FLAG_LOCALS.map((l, f) => `${l} = cpu.${FLAG_FIELDS[f]};`).join(' ');
  }
  let flagStore = '';
  if (needFlags) for (let f = 0; f < 8; f++) if ((written >> f) & 1) flagStore += `cpu.${FLAG_FIELDS[f]} = ${FLAG_LOCALS[f]}; `;
  body = body.split(STORE).join(store).split(LOAD).join(load).replace(/%STORE(\d+)%/g, (_, m: string) => {
    let s = '';
    for (let r = 0; r < 8; r++) if ((Number(m) >> r) & 1) s += `R[${r}] = r${r}; `;
    return s + flagStore;
  });

  let src = `const e0 = cpu.eip; let ic = cpu.icount; let pc = 0, o = 0, a = 0, e = 0, p = 0, t = 0${g.selfLoop ? ', passes = 4096' : ''};\n`;
  if (regs.length > 0) src += `let ${regs.map((r) => `r${r} = R[${r}]`).join(', ')};\n`;
  // flagsReg, lazy, lop, lsz and lcin are always int32: saying so lets V8 keep them unboxed.
  if (needFlags) src += `let ${FLAG_LOCALS.map((l, f) => `${l} = cpu.${FLAG_FIELDS[f]}${INT_FIELDS & (1 << f) ? ' | 0' : ''}`).join(', ')};\n`;
  src += `try {\nfor (;;) {\n${body}}\n} catch (x) {\n`;
  src += `if (x === FAULT && FB[pc] === 0) { ${store} cpu.eip = (e0 + OFF[pc]) >>> 0; cpu.next = (e0 + OFF[pc + 1]) >>> 0; cpu.icount = ic + pc; }\n`;
  src += 'throw x;\n}\n';

  const names = ['cpu', 'R', 'RAM', 'RAM32', 'TLB', 'RLO', 'RHI', 'WLO', 'WHI', 'BASE', 'SEGLIMIT', 'FAULT', 'OFF', 'FB',
    ...Object.keys(FLAG_HELPERS), ...handlers.map((_, j) => `${j & 1 ? 'I' : 'H'}${j >> 1}`)];
  const fb = new Uint8Array(n + 1);
  for (let k = 0; k < n; k++) fb[k] = g.fallback[k] ? 1 : 0;
  const values = [cpu, cpu.regs, cpu.ram, cpu.ram32, cpu.tlb, cpu.segRLo, cpu.segRHi, cpu.segWLo, cpu.segWHi, cpu.segBase,
    cpu.segLimit, FAULT, Int32Array.from(off), fb, ...Object.values(FLAG_HELPERS), ...handlers];
  const source = `return function translated(limit) {\n${src}};`;
  const factory = new Function(...names, source) as (...args: unknown[]) => Translated;
  return { run: factory(...values), source };
}

/**
 * An instruction without a template: the interpreter's handler runs it, with the whole state
 * synced before and reloaded after; the block leaves after it when it transfers control, repeats
 * (REP) or raised cpu.brk, as the interpreter's loop does.
 */
function callHandler(g: Emitter, ins: Insn, k: number, handlers: unknown[]): void {
  const h = handlers.length >> 1;
  handlers.push(ins.exec, ins);
  g.fallback[k] = true;
  g.code(`pc = ${k};`);
  // The handler may move icount itself (a VM exit does not retire the instruction that caused
  // it): the count goes on from whatever it left, as in the interpreter's loop.
  const form = ins.form;
  if (form === null || form.endsBlock) {
    // The last instruction: the state is the handler's, nothing to write back.
    g.code(`${g.sync(k)} H${h}(cpu, I${h}); cpu.icount++; cpu.eip = cpu.next; return;`, F_ALL);
  } else {
    g.code(`${g.sync(k)} H${h}(cpu, I${h}); cpu.icount++; ic = cpu.icount - ${k + 1}; ${LOAD}`, F_ALL);
    g.code(`if (cpu.brk || cpu.next !== ((e0 + ${g.off[k + 1]}) >>> 0)) { ${STORE} cpu.eip = cpu.next; return; }`, F_ALL);
  }
  g.known = { lz: null, lop: null, lsz: null };
  g.used = 0xff; // the handler may read or change any register
  g.written = 0xff;
}
