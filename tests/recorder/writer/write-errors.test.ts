/**
 * A trace that cannot be written any further (here: a file size limit, as a full disk would do)
 * ends the recording with one line and exit 2, through either writer, and leaves a consistent
 * trace: the run reads as incomplete and verifies exactly the batches committed before.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringside, ROOT } from '../../helpers/cli';
import { WRITER_KINDS } from '../../../recorder/writer/run-writer';

const tmp = mkdtempSync(join(tmpdir(), 'ringside-writer-errors-'));

describe('a trace that cannot grow', () => {
  for (const writer of WRITER_KINDS) {
    it(`${writer} writer: the recording stops with one line and exit 2; the trace keeps its committed batches and verifies them`, () => {
      const out = join(tmp, `${writer}.sqlite`);
      // ulimit -f counts 512-byte blocks: the trace and its WAL may not grow past 4 MB (Node
      // ignores SIGXFSZ, so the write fails with EFBIG, which SQLite reports).
      const cmd = `ulimit -f 8000; exec "${process.execPath}" bin/ringside.mjs record emulator/guests/bench-syscall.elf --out "${out}"`;
      const r = spawnSync('sh', ['-c', cmd], { cwd: ROOT, env: { ...process.env, RINGSIDE_WRITER: writer }, timeout: 120_000 });
      expect(r.status).toBe(2);
      const lines = r.stderr.toString().trimEnd().split('\n');
      expect(lines).toEqual([`ringside: ${out}: cannot write to the trace (disk I/O error): the recording stops; the trace keeps every batch committed before, as an incomplete run`]);

      const q = ringside(['query', out, 'SELECT end_reason IS NULL AS incomplete, (SELECT count(*) FROM events) AS events FROM runs', '--format', 'json']);
      const [row] = JSON.parse(q.stdout);
      expect(row.incomplete).toBe(1);
      expect(row.events).toBeGreaterThan(10_000);
      const v = ringside(['replay', out, '--verify']);
      expect(v.stderr).toMatch(new RegExp(`verified: ${row.events} events identical \\(the recording is incomplete`));
      expect(v.code).toBe(0);
    });
  }
});
