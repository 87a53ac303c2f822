/** Serving gdb from the CLI: the listening line, the packet log, and how a session ended. */
import { serveGdb, type SessionEnd } from '../debugger/gdbstub/server';
import type { DebugTarget } from '../debugger/gdbstub/target';
import { UsageError } from './errors';

/**
 * Listens for gdb and serves one session. `hint` is what to type in gdb's place of the image.
 * RINGSIDE_GDB_LOG=1 prints every packet on stderr.
 */
export async function serveForGdb(target: DebugTarget, address: { host: string; port: number }, hint: string): Promise<SessionEnd> {
  const log = process.env.RINGSIDE_GDB_LOG ? (dir: string, data: string) => process.stderr.write(`gdb ${dir} ${JSON.stringify(data)}\n`) : undefined;
  try {
    return await serveGdb(target, {
      host: address.host,
      port: address.port,
      log,
      onListening: (host, port) => {
        const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        process.stderr.write(`ringside: waiting for gdb on ${where} (gdb ${hint} -ex 'target remote ${where}')\n`);
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`--gdb: ${address.host}:${address.port} is already in use`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EACCES') throw new UsageError(`--gdb: cannot listen on ${address.host}:${address.port} (${err.code})`);
    throw e;
  }
}
