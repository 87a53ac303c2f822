// Guest task switches under every mode: natively the CPU switches; under sw-013 and sw-033 the
// switch traps and the monitor emulates it on the guest's virtual CPU (intervention
// `task-switch`); under vtx it causes VM exit reason 9 and the VMM performs it. The guests
// print the same everywhere.
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../emulator/machine';
import { MATRIX_COLUMNS, runScenario } from '../../../scenarios/scenarios';
import type { CpuObserver } from '../../../emulator/cpu/observer';
import { decodeTaskSwitch, TASK_CALL, TASK_IRET, TASK_JMP, TASK_GATE_IDT } from '../../../emulator/monitors/vtx/task-switch';
import type { VtxMonitor } from '../../../emulator/monitors/vtx/vmm';
import * as F from '../../../emulator/monitors/vtx/encodings';
import { guestImage, expectedOutput, testGuestImage } from '../../helpers/guests';

const TASKS_SWITCHES = 16; // the tasks guest: its switches, each there and back

/**
 * What the task-trap guest prints (SDM vol. 3A 7.2.1 and 17.3.1.5: the T bit raises #DB after
 * the switch, DR6.BT set). QEMU 7.2 ignores the T bit: it prints the same without the #DB line.
 */
const TASK_TRAP_OUTPUT = [
  'task-trap: T bit, CR3 and LDT of a new task',
  'jmp to task e',
  "#DB: dr6.bt=1 eip is task_e: 1 cr3 is e's: 1",
  'task e: [0x800000]=0x5a17c0de ds=0x000c ds:[0]=0x5a17c0de',
  'back in the kernel task: cr3 is its own: 1 ds=0x0010 busy: kernel=0x8b e=0x89',
  '',
].join('\n');

describe('guest task switches under every mode', () => {
  for (const col of MATRIX_COLUMNS) {
    it(`${col.label}: the tasks guest prints what QEMU printed, each switch counted once`, () => {
      const r = runScenario(guestImage('tasks'), col, 50_000_000);
      expect(r.reason).toBe('exit');
      expect(r.output).toBe(expectedOutput('tasks'));
      if (col.mode === 'native') expect(r.interventions).toEqual({});
      else if (col.mode === 'vtx') expect(r.interventions['task switch']).toBe(TASKS_SWITCHES);
      else expect(r.interventions['task-switch']).toBe(TASKS_SWITCHES);
    });

    it(`${col.label}: the task-trap guest sees the T bit's #DB, the new CR3 and the new LDT`, () => {
      const r = runScenario(testGuestImage('task-trap'), col, 50_000_000);
      expect(r.reason).toBe('exit');
      expect(r.exitCode).toBe(1);
      expect(r.output).toBe(TASK_TRAP_OUTPUT);
    });
  }
});

describe('VM exits for task switches', () => {
  it('carry the SDM qualification: the new TSS selector and the source (CALL, IRET, JMP, task gate in the IDT)', () => {
    const m = new Machine(guestImage('tasks'), { mode: 'vtx' });
    const exits: { selector: number; source: number }[] = [];
    const idtVectoring: number[] = [];
    m.cpu.observer = new Proxy({} as CpuObserver, {
      get: (_t, name) => (...args: unknown[]) => {
        if (name === 'monitorExit' && args[1] === 9) {
          exits.push(decodeTaskSwitch(args[2] as number));
        }
        if (name === 'monitorEmulation' && String(args[0]).startsWith('task switch (task gate')) {
          const vmcs = (m.monitor as VtxMonitor).vmx.vmcs;
          idtVectoring.push(vmcs.get(F.IDT_VECTORING_INFO) >>> 0, vmcs.get(F.IDT_VECTORING_ERROR_CODE));
        }
      },
    });
    const r = m.run(50_000_000);
    expect(r.reason).toBe('exit');
    const J = TASK_JMP, C = TASK_CALL, I = TASK_IRET, G = TASK_GATE_IDT;
    expect(exits.map((e) => [e.source, e.selector])).toEqual([
      [J, 0x30], [J, 0x28], // 1. JMP to B, JMP back
      [C, 0x30], [I, 0x28], // 2. CALL, IRET
      [J, 0x30], [J, 0x28], [C, 0x30], [I, 0x28], // 3. through the task gate (the TSS's selector is reported)
      [G, 0x30], [I, 0x28], // 4. INT 0x40
      [G, 0x30], [I, 0x28], // 4. the timer interrupt (injected by the VMM at VM entry: the exit happens during the entry)
      [G, 0x40], [I, 0x28], // 5. #PF
      [G, 0x38], [I, 0x28], // 6. #DF
    ]);
    // IDT-vectoring information (27.2.4): valid, type, vector, error code valid; then the error code.
    expect(idtVectoring).toEqual([0x80000440, 0, 0x80000020, 0, 0x80000b0e, 0x2, 0x80000b08, 0]);
  });
});
