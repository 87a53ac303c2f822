import { describe, expect, it } from 'vitest';
import { ringside } from '../helpers/cli';
import { MODES, SHADOW_POLICIES } from '../../emulator/monitors/modes';
import { Machine } from '../../emulator/machine';
import { translationDefault } from '../../emulator/cpu/exec';
import { applyTranslatorChoice } from '../../cli/machine-options';

describe('the machine options run and record share', () => {
  it('both commands list the modes and shadow policies from the constants the parsers check', () => {
    for (const cmd of ['run', 'record']) {
      const help = ringside([cmd, '--help']).stdout.replace(/\s+/g, ' ');
      expect(help).toContain(MODES.join(' | '));
      expect(help).toContain(SHADOW_POLICIES.join(' | '));
      for (const o of ['--mode', '--shadow', '--max-instructions', '--cmdline', '--flat', '--module', '--ram', '--input', '--keyboard']) expect(help).toContain(o);
    }
  });
});

describe('--no-jit and RINGSIDE_NO_JIT', () => {
  it('every command that runs a machine offers --no-jit', () => {
    for (const cmd of ['run', 'record', 'replay', 'at', 'matrix', 'diff']) expect(ringside([cmd, '--help']).stdout).toContain('--no-jit');
  });

  it('turn block translation off for the machines a command builds, and only then', () => {
    const before = translationDefault.enabled;
    try {
      applyTranslatorChoice({ jit: true }, {});
      expect(new Machine(new Uint8Array([0xf4]), { flatAddress: 0x100000 }).executor.jit).toBe(true);
      applyTranslatorChoice({ jit: false }, {});
      expect(new Machine(new Uint8Array([0xf4]), { flatAddress: 0x100000 }).executor.jit).toBe(false);
      applyTranslatorChoice({ jit: true }, { RINGSIDE_NO_JIT: '1' });
      expect(translationDefault.enabled).toBe(false);
      applyTranslatorChoice({ jit: true }, { RINGSIDE_NO_JIT: '0' });
      expect(translationDefault.enabled).toBe(true);
    } finally {
      translationDefault.enabled = before;
    }
  });

  it('a run with --no-jit prints what the translated run prints', () => {
    const a = ringside(['run', 'emulator/guests/tpr.elf']);
    const b = ringside(['run', '--no-jit', 'emulator/guests/tpr.elf']);
    expect(b.code).toBe(a.code);
    expect(a.code).toBe(1);
    expect(b.stdout).toBe(a.stdout);
  });
});
