import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordRun } from '../../recorder/record';
import { openTraceReadOnly, closeTrace, runQuery } from '../../recorder/store';
import { DEFAULT_RAM_SIZE } from '../../emulator/machine';
import { guestImage } from '../helpers/guests';
import { ROOT } from '../helpers/cli';

/** The ten queries the README shows run against a real trace. */
describe('README queries', () => {
  it('every query in the README runs and the SGDT/SIDT one finds the guest\'s stores', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf('Ten useful ones:'));
    const sql = block.slice(block.indexOf('```sql') + 6, block.indexOf('```', block.indexOf('```sql') + 6));
    const statements = sql.split(';').map((s) => s.split('\n').filter((l) => !l.startsWith('--')).join('\n').trim()).filter(Boolean);
    expect(statements).toHaveLength(10);
    const out = join(mkdtempSync(join(tmpdir(), 'ringside-q-')), 't.sqlite');
    recordRun({ image: guestImage('privileged-state'), imageName: 'privileged-state.elf', out, options: { mode: 'native', cmdline: '', ramSize: DEFAULT_RAM_SIZE, snapshotInterval: 1_000_000, jitterSeed: 1 } });
    const db = openTraceReadOnly(out);
    try {
      const results = statements.map((s) => runQuery(db, s));
      expect(results[3].rows.length).toBeGreaterThan(0);
    } finally {
      closeTrace(db);
    }
  });
});
