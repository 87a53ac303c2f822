import { describe, expect, it } from 'vitest';
import { runScenario, COLUMNS } from '../../../scenarios/scenarios';
import { testGuestImage } from '../../helpers/guests';

/**
 * The local APIC on the system bus (SDM vol. 3: 10.4.3 "Enabling or Disabling the Local APIC",
 * 10.4.7.1 "Local APIC State After Power-Up or Reset", 10.4.7.2 "Local APIC State After It Has
 * Been Software Disabled"). The expected lines are the SDM's, not QEMU's: QEMU 7.2 keeps
 * IA32_APIC_BASE bit 11 clear once cleared, and leaves the LVTs unmasked when the SVR disables
 * the APIC.
 */
const SDM = [
  'apic-reenable: IA32_APIC_BASE bit 11 off and on, SVR software-disable',
  // 10.4.7.2: every LVT mask bit set, and it cannot be cleared; the other registers keep their values
  'svr off: lvt timer=0x00010040 after unmask=0x00010040 tpr=0x00000020',
  // 10.4.3: bit 11 clear: CPUID.1:EDX.APIC = 0, the processor behaves as one without an APIC (its page reads as unassigned memory)
  'apic base=0xfee00900 off=0xfee00100 cpuid.apic=0 version register reads 0xffffffff',
  // 10.4.3: set again without a reset (system-bus APIC): enabled, in the state of 10.4.7.1
  'on=0xfee00900 cpuid.apic=1',
  // 10.4.7.1: ID as at power-up (0), TPR LDR 0, DFR all ones, SVR 0xFF, the version register unchanged
  'id=0x00000000 version=0x00050014 tpr=0x00000000 ldr=0x00000000 dfr=0xffffffff svr=0x000000ff',
  // 10.4.7.1: every LVT masked (0x00010000), ICR, timer counts and divide configuration 0
  'lvt=0x00010000 0x00010000 0x00010000 0x00010000 0x00010000 0x00010000 icr hi=0x00000000 timer init=0x00000000 cur=0x00000000 div=0x00000000',
  'timer interrupt delivered after the re-enable',
  '',
].join('\n');

describe('the local APIC disabled and re-enabled through IA32_APIC_BASE (SDM vectors)', () => {
  it('prints the SDM state at every step and takes a timer interrupt after the re-enable', () => {
    const r = runScenario(testGuestImage('apic-reenable'), COLUMNS[0], 5_000_000);
    expect(r.output).toBe(SDM);
    expect(r.reason).toBe('exit');
    expect(r.exitCode).toBe(1);
  });
});
