import { describe, it, expect } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import type { VtxMonitor } from '../../../../emulator/monitors/vtx/vmm';
import * as F from '../../../../emulator/monitors/vtx/encodings';
import * as C from '../../../../emulator/monitors/vtx/controls';
import { COLUMNS, VTX_COLUMNS, runScenario, scenarioImage } from '../../../../scenarios/scenarios';

/** What the VMCS said at one VM exit, read before the VMM handled it. */
import { logExits, type Seen } from './exit-log';

function exitsOf(guest: string, gen: 1 | 2): { seen: Seen[]; m: Machine; output: string } {
  const bytes: number[] = [];
  const m = new Machine(scenarioImage(guest), { mode: 'vtx', vtxGen: gen, onUartByte: (b) => bytes.push(b) });
  const seen = logExits(m);
  m.run();
  return { seen, m, output: Buffer.from(bytes).toString('latin1') };
}

const PF_INFO = C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, 14, true) >>> 0;

describe('generation 1: shadow page tables with CR3-load, INVLPG and #PF exiting', () => {
  it('bench-paging runs as natively, at the cost of a #PF exit per page touched after each CR3 load, a CR-access exit per CR3 load and an INVLPG exit per INVLPG', () => {
    const image = scenarioImage('bench-paging');
    const native = runScenario(image, COLUMNS[0]);
    const gen1 = runScenario(image, VTX_COLUMNS[1]);
    const gen2 = runScenario(image, VTX_COLUMNS[0]);
    expect(gen1.output).toBe(native.output);
    expect(gen1.icount).toBe(native.icount);
    expect(gen2.output).toBe(native.output);
    // 2,000 rounds: three CR3 loads (exit 28) and two INVLPGs (exit 14) each; after every CR3
    // load the shadow is empty, so each of the 16 window pages (and the code and stack) faults.
    expect(gen1.interventions['control-register accesses']).toBeGreaterThanOrEqual(6000);
    expect(gen1.interventions['INVLPG']).toBe(4000);
    expect(gen1.interventions['exception or non-maskable interrupt (NMI)']).toBeGreaterThanOrEqual(2000 * 2 * 16);
    // Exits per 1,000 instructions: hundreds without EPT, under one with it (the UART's only).
    expect(gen1.exits * 1000 / gen1.icount).toBeGreaterThan(100);
    expect(gen2.exits * 1000 / gen2.icount).toBeLessThan(1);
    expect(Object.keys(gen2.interventions)).toEqual(['I/O instruction']);
  });

  it('the guest\'s CR3 loads and reads exit (reason 28, CR3, to/from, the GPR) and the processor runs on the VMM\'s tables; the guest reads its own CR3 and CR0', () => {
    const { seen, m } = exitsOf('address-space', 1);
    const cr3 = seen.filter((s) => s.reason === 28 && (s.qualification & 0xf) === 3);
    expect(cr3.length).toBeGreaterThan(0);
    expect(cr3[0].length).toBe(3); // mov cr3, edi: 0F 22 DF
    const mon = m.monitor as VtxMonitor;
    const view = mon.virtualCpu;
    expect(view.cr0 >>> 31).toBe(1); // the guest turned paging on
    expect(view.cr3).not.toBe(mon.vmx.vmcs.get(F.GUEST_CR3)); // the processor's CR3 is the shadow's
  });

  it('a #PF that the guest\'s tables explain is reflected with the native error code and CR2; hidden ones never reach the guest', () => {
    const image = scenarioImage('ring-compression');
    const native = runScenario(image, COLUMNS[0]);
    const { seen, output } = exitsOf('ring-compression', 1);
    expect(output).toBe(native.output); // the guest's own handler prints the error code and CR2
    const pf = seen.filter((s) => s.reason === 0 && s.intrInfo >>> 0 === PF_INFO);
    expect(pf.length).toBeGreaterThan(2);
    // The user read of a supervisor page: error code 5 (present, user, read), its address in the qualification.
    expect(pf.some((s) => s.errorCode === 5)).toBe(true);
  });

  it('a #PF during the delivery of INT 0x80 exits with the IDT-vectoring information of the software interrupt (and its length); the VMM re-injects it', () => {
    const { seen, output } = exitsOf('minikernel', 1);
    const during = seen.filter((s) => s.reason === 0 && (s.vectoring & C.INTR_INFO_VALID) !== 0);
    expect(during.length).toBeGreaterThan(0);
    const int80 = during.find((s) => (s.vectoring & 0xff) === 0x80)!;
    expect(int80).toBeDefined();
    expect((int80.vectoring >>> 8) & 7).toBe(C.INTR_TYPE_SOFTWARE_INTERRUPT);
    expect(int80.length).toBe(2); // CD 80
    expect(int80.intrInfo >>> 0).toBe(PF_INFO);
    expect(output).toBe(runScenario(scenarioImage('minikernel'), COLUMNS[0]).output);
  });
});
