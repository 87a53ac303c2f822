/** A minimal gdb remote protocol client for tests: sends packets, reads replies, with timeouts. */
import { connect, type Socket } from 'node:net';
import { framePacket, checksum, unescapeBody } from '../../debugger/gdbstub/packets';

export class GdbClient {
  private readonly socket: Socket;
  private buf = '';
  private waiters: (() => void)[] = [];
  acks = 0; // '+' received
  nacks = 0; // '-' received
  noAck = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<GdbClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new GdbClient(s)));
      s.on('error', reject);
    });
  }

  get closed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  raw(bytes: string): void {
    this.socket.write(bytes, 'latin1');
  }

  send(payload: string): void {
    this.raw(framePacket(payload));
  }

  /** The next packet's payload (acks before it are counted), or null if the connection closed. */
  async reply(timeoutMs = 20_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.buf.length > 0 && (this.buf[0] === '+' || this.buf[0] === '-')) {
        if (this.buf[0] === '+') this.acks++;
        else this.nacks++;
        this.buf = this.buf.slice(1);
      }
      const m = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buf);
      if (m !== null) {
        this.buf = this.buf.slice(m[0].length);
        if (parseInt(m[2], 16) !== checksum(m[1])) throw new Error(`bad checksum in reply ${m[0]}`);
        if (!this.noAck) this.raw('+');
        return unescapeBody(m[1]);
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buf.slice(0, 80))})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a bare acknowledgment byte. */
  async ackByte(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length === 0) {
      if (Date.now() > deadline) throw new Error('no acknowledgment');
      await new Promise((r) => setTimeout(r, 5));
    }
    const c = this.buf[0];
    this.buf = this.buf.slice(1);
    return c;
  }

  async request(payload: string, timeoutMs?: number): Promise<string | null> {
    this.send(payload);
    return this.reply(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
