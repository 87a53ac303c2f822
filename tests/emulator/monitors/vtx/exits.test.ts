import { describe, it, expect } from 'vitest';
import { Machine } from '../../../../emulator/machine';
import type { VtxMonitor } from '../../../../emulator/monitors/vtx/vmm';
import * as F from '../../../../emulator/monitors/vtx/encodings';
import * as Q from '../../../../emulator/monitors/vtx/qualifications';
import * as C from '../../../../emulator/monitors/vtx/controls';

/** What the VMCS said at one VM exit, read before the VMM handled it. */
import { logExits, type Seen } from './exit-log';

/**
 * Runs flat 32-bit code at 0x100000 under vtx (ring 0, the loader's flat segments) and returns
 * the VM exits it caused, in order. The code ends with `out 0xf4, al` (the debug exit).
 */
function exitsOf(code: number[], gen: 1 | 2 = 2): { seen: Seen[]; m: Machine; output: string } {
  const bytes: number[] = [];
  const m = new Machine(new Uint8Array(code), { mode: 'vtx', vtxGen: gen, flatAddress: 0x100000, ramSize: 4 << 20, onUartByte: (b) => bytes.push(b) });
  const seen = logExits(m);
  m.run(100_000);
  return { seen, m, output: Buffer.from(bytes).toString('latin1') };
}

const END = [0xb0, 0x00, 0xe6, 0xf4]; // mov al,0; out 0xf4,al
const at = (off: number) => 0x100000 + off;

describe('VM exits the built-in VMM provokes: reason, qualification, instruction length', () => {
  it('CPUID exits unconditionally (reason 10, length 2) and returns the processor\'s leaf', () => {
    const { seen, m } = exitsOf([0x31, 0xc0, 0x0f, 0xa2, ...END]); // xor eax,eax; cpuid
    expect(seen[0]).toMatchObject({ reason: 10, qualification: 0, length: 2, rip: at(2) });
    expect(m.cpu.regs[3]).toBe(0x756e6547); // EBX "Genu"
  });

  it('OUT DX,AL to the UART: reason 30, qualification size 1, out, DX, port 3F8h, length 1', () => {
    const { seen, output } = exitsOf([0x66, 0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, ...END]); // mov dx,3f8h; mov al,'A'; out dx,al
    expect(seen[0]).toMatchObject({ reason: 30, qualification: Q.ioQualification(1, false, false, false, false, 0x3f8), length: 1, rip: at(6) });
    expect(seen[0].qualification).toBe(0x03f80000);
    expect(output).toBe('A'); // the VMM performed the OUT on the machine's UART
  });

  it('IN AL,21h: reason 30, qualification in, immediate, port 21h, length 2', () => {
    const { seen } = exitsOf([0xe4, 0x21, ...END]);
    expect(seen[0]).toMatchObject({ reason: 30, length: 2 });
    expect(Q.decodeIo(seen[0].qualification)).toEqual({ size: 1, input: true, string: false, rep: false, immediate: true, port: 0x21 });
  });

  it('REP OUTSB: reason 30 with the string and REP bits, the instruction information and the guest-linear address of DS:ESI', () => {
    // mov esi,0x100100; mov ecx,2; mov dx,0x80; rep outsb
    const { seen } = exitsOf([0xbe, 0x00, 0x01, 0x10, 0x00, 0xb9, 0x02, 0, 0, 0, 0x66, 0xba, 0x80, 0x00, 0xf3, 0x6e, ...END]);
    expect(seen[0]).toMatchObject({ reason: 30, length: 2, linear: 0x100100, info: Q.stringIoInfo(true, 3) });
    expect(Q.decodeIo(seen[0].qualification)).toEqual({ size: 1, input: false, string: true, rep: true, immediate: false, port: 0x80 });
  });

  it('RDMSR of an MSR outside the bitmap exits (31, length 2); WRMSR of IA32_SYSENTER_CS does not', () => {
    // mov ecx,0x1b; rdmsr; mov ebx,eax; mov ecx,0x174; xor eax,eax; xor edx,edx; wrmsr
    const { seen, m } = exitsOf([0xb9, 0x1b, 0, 0, 0, 0x0f, 0x32, 0x89, 0xc3, 0xb9, 0x74, 0x01, 0, 0, 0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30, ...END]);
    expect(seen[0]).toMatchObject({ reason: 31, length: 2, rip: at(5) });
    expect(seen.map((s) => s.reason)).not.toContain(32);
    expect(m.cpu.regs[3] >>> 0).toBe(0xfee00900); // the APIC base MSR, read for the guest
  });

  it('HLT exits (reason 12, length 1); with IF = 0 and nothing to wake it, the machine halts', () => {
    const { seen, m } = exitsOf([0xfa, 0xf4]); // cli; hlt
    expect(seen[0]).toMatchObject({ reason: 12, length: 1, rip: at(1) });
    expect(m.cpu.stopReason).toBe('halt');
  });

  it('APIC accesses: a write of the spurious-vector register exits (44, offset F0h, linear write); a TPR write does not under the TPR shadow', () => {
    // mov dword [0xfee000f0],0x1ff; mov dword [0xfee00080],0x20; mov eax,[0xfee00080]
    const code = [0xc7, 0x05, 0xf0, 0x00, 0xe0, 0xfe, 0xff, 0x01, 0, 0, 0xc7, 0x05, 0x80, 0x00, 0xe0, 0xfe, 0x20, 0, 0, 0, 0xa1, 0x80, 0x00, 0xe0, 0xfe, 0x89, 0xc3, ...END]; // ...; mov ebx,eax
    const gen2 = exitsOf(code, 2);
    expect(gen2.seen[0]).toMatchObject({ reason: 44, qualification: Q.apicAccessQualification(0xf0, Q.APIC_ACCESS_LINEAR_WRITE), rip: at(0) });
    expect(gen2.seen.filter((s) => s.reason === 44)).toHaveLength(1);
    expect(gen2.m.cpu.regs[3]).toBe(0x20); // read back from VTPR
    // The first generation has no TPR shadow: the TPR write and read exit too.
    const gen1 = exitsOf(code, 1);
    expect(gen1.seen.filter((s) => s.reason === 44).map((s) => s.qualification)).toEqual([0x10f0, 0x1080, 0x0080]);
    expect(gen1.m.cpu.regs[3]).toBe(0x20);
  });

  it('an exiting instruction retires once: the instruction count equals the native one', () => {
    const code = [0x31, 0xc0, 0x0f, 0xa2, 0xe4, 0x21, 0xb9, 0x1b, 0, 0, 0, 0x0f, 0x32, ...END];
    const { m } = exitsOf(code);
    const n = new Machine(new Uint8Array(code), { flatAddress: 0x100000, ramSize: 4 << 20 });
    n.run(100_000);
    expect(m.cpu.icount).toBe(n.cpu.icount);
    expect(m.cpu.regs[0]).toBe(n.cpu.regs[0]);
  });
});

describe('EPT (generation 2)', () => {
  it('a read of guest-physical memory that EPT does not map is an EPT violation (48): read, guest-linear valid, the addresses; the VMM completes it as an access to no RAM', () => {
    // mov eax,[0x00900010]; mov ebx,eax  (the machine has 4 MiB of RAM)
    const { seen, m } = exitsOf([0xa1, 0x10, 0x00, 0x90, 0x00, 0x89, 0xc3, ...END]);
    expect(seen[0]).toMatchObject({ reason: 48, linear: 0x900010, physical: 0x900010, rip: at(0) });
    expect(seen[0].qualification).toBe(Q.EPT_READ | Q.EPT_LINEAR_VALID | Q.EPT_LINEAR_TRANSLATION);
    const n = new Machine(new Uint8Array([0xa1, 0x10, 0x00, 0x90, 0x00, 0x89, 0xc3, ...END]), { flatAddress: 0x100000, ramSize: 4 << 20 });
    n.run(100_000);
    expect(m.cpu.regs[3]).toBe(n.cpu.regs[3]); // what a read of no RAM gives natively
    expect(m.cpu.icount).toBe(n.cpu.icount);
  });

  it('a write makes the violation\'s qualification say write; the first generation has no EPT and no such exit', () => {
    const code = [0xc7, 0x05, 0x00, 0x00, 0xa0, 0x00, 0x01, 0, 0, 0, ...END]; // mov dword [0xa00000],1
    expect(exitsOf(code).seen[0]).toMatchObject({ reason: 48, qualification: Q.EPT_WRITE | Q.EPT_LINEAR_VALID | Q.EPT_LINEAR_TRANSLATION });
    expect(exitsOf(code, 1).seen.map((s) => s.reason)).not.toContain(48);
  });
});

describe('exits the core produces for the controls a VMM sets', () => {
  it('the monitor trap flag: after each guest instruction a trap-like exit (reason 37, RIP past the instruction, no length)', () => {
    // xor eax,eax; cpuid; inc eax; inc eax; nop; then the end
    const code = [0x31, 0xc0, 0x0f, 0xa2, 0x40, 0x40, 0x90, ...END];
    const m = new Machine(new Uint8Array(code), { mode: 'vtx', flatAddress: 0x100000, ramSize: 4 << 20 });
    const mon = m.monitor as VtxMonitor;
    const v = mon.vmx.vmcs;
    const seen: { reason: number; rip: number; length: number; eax: number }[] = [];
    const handle = mon.vmx.onExit;
    mon.vmx.onExit = () => {
      const reason = v.get(F.VM_EXIT_REASON);
      seen.push({ reason, rip: v.get(F.GUEST_RIP), length: v.get(F.VM_EXIT_INSTRUCTION_LEN), eax: m.cpu.regs[0] });
      // A VMM single-stepping the guest from the CPUID on, for three instructions.
      const proc = v.get(F.CPU_BASED_VM_EXEC_CONTROL);
      const steps = seen.filter((s) => s.reason === 37).length;
      v.set(F.CPU_BASED_VM_EXEC_CONTROL, steps < 3 ? proc | C.CPU_MONITOR_TRAP_FLAG : proc & ~C.CPU_MONITOR_TRAP_FLAG);
      handle();
    };
    m.run(100_000);
    const native = new Machine(new Uint8Array(code), { flatAddress: 0x100000, ramSize: 4 << 20 });
    native.run(100_000);
    expect(seen.slice(0, 4).map((s) => [s.reason, s.rip - 0x100000, s.length])).toEqual([[10, 2, 2], [37, 5, 0], [37, 6, 0], [37, 7, 0]]);
    expect(seen[2].eax).toBe(seen[1].eax + 1); // one INC between two exits
    expect(m.cpu.icount).toBe(native.cpu.icount);
  });

  it('an EPT violation while delivering INT 20h (the IDT beyond guest RAM) records the IDT-vectoring information: software interrupt 20h, and the instruction length', () => {
    // lidt [0x100100] (limit 7FFh, base 900000h: no RAM there); int 0x20
    const code = [0x0f, 0x01, 0x1d, 0x00, 0x01, 0x10, 0x00, 0xcd, 0x20, ...END];
    const image = new Uint8Array(0x110);
    image.set(code);
    image.set([0xff, 0x07, 0x00, 0x00, 0x90, 0x00], 0x100);
    const m = new Machine(image, { mode: 'vtx', flatAddress: 0x100000, ramSize: 4 << 20 });
    const mon = m.monitor as VtxMonitor;
    const v = mon.vmx.vmcs;
    let first: Record<string, number> | null = null;
    const handle = mon.vmx.onExit;
    mon.vmx.onExit = () => {
      first ??= {
        reason: v.get(F.VM_EXIT_REASON), qualification: v.get(F.EXIT_QUALIFICATION), vectoring: v.get(F.IDT_VECTORING_INFO) >>> 0,
        vectoringError: v.get(F.IDT_VECTORING_ERROR_CODE), length: v.get(F.VM_EXIT_INSTRUCTION_LEN), physical: v.get(F.GUEST_PHYSICAL_ADDRESS), rip: v.get(F.GUEST_RIP),
      };
      handle();
    };
    m.run(100_000);
    expect(first).toEqual({
      reason: 48, qualification: Q.EPT_READ | Q.EPT_LINEAR_VALID | Q.EPT_LINEAR_TRANSLATION,
      vectoring: C.intrInfo(C.INTR_TYPE_SOFTWARE_INTERRUPT, 0x20, false) >>> 0, vectoringError: 0, length: 2, physical: 0x900100, rip: 0x100007,
    });
  });
});

describe('RDTSC and descriptor-table exiting, for a VMM that sets them', () => {
  /** Runs `code` with the controls `proc`/`sec` added at the first exit (the CPUID at its start). */
  function withControls(code: number[], proc: number, sec: number): { seen: Record<string, number>[]; m: Machine } {
    const m = new Machine(new Uint8Array([0x31, 0xc0, 0x0f, 0xa2, ...code, ...END]), { mode: 'vtx', flatAddress: 0x100000, ramSize: 4 << 20 });
    const mon = m.monitor as VtxMonitor;
    const v = mon.vmx.vmcs;
    const seen: Record<string, number>[] = [];
    const handle = mon.vmx.onExit;
    mon.vmx.onExit = () => {
      seen.push({ reason: v.get(F.VM_EXIT_REASON), qualification: v.get(F.EXIT_QUALIFICATION), length: v.get(F.VM_EXIT_INSTRUCTION_LEN), info: v.get(F.VMX_INSTRUCTION_INFO), linear: v.get(F.GUEST_LINEAR_ADDRESS), rip: v.get(F.GUEST_RIP) - 0x100000 });
      v.set(F.CPU_BASED_VM_EXEC_CONTROL, v.get(F.CPU_BASED_VM_EXEC_CONTROL) | proc);
      v.set(F.SECONDARY_VM_EXEC_CONTROL, v.get(F.SECONDARY_VM_EXEC_CONTROL) | sec);
      handle();
    };
    m.run(100_000);
    return { seen, m };
  }

  it('RDTSC exiting: reason 16, length 2; the VMM executes it and the guest reads the native count', () => {
    const { seen, m } = withControls([0x0f, 0x31], C.CPU_RDTSC_EXITING, 0);
    expect(seen[1]).toMatchObject({ reason: 16, qualification: 0, length: 2, rip: 4 });
    expect(m.cpu.stopReason).not.toBe('shutdown');
    const native = new Machine(new Uint8Array([0x31, 0xc0, 0x0f, 0xa2, 0x0f, 0x31, 0x89, 0xc3, ...END]), { flatAddress: 0x100000, ramSize: 4 << 20 });
    native.run(100_000);
    const again = withControls([0x0f, 0x31, 0x89, 0xc3], C.CPU_RDTSC_EXITING, 0); // rdtsc; mov ebx,eax
    expect(again.m.cpu.regs[3]).toBe(native.cpu.regs[3]); // the TSC counts retired instructions, as natively
    expect(again.m.cpu.icount).toBe(native.cpu.icount);
  });

  it('descriptor-table exiting: SGDT [disp32] is reason 46 (displacement, SGDT identity, length 7, the linear address); STR EAX is reason 47 (register operand)', () => {
    const sgdt = withControls([0x0f, 0x01, 0x05, 0x00, 0x01, 0x10, 0x00], 0, C.SEC_DESCRIPTOR_TABLE_EXITING);
    expect(sgdt.seen[1]).toMatchObject({ reason: 46, qualification: 0x100100, length: 7, linear: 0x100100, rip: 4 });
    expect((sgdt.seen[1].info >>> 28) & 3).toBe(Q.DT_SGDT);
    const str = withControls([0x0f, 0x00, 0xc8], 0, C.SEC_DESCRIPTOR_TABLE_EXITING); // str eax
    expect(str.seen[1]).toMatchObject({ reason: 47, qualification: 0, length: 3, rip: 4 });
    expect((str.seen[1].info >>> 28) & 3).toBe(Q.DT_STR);
    expect(str.m.cpu.stopReason).not.toBe('shutdown');
  });
});

describe('a double fault during delivery', () => {
  it('with exception-bitmap bit 8, a #GP raised while delivering a #GP is a #DF exit (reason 0) whose IDT-vectoring information is the first #GP and its error code', () => {
    // xor eax,eax; cpuid; lidt [0x100100] (limit 0); ud2
    const image = new Uint8Array(0x110);
    image.set([0x31, 0xc0, 0x0f, 0xa2, 0x0f, 0x01, 0x1d, 0x00, 0x01, 0x10, 0x00, 0x0f, 0x0b]);
    const m = new Machine(image, { mode: 'vtx', flatAddress: 0x100000, ramSize: 4 << 20 });
    const mon = m.monitor as VtxMonitor;
    const v = mon.vmx.vmcs;
    const seen: Record<string, number>[] = [];
    const handle = mon.vmx.onExit;
    mon.vmx.onExit = () => {
      seen.push({ reason: v.get(F.VM_EXIT_REASON), intrInfo: v.get(F.VM_EXIT_INTR_INFO) >>> 0, errorCode: v.get(F.VM_EXIT_INTR_ERROR_CODE), vectoring: v.get(F.IDT_VECTORING_INFO) >>> 0, vectoringError: v.get(F.IDT_VECTORING_ERROR_CODE), rip: v.get(F.GUEST_RIP) - 0x100000 });
      v.set(F.EXCEPTION_BITMAP, 1 << 8);
      handle();
    };
    m.run(100_000);
    expect(seen[1]).toEqual({
      reason: 0, intrInfo: C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, 8, true) >>> 0, errorCode: 0,
      vectoring: C.intrInfo(C.INTR_TYPE_HARDWARE_EXCEPTION, 13, true) >>> 0, vectoringError: 0x33, rip: 11,
    });
    // Without the bitmap bit the same chain is a triple fault: exit 2.
    const n = new Machine(image, { mode: 'vtx', flatAddress: 0x100000, ramSize: 4 << 20 });
    n.run(100_000);
    expect((n.monitor as VtxMonitor).vmx.lastExit).toBe(2);
    expect(n.cpu.shutdownReason).toMatch(/VM exit reason 2\): triple fault: #UD -> #GP\(0x33\) -> #GP\(0x6b\) -> #DF -> #GP\(0x43\) -> shutdown/);
  });
});
