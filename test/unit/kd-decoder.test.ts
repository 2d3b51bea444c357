import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import {
  concatBytes,
  encodeAck,
  encodeBreakin,
  encodeControlPacket,
  encodeDataPacket,
  encodeReset,
} from '../../protocol/kd/encoder';
import type { KdEvent, KdPacketEvent } from '../../protocol/kd/events';
import {
  coverageError,
  decodeChunks,
  generateRealisticStream,
  randomChunks,
} from '../support/kd-gen';

const bytes = (...parts: (Uint8Array | number[] | string)[]): Uint8Array =>
  concatBytes(
    parts.map((p) =>
      typeof p === 'string'
        ? Uint8Array.from(p, (ch) => ch.charCodeAt(0))
        : p instanceof Uint8Array
          ? p
          : Uint8Array.from(p),
    ),
  );

/** Decodes in one push, and byte by byte: both must agree. */
function decode(stream: Uint8Array, maxGarbageRun?: number): KdEvent[] {
  const options = maxGarbageRun === undefined ? {} : { maxGarbageRun };
  const whole = decodeChunks([stream], options);
  const single = decodeChunks(
    Array.from(stream, (_, i) => stream.subarray(i, i + 1)),
    options,
  );
  expect(single).toEqual(whole);
  expect(coverageError(whole, stream.length)).toBeNull();
  return whole;
}

const manipulate = Uint8Array.from({ length: 56 }, (_, i) => (i * 7) & 0xff);

describe('KdStreamDecoder', () => {
  it('decodes a control packet', () => {
    const events = decode(encodeAck(0x80800001));
    expect(events).toEqual([
      {
        kind: 'packet',
        offset: 0,
        leader: 'control',
        type: PacketType.ACKNOWLEDGE,
        byteCount: 0,
        id: 0x80800001,
        checksum: 0,
        checksumOk: true,
        payload: new Uint8Array(0),
        length: 16,
      },
    ]);
  });

  it('decodes a data packet with its payload and checksum', () => {
    const packet = encodeDataPacket(PacketType.STATE_MANIPULATE, 0x80800000, manipulate);
    const events = decode(packet);
    expect(events).toHaveLength(1);
    const e = events[0] as KdPacketEvent;
    expect(e).toMatchObject({
      kind: 'packet',
      offset: 0,
      leader: 'data',
      type: 2,
      byteCount: 56,
      id: 0x80800000,
      checksumOk: true,
      length: 16 + 56 + 1,
    });
    expect(e.payload).toEqual(manipulate);
  });

  it('reports ByteCount of a control packet as read and ignores it for framing', () => {
    const control = encodeControlPacket(PacketType.RESEND, 7);
    control[6] = 0x10; // ByteCount 16, which a control packet does not carry
    const events = decode(bytes(control, encodeReset()));
    expect(events.map((e) => [e.kind, e.offset, e.length])).toEqual([
      ['packet', 0, 16],
      ['packet', 16, 16],
    ]);
    expect(events[0]).toMatchObject({ byteCount: 16, id: 7, type: PacketType.RESEND });
  });

  it('decodes back-to-back packets with exact offsets', () => {
    const a = encodeDataPacket(PacketType.DEBUG_IO, 0x80800000, new Uint8Array(0));
    const b = encodeAck(0x80800000);
    const c = encodeDataPacket(PacketType.STATE_CHANGE64, 0x80800001, new Uint8Array(4000));
    const events = decode(bytes(a, b, c));
    expect(events.map((e) => [e.kind, e.offset, e.length])).toEqual([
      ['packet', 0, 17],
      ['packet', 17, 16],
      ['packet', 33, 4017],
    ]);
  });

  it('reports a wrong checksum as a packet with checksumOk false', () => {
    const packet = encodeDataPacket(2, 1, manipulate, { checksum: 12345 });
    expect(decode(packet)).toEqual([
      expect.objectContaining({ kind: 'packet', checksum: 12345, checksumOk: false, length: 73 }),
    ]);
  });

  it('takes the last four bytes of a longer leader run; the earlier ones are noise', () => {
    const events = decode(bytes('xy00', encodeAck(5)));
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 4, reason: 'noise' },
      expect.objectContaining({ kind: 'packet', offset: 4, leader: 'control', id: 5 }),
    ]);
    const data = encodeDataPacket(3, 9, manipulate);
    expect(decode(bytes('000000', data)).map((e) => [e.kind, e.offset, e.length])).toEqual([
      ['garbage', 0, 6],
      ['packet', 6, 73],
    ]);
  });

  it('treats short leader runs as noise, merged with the noise around them', () => {
    const events = decode(bytes('ax000iii', [0x01], encodeAck(1)));
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 9, reason: 'noise' },
      expect.objectContaining({ kind: 'packet', offset: 9 }),
    ]);
  });

  it('reports one break-in per run of 0x62, between the noise around it', () => {
    const events = decode(bytes('zz', encodeBreakin(), 'q', 'bbbb', encodeReset()));
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 2, reason: 'noise' },
      { kind: 'breakin', offset: 2, length: 1 },
      { kind: 'garbage', offset: 3, length: 1, reason: 'noise' },
      { kind: 'breakin', offset: 4, length: 4 },
      expect.objectContaining({ kind: 'packet', offset: 8, type: PacketType.RESET }),
    ]);
  });

  it('waits for the byte that ends a break-in run, or for flush', () => {
    const decoder = new KdStreamDecoder();
    const events: KdEvent[] = [];
    const sink = (e: KdEvent): void => void events.push(e);
    decoder.push(bytes('bb'), sink);
    expect(events).toEqual([]);
    decoder.push(bytes('b'), sink);
    expect(events).toEqual([]);
    decoder.flush(sink);
    expect(events).toEqual([{ kind: 'breakin', offset: 0, length: 3 }]);
    decoder.push(bytes('b'), sink);
    decoder.end(sink);
    expect(events).toEqual([
      { kind: 'breakin', offset: 0, length: 3 },
      { kind: 'breakin', offset: 3, length: 1 },
    ]);
  });

  it('flush emits pending noise but never a partial packet', () => {
    const decoder = new KdStreamDecoder();
    const events: KdEvent[] = [];
    const sink = (e: KdEvent): void => void events.push(e);
    const packet = encodeDataPacket(2, 1, manipulate);
    decoder.push(bytes('noise', '000000', packet.subarray(4, 30)), sink);
    decoder.flush(sink);
    expect(events).toEqual([{ kind: 'garbage', offset: 0, length: 7, reason: 'noise' }]);
    expect(decoder.pending).toBe(30);
    decoder.push(packet.subarray(30), sink);
    expect(events[1]).toMatchObject({ kind: 'packet', offset: 7, length: 73, checksumOk: true });
    expect(decoder.pending).toBe(0);
    expect(decoder.position).toBe(7 + 73);
  });

  it('flush keeps the last four bytes of a pending leader run, emitting the rest as noise', () => {
    const decoder = new KdStreamDecoder();
    const events: KdEvent[] = [];
    const sink = (e: KdEvent): void => void events.push(e);
    decoder.push(bytes('iiiiii'), sink);
    decoder.flush(sink);
    expect(events).toEqual([{ kind: 'garbage', offset: 0, length: 2, reason: 'noise' }]);
    decoder.push(encodeAck(3).subarray(4), sink);
    expect(events[1]).toMatchObject({ kind: 'packet', offset: 2, id: 3 });
  });

  it('skips the 16 header bytes of a ByteCount over 4000 and resyncs after them', () => {
    // Only the header: a sender with a ByteCount this large sends no sane body.
    const bad = encodeDataPacket(2, 1, new Uint8Array(0), { byteCount: 4001 }).subarray(0, 16);
    const events = decode(bytes(bad, encodeAck(1)));
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 16, reason: 'bad-length' },
      expect.objectContaining({ kind: 'packet', offset: 16, leader: 'control' }),
    ]);
  });

  it('accepts ByteCount 4000 exactly', () => {
    const packet = encodeDataPacket(2, 1, new Uint8Array(4000).fill(0xff));
    expect(decode(packet)).toEqual([
      expect.objectContaining({ kind: 'packet', byteCount: 4000, length: 4017, checksumOk: true }),
    ]);
  });

  it('reports a wrong trailer as bad-trailer over the whole packet, then resyncs', () => {
    const bad = encodeDataPacket(2, 1, manipulate, { trailer: 0x30 });
    const events = decode(bytes(bad, encodeAck(1)));
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 73, reason: 'bad-trailer' },
      expect.objectContaining({ kind: 'packet', offset: 73 }),
    ]);
  });

  it('reports an unfinished packet at end() as truncated', () => {
    const packet = encodeDataPacket(2, 1, manipulate);
    expect(decode(bytes('x', packet.subarray(0, 40)))).toEqual([
      { kind: 'garbage', offset: 0, length: 1, reason: 'noise' },
      { kind: 'garbage', offset: 1, length: 40, reason: 'truncated' },
    ]);
    expect(decode(bytes('00000'))).toEqual([
      { kind: 'garbage', offset: 0, length: 1, reason: 'noise' },
      { kind: 'garbage', offset: 1, length: 4, reason: 'truncated' },
    ]);
    expect(decode(bytes('ax000'))).toEqual([
      { kind: 'garbage', offset: 0, length: 5, reason: 'noise' },
    ]);
  });

  it('splits a long noise run every maxGarbageRun bytes from its start', () => {
    const events = decode(bytes('acdefgh', '00', 'hij', encodeAck(2)), 4);
    expect(events).toEqual([
      { kind: 'garbage', offset: 0, length: 4, reason: 'noise' },
      { kind: 'garbage', offset: 4, length: 4, reason: 'noise' },
      { kind: 'garbage', offset: 8, length: 4, reason: 'noise' },
      expect.objectContaining({ kind: 'packet', offset: 12 }),
    ]);
  });

  it('uses a default maxGarbageRun of 65536', () => {
    const events = decode(new Uint8Array(65536 * 2 + 5).fill(0x41));
    expect(events.map((e) => e.length)).toEqual([65536, 65536, 5]);
  });

  it('copies payloads, even out of a Node Buffer whose slice() is a view', () => {
    const packet = Buffer.from(encodeDataPacket(2, 1, manipulate));
    const events: KdEvent[] = [];
    new KdStreamDecoder().push(packet, (e) => void events.push(e));
    const e = events[0] as KdPacketEvent;
    packet.fill(0);
    expect(e.payload).toEqual(manipulate);
    expect(e.payload.buffer).not.toBe(packet.buffer);
    expect(Object.getPrototypeOf(e.payload)).toBe(Uint8Array.prototype);
  });

  it('copies payloads of packets carried across chunks', () => {
    const packet = encodeDataPacket(2, 1, manipulate);
    const events: KdEvent[] = [];
    const decoder = new KdStreamDecoder();
    decoder.push(packet.subarray(0, 20), (e) => void events.push(e));
    decoder.push(packet.subarray(20), (e) => void events.push(e));
    packet.fill(0);
    expect((events[0] as KdPacketEvent).payload).toEqual(manipulate);
  });

  it('lends views of the pushed bytes instead of copies when borrowing', () => {
    const packet = Buffer.from(encodeDataPacket(2, 1, manipulate));
    const seen: Uint8Array[] = [];
    new KdStreamDecoder({ borrowPayloads: true }).push(packet, (e) => {
      if (e.kind === 'packet') seen.push(e.payload);
    });
    expect(seen[0]).toEqual(manipulate);
    expect(seen[0]!.buffer).toBe(packet.buffer);
    expect(Object.getPrototypeOf(seen[0])).toBe(Uint8Array.prototype);
  });

  it('counts position over every push, including empty ones', () => {
    const decoder = new KdStreamDecoder();
    const sink = (): void => {};
    decoder.push(new Uint8Array(0), sink);
    decoder.push(encodeAck(1), sink);
    decoder.push(new Uint8Array(0), sink);
    decoder.push(bytes('acd'), sink);
    expect(decoder.position).toBe(19);
    expect(decoder.pending).toBe(0);
  });

  it('gives every event of a kind the same property order', () => {
    const events = decode(
      bytes(encodeAck(1), 'x', 'b', encodeDataPacket(2, 1, manipulate), 'ii', 'z'),
    );
    const shapes = new Map<string, string>();
    for (const e of events) {
      const keys = Object.keys(e).join(',');
      expect(shapes.get(e.kind) ?? keys).toBe(keys);
      shapes.set(e.kind, keys);
    }
    expect(shapes.get('packet')).toBe(
      'kind,offset,leader,type,byteCount,id,checksum,checksumOk,payload,length',
    );
  });

  it('survives a nonsense maxGarbageRun', () => {
    for (const max of [0, -3, Number.NaN, Infinity]) {
      const events = decodeChunks([bytes('acd', encodeAck(1))], { maxGarbageRun: max });
      expect(coverageError(events, 19)).toBeNull();
      expect(events.at(-1)).toMatchObject({ kind: 'packet', offset: 3 });
    }
  });

  it('decodes a stream as it arrives over a loopback TCP socket, as in one push', async () => {
    const stream = generateRealisticStream(256 * 1024, 11).bytes;
    const expected = decodeChunks([stream]);
    const server = createServer((socket) => {
      // Writes of random sizes; the kernel re-cuts them again on the way.
      for (const piece of randomChunks(stream, 5, 1, 9000)) socket.write(piece);
      socket.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const client = connect(port, '127.0.0.1');
      const decoder = new KdStreamDecoder();
      const events: KdEvent[] = [];
      const sink = (e: KdEvent): void => void events.push(e);
      let chunks = 0;
      client.on('data', (chunk: Buffer) => {
        chunks++;
        decoder.push(chunk, sink);
      });
      await once(client, 'end');
      client.destroy();
      decoder.end(sink);
      expect(chunks).toBeGreaterThan(1);
      expect(events).toEqual(expected);
    } finally {
      server.close();
    }
  });
});
