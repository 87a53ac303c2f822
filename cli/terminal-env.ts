/**
 * Ink draws only the last frame, when the app exits, once it believes it runs under CI (the
 * CI or CONTINUOUS_INTEGRATION variable set, as CI runners export to every process). The
 * debugger draws only on a terminal, where a person (or a terminal multiplexer driven by a
 * test) watches every frame: on a terminal those variables are cleared for this process before
 * Ink is loaded, which decides once, when it loads.
 */
export function drawEveryFrameOnTerminal(): void {
  if (process.stdout.isTTY !== true) return;
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}
