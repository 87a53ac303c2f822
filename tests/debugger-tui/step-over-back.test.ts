/** N (step back over a call) in recursion: the outermost return goes back to the outermost call. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { DEFAULT_SNAPSHOT_INTERVAL } from '../../recorder/session';
import { openTraceReadOnly, closeTrace, type TraceDb } from '../../recorder/store';
import { Machine } from '../../emulator/machine';
import { SymbolTable } from '../../emulator/loader/symbols';
import { Debugger } from '../../debugger-tui/debugger';
import { guestImage } from '../helpers/guests';

const image = guestImage('tests/recurse');
const symbols = SymbolTable.fromElf(image);
const CALL = symbols.addressOf('depth.call')!;
const BACK = symbols.addressOf('depth.back')!;

/** The instruction counts at which each address is about to execute, in order. */
function visits(address: number): number[] {
  const m = new Machine(image, { jit: false });
  const at: number[] = [];
  while (m.cpu.icount < 100_000) {
    if (m.cpu.eip >>> 0 === address) at.push(m.cpu.icount);
    if (m.run(1).reason !== 'limit') break;
  }
  return at;
}

let file: string;
let db: TraceDb;
beforeAll(() => {
  file = join(mkdtempSync(join(tmpdir(), 'ringside-recurse-')), 'recurse.sqlite');
  recordRun({ image, imageName: 'recurse.elf', options: { mode: 'native', cmdline: '', ramSize: 32 << 20, snapshotInterval: DEFAULT_SNAPSHOT_INTERVAL }, out: file });
  db = openTraceReadOnly(file);
});
afterAll(() => closeTrace(db));

describe('N in a recursive function', () => {
  it('from each return to .back goes to the call of the same depth, not to the deepest call of that site', async () => {
    const calls = visits(CALL); // outermost first
    const backs = visits(BACK); // innermost return first
    expect(calls).toHaveLength(3);
    expect(backs).toHaveLength(3);
    // The k-th return (innermost first) matches the (3 - k)-th call.
    for (let k = 0; k < 3; k++) {
      const dbg = new Debugger(db, file, 1, backs[k]);
      await dbg.stepOverBack();
      expect(dbg.icount, `return #${k + 1}`).toBe(calls[2 - k]);
    }
  });
});
