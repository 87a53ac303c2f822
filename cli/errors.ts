/**
 * User-facing failures: one line on stderr and a non-zero exit, never a stack trace.
 * Set RINGSIDE_DEBUG=1 to see the stack of an unexpected error.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit code for bad input (image, trace, option, SQL); even, so it never looks like a guest's (v<<1)|1. */
export const EXIT_BAD_INPUT = 2;
/** Exit code for a bug in ringside itself. */
export const EXIT_INTERNAL = 70;

export function reportError(err: unknown): number {
  const e = err as Error;
  const known = e && (e.name === 'UsageError' || e.name === 'ImageError' || e.name === 'TraceError' || e.name === 'SqliteError' || e.name === 'ModeError' || e.name === 'SnapshotError');
  const msg = (e && e.message ? e.message : String(err)).split('\n')[0];
  if (known) {
    process.stderr.write(`ringside: ${msg}\n`);
    return EXIT_BAD_INPUT;
  }
  process.stderr.write(`ringside: internal error: ${msg}\n`);
  if (process.env.RINGSIDE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  return EXIT_INTERNAL;
}
