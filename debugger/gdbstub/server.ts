/**
 * The gdb server: listens on a TCP port, serves one gdb connection at a time with the
 * command table, and ends when gdb detaches, kills, or closes the connection. While a
 * `continue` runs, the machine runs in slices so that gdb's interrupt byte (Ctrl-C) is read.
 */
import { createServer, type Socket } from 'node:net';
import { PacketReader, framePacket, type Incoming } from './packets';
import { StubState, handlePacket } from './commands';
import type { DebugTarget } from './target';

export type SessionEnd = 'detach' | 'kill' | 'closed';

export interface GdbServerOptions {
  host: string;
  port: number; // 0: any free port
  /** Called once listening, with the port really used. */
  onListening?(host: string, port: number): void;
  /** Every packet in and out (for debugging the stub itself: RINGSIDE_GDB_LOG). */
  log?(direction: '<-' | '->', data: string): void;
}

/**
 * Serves one gdb connection (others are refused while it lasts); resolves with how it ended.
 * A live run treats a dropped connection as a detach (as QEMU does: the guest runs on).
 */
export function serveGdb(target: DebugTarget, opts: GdbServerOptions): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    const server = createServer({ noDelay: true });
    server.on('error', reject);
    server.maxConnections = 1;
    server.on('connection', (socket) => {
      serveConnection(target, socket, opts).then((end) => {
        server.close();
        resolve(end);
      }, (err) => {
        server.close();
        reject(err);
      });
    });
    server.listen(opts.port, opts.host, () => {
      const a = server.address();
      opts.onListening?.(opts.host, typeof a === 'object' && a !== null ? a.port : opts.port);
    });
  });
}

function serveConnection(target: DebugTarget, socket: Socket, opts: GdbServerOptions): Promise<SessionEnd> {
  const state = new StubState(target);
  const reader = new PacketReader();
  const queue: Incoming[] = [];
  let busy = false;
  let lastSent = '';
  let closed = false;
  socket.setEncoding('latin1');

  const send = (payload: string) => {
    lastSent = framePacket(payload);
    opts.log?.('->', payload);
    if (!closed) socket.write(lastSent, 'latin1');
  };

  return new Promise((resolve, reject) => {
    const finish = (end: SessionEnd) => {
      if (closed) return;
      closed = true;
      socket.end();
      resolve(end);
    };
    const work = async () => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !closed) {
          const item = queue.shift()!;
          if (item.kind === 'bad-checksum') {
            if (!state.noAck) socket.write('-');
            continue;
          }
          if (item.kind === 'nack') {
            if (lastSent !== '') socket.write(lastSent, 'latin1');
            continue;
          }
          if (item.kind !== 'packet') continue;
          opts.log?.('<-', item.data);
          if (!state.noAck) socket.write('+');
          const reply = await handlePacket(state, item.data);
          if (reply !== null) for (const p of typeof reply === 'string' ? [reply] : reply) send(p);
          if (item.data === 'QStartNoAckMode') state.noAck = true;
          if (state.ended !== null) return finish(state.ended);
        }
      } catch (e) {
        closed = true;
        socket.destroy();
        reject(e);
      } finally {
        busy = false;
      }
    };
    socket.on('data', (chunk: string) => {
      for (const item of reader.feed(chunk)) {
        if (item.kind === 'interrupt') state.interrupted = true;
        else if (item.kind !== 'ack') queue.push(item);
      }
      void work();
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('closed'));
  });
}
