/** The event declaration (recorder/events.ts) and everything made from it or checked against it. */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers/cli';
import {
  EVENT_KINDS, EventKind, KIND_FIELDS, KIND_NAMES, eventFields, fieldsLine, formatEvent, makeEvent, type EventKindName, type FieldDeclaration, type Slot,
} from '../../recorder/events';
import { EventEmitters } from '../../recorder/event-emitters';
import { EVENT_DERIVED_FILES } from '../../recorder/golden';
import { DTR_OPS, FAST_SYSCALL_OPS, IFLAG_CAUSES, INTERRUPT_SOURCES, PRIVILEGE_CAUSES } from '../../emulator/cpu/observer';
import { EVENT_MODEL, describeEventModel, kindView } from '../../recorder/store/schema';

const SLOTS: Slot[] = ['a', 'b', 'c', 'd', 'text'];
const kinds = Object.entries(EVENT_KINDS) as [EventKindName, { id: number; why: string; fields: readonly FieldDeclaration[] }][];
const stamp = { seq: 7, icount: 1234, cpl: 3, cs: 0x1b, eip: 0x00401000 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : f.endsWith('.ts') ? [p] : [];
  });
}

describe('the event declaration', () => {
  it('gives every kind its own number and every field its own name and slot, in slot order', () => {
    expect(new Set(kinds.map(([, k]) => k.id)).size).toBe(kinds.length);
    for (const [name, k] of kinds) {
      const slots = k.fields.map((f) => SLOTS.indexOf(f.slot));
      expect([...slots].sort((x, y) => x - y), name).toEqual(slots);
      expect(new Set(slots).size, name).toBe(slots.length);
      expect(new Set(k.fields.map((f) => f.name)).size, name).toBe(k.fields.length);
      expect(k.why.length, name).toBeGreaterThan(2);
      for (const f of k.fields) {
        expect(f.print === 'number', `${name}.${f.name} prints as its slot holds`).toBe(f.slot !== 'text');
        if (f.values !== undefined) expect(f.slot, `${name}.${f.name}: only texts have a closed set`).toBe('text');
      }
    }
  });

  it('makes EventKind, KIND_NAMES and KIND_FIELDS from it', () => {
    for (const [name, k] of kinds) {
      expect(EventKind[name]).toBe(k.id);
      expect(KIND_NAMES[k.id]).toBe(name);
      expect(KIND_FIELDS[name]).toEqual(Object.fromEntries(k.fields.map((f) => [f.slot, f.name])));
    }
  });

  it('matches the model the store views were made with (a change needs a migration that recreates them)', () => {
    expect(describeEventModel()).toBe(EVENT_MODEL);
    for (const [name, k] of kinds) {
      const view = kindView(name, k.id);
      // A 32-bit unsigned field shows unsigned, a signed one (a -1 sentinel) as stored.
      for (const f of k.fields as readonly FieldDeclaration[]) {
        const column = f.slot === 'text' ? `s.text AS ${f.name}` : f.signed === true ? `e.${f.slot} AS ${f.name}` : `(e.${f.slot} & 4294967295) AS ${f.name}`;
        expect(view, name).toContain(column);
      }
    }
  });

  it('keeps the typed emitters and the READMEs\' tables of kinds made from it (npm run golden rewrites them)', () => {
    for (const { path, update } of EVENT_DERIVED_FILES) {
      const text = readFileSync(join(ROOT, path), 'utf8');
      expect(update(text), `${path} is stale: run npm run golden`).toBe(text);
    }
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const [name] of kinds) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('takes the closed value sets the CPU emits from the observer, where the CPU names them', () => {
    expect(EVENT_KINDS.privilege.fields[4].values).toBe(PRIVILEGE_CAUSES);
    expect(EVENT_KINDS.interrupt.fields[4].values).toBe(INTERRUPT_SOURCES);
    expect(EVENT_KINDS.iflag.fields[3].values).toBe(IFLAG_CAUSES);
    expect(EVENT_KINDS.dtr.fields[3].values).toBe(DTR_OPS);
    expect(EVENT_KINDS.fast_syscall.fields[3].values).toBe(FAST_SYSCALL_OPS);
  });

  it('declares no value that nothing emits: each value of the CPU\'s sets is passed at an emitting site of emulator/', () => {
    const sources = files(join(ROOT, 'emulator'))
      .filter((f) => !f.endsWith('observer.ts'))
      .map((f) => ({ f: relative(ROOT, f), text: readFileSync(f, 'utf8') }))
      .filter((s) => /observer\.|deliverEvent\(/.test(s.text));
    const unused: string[] = [];
    for (const values of [PRIVILEGE_CAUSES, INTERRUPT_SOURCES, IFLAG_CAUSES, DTR_OPS, FAST_SYSCALL_OPS]) {
      for (const v of values) if (!sources.some((s) => s.text.includes(`'${v}'`))) unused.push(v);
    }
    expect(unused).toEqual([]);
    // 'far-jmp' and 'monitor' were declared once and never emitted (a far JMP never changes CPL).
    expect(PRIVILEGE_CAUSES as readonly string[]).not.toContain('far-jmp');
    expect(PRIVILEGE_CAUSES as readonly string[]).not.toContain('monitor');
  });
});

describe('events made from named fields', () => {
  it('puts each field in its slot and reads it back by name, for every kind', () => {
    const e = makeEvent('privilege', { from_cpl: 3, to_cpl: 0, to_cs: 8, to_eip: 0xc0100000, cause: 'sysenter' }, stamp);
    expect(e).toEqual({ ...stamp, kind: EventKind.privilege, a: 3, b: 0, c: 8, d: 0xc0100000 | 0, text: 'sysenter' });
    expect(eventFields(e)).toEqual({ from_cpl: 3, to_cpl: 0, to_cs: 8, to_eip: 0xc0100000, cause: 'sysenter' });
    const seg = makeEvent('segment_load', { reg: 3, selector: 0x10, base: 0, seg_limit: -1, rights: '00c09300' }, stamp);
    expect([seg.a, seg.b, seg.c, seg.d, seg.text]).toEqual([3, 0x10, 0, -1, '00c09300']);
  });

  it('the generated emitters put the same slots as makeEvent', () => {
    const got: unknown[][] = [];
    const emit = new EventEmitters((...slots) => got.push(slots));
    emit.io_string(0x80, 1024, 0x1234, 0xff, 'outsb');
    emit.halt();
    emit.run_end(3, 'exit');
    const io = makeEvent('io_string', { port: 0x80, elements: 1024, digest: 0x1234, last_value: 0xff, op: 'outsb' }, stamp);
    expect(got).toEqual([
      [EventKind.io_string, io.a, io.b, io.c, io.d, io.text],
      [EventKind.halt, 0, 0, 0, 0, ''],
      [EventKind.run_end, 3, 0, 0, 0, 'exit'],
    ]);
  });

  it('prints every number the same way on a golden line and in the debugger\'s event line', () => {
    const e = makeEvent('exception', { vector: 14, error_code: -1, cr2: 0x1000 }, stamp);
    expect(formatEvent(e)).toBe('#7 @1234 cpl3 001b:00401000 exception vector=14 error_code=0xffffffff cr2=0x1000');
    expect(fieldsLine(e)).toBe('vector=14 error_code=0xffffffff cr2=0x1000');
    const seg = makeEvent('segment_load', { reg: 1, selector: 8, base: 0, seg_limit: -1, rights: '00c09b00' }, stamp);
    expect(fieldsLine(seg)).toBe('reg=1 selector=8 base=0 seg_limit=0xffffffff rights=00c09b00');
    const p = makeEvent('iflag', { real_if: 0, virtual_if: 1, changed: 1, by_instruction: 'cli' }, stamp);
    expect(fieldsLine(p)).toBe('cli real_if=0 virtual_if=1 changed=1');
    expect(formatEvent(p)).toBe('#7 @1234 cpl3 001b:00401000 iflag real_if=0 virtual_if=1 changed=1 by_instruction=cli');
  });
});
