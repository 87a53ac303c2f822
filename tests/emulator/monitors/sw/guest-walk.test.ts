import { describe, expect, it } from 'vitest';
import { GuestWalk } from '../../../../emulator/monitors/sw/guest-walk';
import { FAULT } from '../../../../emulator/cpu/fault';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PSE, PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PF_VECTOR } from '../../../../emulator/cpu/constants';
import { bareCpu } from '../../../helpers/bare-cpu';

const PD = 0x10000, PT = 0x11000;
const PG = CR0_PE | CR0_PG;

/** A guest address space: 0x00400000 -> page 0x200 with the given PTE flags (PDE: P W U). */
function space(pteFlags: number) {
  const cpu = bareCpu();
  cpu.physWrite32(PD + 1 * 4, PT | PTE_P | PTE_W | PTE_U);
  cpu.physWrite32(PT, 0x200000 | pteFlags);
  return cpu;
}

function fault(f: () => void): number {
  try {
    f();
  } catch (e) {
    if (e !== FAULT) throw e;
    return -1;
  }
  return 0;
}

describe("the monitor's walk of the guest's page tables", () => {
  it('translates, and sets the accessed bit on a read and the dirty bit on a write, as the hardware would', () => {
    const cpu = space(PTE_P | PTE_W | PTE_U);
    const w = new GuestWalk();
    w.walk(cpu, PG, PD, 0, 0x400123, false, false);
    expect(w.physPage).toBe(0x200);
    expect(cpu.physRead32(PT) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(cpu.physRead32(PD + 4) & PTE_A).toBe(PTE_A);
    expect(w.dirty).toBe(false);
    w.walk(cpu, PG, PD, 0, 0x400123, true, false);
    expect(cpu.physRead32(PT) & PTE_D).toBe(PTE_D);
    expect(w.dirty).toBe(true);
    expect([w.pdPage, w.ptPage]).toEqual([PD >>> 12, PT >>> 12]);
  });

  it("raises the guest's own #PF: not present, user access to a supervisor page, write to read-only with WP", () => {
    const cpu = space(PTE_P); // supervisor, read-only
    const w = new GuestWalk();
    expect(fault(() => w.walk(cpu, PG, PD, 0, 0x800000, false, false))).toBe(-1);
    expect([cpu.excVector, cpu.excCode, cpu.excAddr]).toEqual([PF_VECTOR, 0, 0x800000]);
    expect(fault(() => w.walk(cpu, PG, PD, 0, 0x400000, false, true))).toBe(-1);
    expect(cpu.excCode).toBe(5); // present, read, user
    expect(fault(() => w.walk(cpu, PG | CR0_WP, PD, 0, 0x400000, true, false))).toBe(-1);
    expect(cpu.excCode).toBe(3); // present, write, supervisor
    // without WP a supervisor write is allowed (the monitor emulates it: the page stays read-only)
    expect(fault(() => w.walk(cpu, PG, PD, 0, 0x400000, true, false))).toBe(0);
    expect(w.writable).toBe(false);
  });

  it('walks 4 MiB pages with CR4.PSE, and reports no page-table page', () => {
    const cpu = bareCpu();
    cpu.physWrite32(PD + 2 * 4, 0x00c00000 | PTE_P | PTE_W | PTE_U | PTE_PS);
    const w = new GuestWalk();
    w.walk(cpu, PG, PD, CR4_PSE, 0x00812345, true, true);
    expect(w.physPage).toBe(0xc12);
    expect(w.ptPage).toBe(-1);
    expect(cpu.physRead32(PD + 8) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  it('with paging off the guest-physical address is the linear one', () => {
    const w = new GuestWalk();
    w.walk(bareCpu(), CR0_PE, 0, 0, 0x00345678, true, true);
    expect([w.physPage, w.user, w.writable, w.pdPage]).toEqual([0x345, true, true, -1]);
  });
});
