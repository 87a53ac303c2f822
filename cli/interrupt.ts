/**
 * Ctrl-C during `run` and `record`. The run goes a slice at a time and hands control to the
 * event loop between slices (nextTurn), where a SIGINT handler can run: the first Ctrl-C asks
 * the run to stop at the end of the slice, an instruction boundary; a second one ends the
 * process at once (exit 130; a recording then keeps its committed batches, as after a kill).
 */
import { EXIT_INTERRUPTED } from '../recorder/end-reasons';

export class InterruptWatch {
  private asked = false; // Ctrl-C was pressed once
  private readonly onSignal = (): void => {
    if (this.asked) process.exit(EXIT_INTERRUPTED);
    this.asked = true;
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
  }

  /** Ctrl-C was pressed: stop at the next boundary. */
  get requested(): boolean {
    return this.asked;
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
  }
}

/** Lets the event loop run once (signal handlers included). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
