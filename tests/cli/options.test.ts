/** Numeric options: out of range is refused with one line, never wrapped or rounded. */
import { describe, expect, it } from 'vitest';
import { parseCount, parseRunId, parseSeed, parseRamSize } from '../../cli/options';
import { ringside } from '../helpers/cli';

describe('numeric options', () => {
  it('--jitter takes a 32-bit seed and refuses a larger one instead of wrapping it', () => {
    expect(parseSeed('4294967295', '--jitter')).toBe(4294967295);
    expect(() => parseSeed('4294967296', '--jitter')).toThrow(/--jitter must be a seed from 0 to 4294967295, not '4294967296'/);
    expect(() => parseSeed('-1', '--jitter')).toThrow(/non-negative integer seed/);
    const r = ringside(['record', 'emulator/guests/ring-aliasing.elf', '--jitter', '4294967299', '--out', '/tmp/never-written.sqlite']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ringside: --jitter must be a seed from 0 to 4294967295, not '4294967299'\n");
  });

  it('counts above 2^53 - 1 are refused instead of rounded', () => {
    expect(parseCount('9007199254740991', '--icount')).toBe(9007199254740991);
    expect(() => parseCount('9007199254740993', '--icount')).toThrow(/--icount must be at most 9007199254740991 \(2\^53 - 1\)/);
    expect(() => parseCount('1e9', '--max-instructions')).toThrow(/non-negative integer/);
    const r = ringside(['run', 'emulator/guests/ring-aliasing.elf', '--max-instructions', '99999999999999999999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ringside: --max-instructions must be at most 9007199254740991/);
  });

  it('run ids are 1 to 2^53 - 1', () => {
    expect(parseRunId('9007199254740991')).toBe(9007199254740991);
    expect(() => parseRunId('9007199254740992')).toThrow(/run ids above 9007199254740991 \(2\^53 - 1\) are not supported/);
    expect(() => parseRunId('0')).toThrow(/--run must be a run id \(a positive integer\), not '0'/);
  });

  it('--ram is refused out of its range', () => {
    expect(parseRamSize('2G')).toBe(2 * 1024 ** 3);
    expect(() => parseRamSize('3G')).toThrow(/--ram must be a multiple of 4 KiB between 2M and 2G/);
  });
});
