/**
 * Everything the commands print on stdout goes through here, synchronously (writeSync): a
 * reader that has gone away (`| head`) is seen at once as EPIPE, and from then on output is
 * dropped quietly instead of ending in "internal error: EPIPE" or an unhandled 'error' event.
 * Node ignores SIGPIPE, so EPIPE is the only sign a closed pipe gives.
 */
import { writeSync } from 'node:fs';
import { UsageError } from './errors';

let gone = false; // the reader of stdout has gone: nothing more is written
const pause = new Int32Array(new SharedArrayBuffer(4));

/** True once stdout's reader has gone (EPIPE). */
export function stdoutGone(): boolean {
  return gone;
}

/**
 * Writes `data` to stdout; returns false when the reader has gone (now or before), in which
 * case the data is dropped. Other write errors (a full disk behind a redirection) are one line.
 */
export function writeStdout(data: string | Uint8Array, start = 0, end = data.length): boolean {
  if (gone) return false;
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = typeof data === 'string' ? 0 : start;
  const stop = typeof data === 'string' ? buf.length : end;
  while (off < stop) {
    try {
      off += writeSync(1, buf, off, stop - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 2); // a non-blocking stdout that is full: wait for the reader
      else if (code === 'EPIPE' || code === 'EBADF') {
        gone = true; // the reader has gone, or stdout was closed before we started
        return false;
      } else throw new UsageError(`cannot write to stdout: ${(err as Error).message}`);
    }
  }
  return true;
}

/**
 * The guest's UART output on stdout, gathered in a buffer. When stdout's reader goes away (or
 * stdout cannot be written at all: a full disk, /dev/full), the output is dropped and `onGone`
 * is told once, with the reason (the run itself goes on: a recording stays whole).
 */
export class GuestOutput {
  private readonly buf = new Uint8Array(1 << 16); // bytes not yet written
  private n = 0; // bytes in buf
  private told = false; // onGone was called
  private readonly before: () => void; // called before bytes reach the terminal (clears a progress line)
  private readonly onGone: (why: string) => void; // called once when stdout's output is dropped
  private failed = ''; // why stdout cannot be written (other than its reader having gone)

  constructor(opts: { before?: () => void; onGone: (why: string) => void }) {
    this.before = opts.before ?? (() => {});
    this.onGone = opts.onGone;
  }

  /** One byte from the guest's UART. */
  byte = (b: number): void => {
    this.buf[this.n++] = b;
    if (this.n === this.buf.length) this.flush();
  };

  flush(): void {
    if (this.n === 0) return;
    const n = this.n;
    this.n = 0;
    if (stdoutGone() || this.failed !== '') return this.tell();
    this.before();
    try {
      if (!writeStdout(this.buf, 0, n)) this.tell();
    } catch (err) {
      this.failed = (err as Error).message;
      this.tell();
    }
  }

  private tell(): void {
    if (this.told) return;
    this.told = true;
    this.onGone(this.failed !== '' ? this.failed.replace(/^cannot write to stdout: /, 'stdout cannot be written: ') : 'stdout was closed');
  }
}

/**
 * A progress line on stderr (shown only on a terminal, `show` replacing it) and the guest's
 * output on stdout (`guest`), kept apart: the line is cleared before guest bytes reach the
 * terminal. `goesOn` ends the one line told when stdout's output is dropped.
 */
export class ProgressLine {
  readonly guest: GuestOutput;
  private shown = false; // a progress line is on the terminal

  constructor(goesOn: string, private readonly enabled = process.stderr.isTTY === true) {
    this.guest = new GuestOutput({
      before: () => this.clear(),
      onGone: (why) => {
        this.clear();
        process.stderr.write(`ringside: ${why}: the guest's output is dropped from here on; ${goesOn}\n`);
      },
    });
  }

  show(text: string): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
