/**
 * Ctrl-C during `run` and `record`. The run goes a slice at a time and hands control to the
 * event loop between slices (nextTurn), where a SIGINT handler can run: Ctrl-C asks the run to
 * stop at the end of the slice, an instruction boundary. Signals wait for that turn, so pressing
 * Ctrl-C again changes nothing: the run still ends cleanly (SIGKILL is the way to stop at once).
 */
export class InterruptWatch {
  private asked = false; // Ctrl-C was pressed
  private readonly onSignal = (): void => {
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
