/** `ringside replay FILE [--run ID] [--verify]`: re-executes a recorded run from the trace alone. */
import { writeSync } from 'node:fs';
import { openTraceReadOnly, closeTrace } from '../../recorder/store';
import { replayRun } from '../../recorder/replay';
import { parseRunId } from '../options';

export function replayCommand(file: string, opts: { run?: string; verify?: boolean }): number {
  const db = openTraceReadOnly(file);
  let progressShown = false; // a progress line is on the terminal: clear it before guest output
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  try {
    const r = replayRun(db, {
      runId: parseRunId(opts.run),
      verify: opts.verify === true,
      onUartByte: (b) => {
        clearProgress();
        writeSync(1, Uint8Array.of(b));
      },
      onProgress: (icount, of) => {
        if (!process.stderr.isTTY) return;
        process.stderr.write(`\rreplaying: ${(icount / 1e6).toFixed(0)} of ${(of / 1e6).toFixed(0)} M instructions`);
        progressShown = true;
      },
    });
    clearProgress();
    if (r.mismatch !== null) {
      process.stderr.write(`ringside: replay of run ${r.runId} diverged at event #${r.mismatch.seq}\n  recorded: ${r.mismatch.recorded}\n  replayed: ${r.mismatch.replayed}\n`);
      return 1;
    }
    if (r.shutdown !== '') process.stderr.write(`ringside: ${r.shutdown}\n`);
    const what = opts.verify ? `verified: ${r.events} events identical` : `${r.events} events`;
    const end = r.complete ? `, end ${r.result.reason} (exit code ${r.result.exitCode})` : ' (the recording is incomplete: replayed as far as it goes)';
    process.stderr.write(`ringside: replayed run ${r.runId} to icount ${r.result.icount}, ${what}${end}\n`);
    return 0;
  } finally {
    closeTrace(db);
  }
}
