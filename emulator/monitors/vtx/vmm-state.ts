/**
 * The built-in VMM's state in snapshots: the VMCS (guest state included), its launch state, the
 * processor's VMX operation, and the VMM's own state (held vectors, queued NMI, exit counts,
 * generation 1's guest CR3 and shadow pool use).
 */
import { sealState, openState } from '../../state/codec';
import type { VtxMonitor } from './vmm';

const STATE_TAG = 'RVMX';
const STATE_VERSION = 2;

export function saveVmmState(vmm: VtxMonitor): Uint8Array {
  return sealState(STATE_TAG, STATE_VERSION, (w) => {
    const fields = vmm.vmx.vmcs.nonZero();
    w.u32(fields.length);
    for (const [enc, value] of fields) {
      w.u32(enc);
      w.f64(value);
    }
    w.bool(vmm.vmx.vmcs.launched);
    w.bool(vmm.vmx.nonRoot);
    w.u32(vmm.vmx.exec.trapPending);
    w.f64(vmm.vmx.lastExit);
    w.u32(vmm.held.length);
    w.u32s(vmm.held);
    w.f64(vmm.exits);
    w.u32(vmm.guestCr3);
    w.u32(vmm.shadow === null ? 0 : vmm.shadow.used);
    w.bool(vmm.nmiQueued);
    w.u32(vmm.counts.size);
    for (const [reason, n] of vmm.counts) {
      w.u32(reason);
      w.f64(n);
    }
  });
}

export function loadVmmState(vmm: VtxMonitor, bytes: Uint8Array): void {
  const r = openState(STATE_TAG, STATE_VERSION, bytes, 'vmx state');
  const n = r.u32();
  const fields: [number, number][] = [];
  for (let k = 0; k < n; k++) fields.push([r.u32(), r.f64()]);
  const launched = r.bool();
  const nonRoot = r.bool();
  const trapPending = r.u32();
  const lastExit = r.f64();
  const held = Array.from(r.u32s(r.u32(), 'held vectors'));
  const exits = r.f64();
  const guestCr3 = r.u32();
  const shadowUsed = r.u32();
  const nmiQueued = r.bool();
  const m = r.u32();
  const counts: [number, number][] = [];
  for (let k = 0; k < m; k++) counts.push([r.u32(), r.f64()]);
  r.end();
  const vmcs = vmm.vmx.vmcs;
  vmcs.clearFields();
  for (const [enc, value] of fields) {
    try {
      vmcs.set(enc, value);
    } catch {
      r.fail(`vmx state: unknown VMCS field ${enc.toString(16)}`);
    }
  }
  vmcs.launched = launched;
  vmm.vmx.restoreOperation(nonRoot, trapPending);
  vmm.vmx.lastExit = lastExit;
  vmm.held = held;
  vmm.exits = exits;
  vmm.guestCr3 = guestCr3 | 0;
  if (vmm.shadow !== null) vmm.shadow.used = shadowUsed;
  vmm.nmiQueued = nmiQueued;
  vmm.counts.clear();
  for (const [reason, c] of counts) vmm.counts.set(reason, c);
  vmm.cpu.physLimit = nonRoot && vmm.shadow === null ? vmm.guestRam : vmm.cpu.ramSize;
}
