import { describe, expect, it } from 'vitest';
import { ringside } from '../helpers/cli';
import { MODES, SHADOW_POLICIES } from '../../emulator/monitors/modes';

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
