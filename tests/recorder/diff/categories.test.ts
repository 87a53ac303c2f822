import { describe, it, expect } from 'vitest';
import { recordRunInMemory } from '../../../recorder/diff/memory-run';
import { buildReport } from '../../../recorder/diff/report';
import { CATEGORY_RULES } from '../../../recorder/diff/categories';
import { scenarioImage } from '../../../scenarios/scenarios';

function diffScenario(name: string, mode: string, shadow?: string) {
  const img = scenarioImage(name);
  const native = recordRunInMemory(img, { mode: 'native' }, 'native');
  const other = recordRunInMemory(img, { mode, shadow }, mode);
  return buildReport(native, other, { maxLater: 8, allEvents: (side) => (side === 'left' ? native : other).allEvents });
}

describe('diff categories', () => {
  it('names ring aliasing for PUSH CS under a software monitor', () => {
    const r = diffScenario('ring-aliasing', 'sw-013');
    expect(r.first?.disassembly).toBe('push cs');
    expect(r.first?.category).toBe('ring aliasing');
    expect(r.first?.differences[0]).toMatchObject({ kind: 'memory', left: 0x8, right: 0x9 });
    expect(r.later.map((d) => d.category)).toContain('ring aliasing'); // MOV from CS, LAR later
  });

  it('names non-faulting access to privileged state for SGDT, and lists SIDT SLDT STR SMSW after it', () => {
    const r = diffScenario('privileged-state', 'sw-033', 'split');
    expect(r.first?.form).toBe('sgdt');
    expect(r.first?.category).toBe('non-faulting access to privileged state');
    const forms = new Set(r.later.map((d) => d.form));
    for (const f of ['sidt', 'sldt', 'str']) expect(forms.has(f)).toBe(true);
  });

  it('names interrupt virtualization for the flags the guest pushes after POPF', () => {
    const r = diffScenario('interrupts', 'sw-013');
    expect(r.first?.category).toBe('interrupt virtualization');
    expect(r.first?.form).toBe('pushf');
    expect(r.first?.differences[0]).toMatchObject({ kind: 'memory' });
    const d = r.first?.differences[0];
    expect(((d?.left as number) ^ (d?.right as number)) & 0x200).toBe(0x200); // IF
  });

  it('names hidden state for the reloaded FS', () => {
    const r = diffScenario('hidden-state', 'sw-013');
    expect(r.first?.category).toBe('hidden state');
    expect(r.first?.disassembly).toMatch(/fs:/);
  });

  it('names ring compression for the shared shadow, and finds none with split shadows', () => {
    const shared = diffScenario('ring-compression', 'sw-033', 'shared');
    expect(shared.first?.category).toBe('ring compression');
    expect(shared.first?.differences.some((d) => d.name === 'eip')).toBe(true);
    expect(diffScenario('ring-compression', 'sw-033', 'split').diverged).toBe(false);
  });

  it('has one rule per category of the taxonomy, each explained', () => {
    expect(CATEGORY_RULES.map((r) => r.category).sort()).toEqual([
      'address-space compression', 'frequent access to privileged resources', 'hidden state', 'interrupt virtualization',
      'non-faulting access to privileged state', 'ring aliasing', 'ring compression', 'system calls',
    ]);
    for (const r of CATEGORY_RULES) expect(r.explains.length).toBeGreaterThan(20);
  });
});
