/**
 * Packet framing of the gdb remote serial protocol: `$payload#cs` with a modulo-256 checksum,
 * `}` escapes for binary data, `+`/`-` acknowledgments (until no-ack mode), and the interrupt
 * byte 0x03 that gdb sends outside any packet for Ctrl-C. Payloads are latin1 strings, one
 * character per byte, so binary data (X packets) passes through unchanged.
 */

export type Incoming =
  | { kind: 'packet'; data: string } // a well-formed packet (escapes and run-length encoding undone)
  | { kind: 'bad-checksum' } // answer with '-' so that gdb sends it again
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' };

export function checksum(s: string): number {
  let sum = 0;
  for (let k = 0; k < s.length; k++) sum = (sum + s.charCodeAt(k)) & 0xff;
  return sum;
}

/** The bytes of a packet carrying `payload` (characters that need it escaped). */
export function framePacket(payload: string): string {
  const body = payload.replace(/[$#}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
  return `$${body}#${checksum(body).toString(16).padStart(2, '0')}`;
}

/** Undoes `}` escapes and `*` run-length encoding in a received packet body. */
export function unescapeBody(body: string): string {
  let out = '';
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c === '}' && k + 1 < body.length) out += String.fromCharCode(body.charCodeAt(++k) ^ 0x20);
    else if (c === '*' && out.length > 0 && k + 1 < body.length) out += out[out.length - 1].repeat(body.charCodeAt(++k) - 29);
    else out += c;
  }
  return out;
}

/** Splits a byte stream from gdb into packets, acknowledgments and interrupts. */
export class PacketReader {
  private buf = ''; // bytes of a packet not complete yet ('' between packets)

  /** The longest packet accepted (what qSupported announces as PacketSize, with room for framing). */
  static readonly MAX = 0x4000;

  feed(chunk: string): Incoming[] {
    const out: Incoming[] = [];
    for (let k = 0; k < chunk.length; k++) {
      const c = chunk[k];
      if (this.buf === '') {
        if (c === '$') this.buf = '$';
        else if (c === '+') out.push({ kind: 'ack' });
        else if (c === '-') out.push({ kind: 'nack' });
        else if (c === '\x03') out.push({ kind: 'interrupt' });
        // anything else between packets is noise and is dropped
        continue;
      }
      this.buf += c;
      const hash = this.buf.length - 3;
      if (hash > 0 && this.buf[hash] === '#') {
        const body = this.buf.slice(1, hash);
        const sum = parseInt(this.buf.slice(hash + 1), 16);
        this.buf = '';
        out.push(sum === checksum(body) ? { kind: 'packet', data: unescapeBody(body) } : { kind: 'bad-checksum' });
      } else if (this.buf.length > PacketReader.MAX + 4) {
        this.buf = '';
        out.push({ kind: 'bad-checksum' });
      }
    }
    return out;
  }
}

export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let k = 0; k < bytes.length; k++) s += (bytes[k] & 0xff).toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): number[] | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out: number[] = [];
  for (let k = 0; k < s.length; k += 2) out.push(parseInt(s.slice(k, k + 2), 16));
  return out;
}

export const textToHex = (s: string): string => toHex(Buffer.from(s, 'utf8'));
export const hexToText = (h: string): string | null => {
  const b = fromHex(h);
  return b === null ? null : Buffer.from(b).toString('utf8');
};

/** A 32-bit value as gdb's target byte order (little-endian) hex. */
export function le32(v: number): string {
  v >>>= 0;
  return toHex([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
}

export function fromLe32(h: string): number | null {
  const b = fromHex(h);
  if (b === null || b.length !== 4) return null;
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}
