/**
 * vitest's global setup: every temporary file of a test run (traces, guests' disks, the 1 GiB of
 * pages the snapshotter test records) goes below one folder, made here and given to the test
 * processes and the commands they start as TMPDIR, and removed with everything in it when the
 * run ends, so that repeated runs do not fill the machine's disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'ringside-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
