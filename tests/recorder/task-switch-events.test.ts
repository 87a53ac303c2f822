// A hardware task switch is one task_switch event: old and new TSS selectors, the IDT vector of
// a task gate (-1 otherwise) and the cause, stamped with the instruction at which it happened.
import { describe, expect, it } from 'vitest';
import { EventKind, formatEvent } from '../../recorder/events';
import { recordInMemory } from '../helpers/record-memory';
import { guestImage } from '../helpers/guests';

describe('task_switch events', () => {
  it('the tasks guest records each of its 16 switches with its cause', () => {
    const { events, result } = recordInMemory(guestImage('tasks'));
    expect(result.reason).toBe('exit');
    const ts = events.filter((e) => e.kind === EventKind.task_switch);
    expect(ts.map((e) => [e.a, e.b, e.c, e.text])).toEqual([
      [0x28, 0x30, -1, 'jmp'], [0x30, 0x28, -1, 'jmp'],
      [0x28, 0x30, -1, 'call'], [0x30, 0x28, -1, 'iret'],
      [0x28, 0x30, -1, 'jmp'], [0x30, 0x28, -1, 'jmp'], [0x28, 0x30, -1, 'call'], [0x30, 0x28, -1, 'iret'],
      [0x28, 0x30, 0x40, 'int'], [0x30, 0x28, -1, 'iret'],
      [0x28, 0x30, 0x20, 'interrupt'], [0x30, 0x28, -1, 'iret'],
      [0x28, 0x40, 14, 'exception'], [0x40, 0x28, -1, 'iret'],
      [0x28, 0x38, 8, 'exception'], [0x38, 0x28, -1, 'iret'],
    ]);
    expect(formatEvent(ts[0])).toMatch(/task_switch old_tss=0x28 new_tss=0x30 vector=0xffffffff cause=jmp$/);
    // The switch's segment loads follow it, in the new task.
    const after = events[events.indexOf(ts[0]) + 1];
    expect(after.kind).toBe(EventKind.segment_load);
  });
});

describe('task switches under a software monitor', () => {
  it('each is one monitor_emulation saying the switch was emulated on the guest\'s tables, and one task_switch event', () => {
    const { events, result } = recordInMemory(guestImage('tasks'), { mode: 'sw-013' });
    expect(result.reason).toBe('exit');
    const emulated = events.filter((e) => e.kind === EventKind.monitor_emulation && e.text.startsWith('task switch'));
    expect(emulated.map((e) => e.text)).toEqual([
      ...Array(8).fill(0).map((_, k) => `task switch (${['jmp', 'jmp', 'call', 'iret', 'jmp', 'jmp', 'call', 'iret'][k]}) emulated on the guest's tss and gdt`),
      "task switch (int) emulated on the guest's tss and gdt", "task switch (iret) emulated on the guest's tss and gdt",
      "task switch through a task gate of the guest's idt", "task switch (iret) emulated on the guest's tss and gdt",
      "task switch through a task gate of the guest's idt", "task switch (iret) emulated on the guest's tss and gdt",
      "task switch through a task gate of the guest's idt", "task switch (iret) emulated on the guest's tss and gdt",
    ]);
    expect(emulated.map((e) => e.a)).toEqual([0x30, 0x28, 0x30, 0x28, 0x30, 0x28, 0x30, 0x28, 0x30, 0x28, 0x30, 0x28, 0x40, 0x28, 0x38, 0x28]);
    expect(events.filter((e) => e.kind === EventKind.task_switch)).toHaveLength(16);
  });
});
