import { describe, expect, it } from 'vitest';
import { PacketReader, framePacket, checksum, unescapeBody, le32, fromLe32, fromHex } from '../../../debugger/gdbstub/packets';

describe('gdb packet framing', () => {
  it('frames a payload with its modulo-256 checksum', () => {
    expect(framePacket('OK')).toBe('$OK#9a');
    expect(checksum('')).toBe(0);
    expect(framePacket('')).toBe('$#00');
  });

  it('escapes $ # } * in payloads and the reader undoes it', () => {
    const payload = 'a$b#c}d*e';
    const framed = framePacket(payload);
    expect(framed).toBe('$a}\x04b}\x03c}]d}\x0ae#' + checksum('a}\x04b}\x03c}]d}\x0ae').toString(16).padStart(2, '0'));
    expect(new PacketReader().feed(framed)).toEqual([{ kind: 'packet', data: payload }]);
  });

  it('undoes run-length encoding', () => {
    expect(unescapeBody('0* ')).toBe('0000'); // ' ' is 32: three more repeats
  });

  it('splits packets, acks and the interrupt byte across chunks', () => {
    const r = new PacketReader();
    expect(r.feed('+$g#6')).toEqual([{ kind: 'ack' }]);
    expect(r.feed('7\x03-$?#3f')).toEqual([{ kind: 'packet', data: 'g' }, { kind: 'interrupt' }, { kind: 'nack' }, { kind: 'packet', data: '?' }]);
  });

  it('reports a bad checksum, and recovers at the next packet', () => {
    const r = new PacketReader();
    expect(r.feed('$g#00$g#67')).toEqual([{ kind: 'bad-checksum' }, { kind: 'packet', data: 'g' }]);
  });

  it('drops an overlong packet instead of growing without bound', () => {
    const r = new PacketReader();
    expect(r.feed('$' + 'a'.repeat(PacketReader.MAX + 10))).toEqual([{ kind: 'bad-checksum' }]);
    expect(r.feed('$g#67')).toEqual([{ kind: 'packet', data: 'g' }]);
  });

  it('encodes registers little-endian', () => {
    expect(le32(0x2badb002)).toBe('02b0ad2b');
    expect(fromLe32('02b0ad2b')).toBe(0x2badb002);
    expect(fromLe32('02b0ad')).toBeNull();
    expect(fromHex('zz')).toBeNull();
  });
});
