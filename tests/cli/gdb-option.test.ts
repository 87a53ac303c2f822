import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { ringside } from '../helpers/cli';

describe('--gdb [HOST:]PORT', () => {
  it('a bad address gives one line and exit 2 before anything runs', () => {
    for (const args of [['run', 'emulator/guests/tpr.elf', '--gdb', 'abc'], ['run', 'emulator/guests/tpr.elf', '--gdb', '99999'], ['record', 'emulator/guests/tpr.elf', '--gdb', 'host:'], ['replay', 'nonexistent.sqlite', '--gdb', '1:2:x']]) {
      const r = ringside(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/--gdb must be \[HOST:\]PORT/);
    }
  });

  it('a port already in use gives one line and exit 2', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = ringside(['run', 'emulator/guests/tpr.elf', '--gdb', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--gdb: 127\\.0\\.0\\.1:${port} is already in use`));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      busy.close();
    }
  });

  it('replay refuses --verify with --gdb', () => {
    const r = ringside(['replay', 'x.sqlite', '--gdb', '0', '--verify']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--verify and --gdb do not go together/);
  });
});
