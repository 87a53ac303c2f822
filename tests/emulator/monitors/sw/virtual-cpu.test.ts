import { describe, expect, it } from 'vitest';
import { RegisterFile } from '../../../../emulator/monitors/sw/virtual-cpu';
import { CS, DS, ESP } from '../../../../emulator/cpu/constants';
import { bareCpu } from '../../../helpers/bare-cpu';

describe('the virtual CPU swap', () => {
  it('install then capture gives back every swapped register; the caches load without observer events', () => {
    const cpu = bareCpu();
    const f = new RegisterFile();
    f.capture(cpu);
    Object.assign(f, { cpl: 3, eip: 0x1234, esp: 0x8000, flags: 0x202, cr0: 0x80000011, cr2: 0x55, cr3: 0x9000, cr4: 0x90,
      gdtrBase: 0x100, gdtrLimit: 0x4f, idtrBase: 0x200, idtrLimit: 0x7ff, trSel: 0x28, sysenterCs: 8, physLimit: 0x100000 });
    f.segSel[CS] = 0x1b;
    f.segBase[DS] = 0x4000;
    let events = 0;
    cpu.observer = new Proxy({}, { get: () => () => { events++; } }) as never;
    f.install(cpu);
    expect(events).toBe(0);
    expect(cpu.observer).not.toBeNull();
    expect([cpu.cpl, cpu.eip, cpu.regs[ESP], cpu.cr3, cpu.gdtrBase, cpu.trSel, cpu.sysenterCs, cpu.physLimit]).toEqual([3, 0x1234, 0x8000, 0x9000, 0x100, 0x28, 8, 0x100000]);
    const g = new RegisterFile();
    g.capture(cpu);
    expect(g).toEqual(f);
  });
});
