/**
 * Every test file's set-up (vitest.config.ts, setupFiles): after each test the worker waits for
 * one turn of Node's event loop. Tests here run guests synchronously; between two tests vitest
 * only awaits promises, which never reaches the loop's poll phase, so a file of many long tests
 * kept the worker from reading the runner's replies for longer than the runner's fixed 60-second
 * RPC timeout ("Timeout calling onTaskUpdate", an error that fails a run whose tests all pass).
 * setImmediate runs after the poll phase, so the replies that arrived meanwhile are read.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
