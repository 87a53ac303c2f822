import { describe, it, expect } from 'vitest';
import { classify } from '../../../recorder/diff/categories';
import { sensitiveForm } from '../../../recorder/diff/forms';
import { EventKind, type TraceEvent } from '../../../recorder/events';
import type { Divergence } from '../../../recorder/diff/engine';

const div = (form: Divergence['form'], icount = 10): Divergence => ({ icount, cs: 8, eip: 0x1000, form, differences: [{ kind: 'register', name: 'eax', left: 1, right: 2 }] });
const ev = (kind: number, a: number, text: string, icount = 9): TraceEvent => ({ seq: 0, icount, kind, cpl: 0, cs: 8, eip: 0x1000, a, b: 0, c: 0, d: 0, text });

describe('diff category rules', () => {
  it('recognises sensitive forms from instruction bytes', () => {
    expect(sensitiveForm([0x0e])).toBe('push-sreg');
    expect(sensitiveForm([0x0f, 0x01, 0x05])).toBe('sgdt');
    expect(sensitiveForm([0x0f, 0x01, 0x0d])).toBe('sidt');
    expect(sensitiveForm([0x0f, 0x00, 0xc8])).toBe('str');
    expect(sensitiveForm([0x66, 0x9c])).toBe('pushf');
    expect(sensitiveForm([0x0f, 0x34])).toBe('sysenter');
    expect(sensitiveForm([0x64, 0x8b, 0x00])).toBe('segment-override');
    expect(sensitiveForm([0x89, 0xc8])).toBeNull();
  });

  it('names system calls for SYSEXIT', () => {
    expect(classify(div('sysexit'), [], [], false).category).toBe('system calls');
  });

  it('names address-space compression for an access the monitor emulated in its region', () => {
    const right = [ev(EventKind.monitor_emulation, 0, 'access to the monitor region emulated')];
    expect(classify(div(null), [], right, false).category).toBe('address-space compression');
  });

  it('names frequent access to privileged resources for an emulated local APIC access', () => {
    const right = [ev(EventKind.monitor_emulation, 0, 'local apic access emulated')];
    expect(classify(div(null), [], right, false).category).toBe('frequent access to privileged resources');
  });

  it('names hidden state only after a stale descriptor', () => {
    expect(classify(div('segment-override'), [], [], true).category).toBe('hidden state');
    expect(classify(div('segment-override'), [], [], false).category).toBe('unclassified');
  });

  it('does not count a hidden page fault the monitor took for itself as ring compression', () => {
    const native = [ev(EventKind.interrupt, 14, 'exception')];
    const hidden = [ev(EventKind.interrupt, 14, 'exception'), ev(EventKind.monitor_exit, 14, '#PF')];
    expect(classify(div(null), native, [], false).category).toBe('ring compression');
    expect(classify(div(null), native, hidden, false).category).toBe('ring compression');
    expect(classify(div(null), hidden, hidden, false).category).toBe('unclassified');
  });

  it('gives the evidence when no rule fits', () => {
    const c = classify(div(null), [ev(EventKind.io, 1, '')], [], false);
    expect(c.category).toBe('unclassified');
    expect(c.rule).toMatch(/not sensitive; differs: eax; left #0 @9/);
  });
});
