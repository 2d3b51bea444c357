import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketType } from '../../protocol/kd/constants';
import { encodeAck, encodeDataPacket } from '../../protocol/kd/encoder';
import { KdnetChannel, paddingFor, parseKdnetDatagram } from '../../protocol/kdnet/datagram';
import { KdnetDecoder } from '../../protocol/kdnet/decoder';
import { encodeKdnetDatagram } from '../../protocol/kdnet/encoder';
import { deriveDataKey, hmacKeyOf, parseKdnetKey } from '../../protocol/kdnet/key';
import { fromSerialFraming, toSerialFraming } from '../../protocol/kdnet/serial-framing';
import { nodeKdnetCrypto as crypto } from '../../electron/capture/kdnet-node-crypto';

const startKey = parseKdnetKey('1234.abcd.zz.8');
const reply = Uint8Array.from({ length: 322 }, (_, i) => i & 0xff);
const dataKey = deriveDataKey(crypto, startKey, reply);

function control(fromDebugger: boolean, body: Uint8Array, padding?: number): Uint8Array {
  return encodeKdnetDatagram(crypto, {
    key: startKey,
    startKey,
    channel: KdnetChannel.CONTROL,
    seq: 1,
    fromDebugger,
    body,
    ...(padding === undefined ? {} : { padding }),
  });
}

function data(fromDebugger: boolean, seq: number, body: Uint8Array, key = dataKey): Uint8Array {
  return encodeKdnetDatagram(crypto, {
    key,
    startKey,
    channel: KdnetChannel.DATA,
    seq,
    fromDebugger,
    body,
  });
}

function keyedDecoder(): KdnetDecoder {
  const decoder = new KdnetDecoder(startKey, crypto);
  expect(decoder.decode(control(false, new Uint8Array(34)))).toMatchObject({
    kind: 'control',
    dir: 'target->debugger',
    dataKeyChanged: false,
  });
  expect(decoder.decode(control(true, reply, 6))).toMatchObject({
    kind: 'control',
    dir: 'debugger->target',
    dataKeyChanged: true,
  });
  return decoder;
}

describe('KDNET serial re-framing', () => {
  it('a data packet gets its 0xAA trailer back; a control packet is its header', () => {
    const packet = encodeDataPacket(
      PacketType.STATE_MANIPULATE,
      0x80000002,
      Uint8Array.of(1, 2, 3),
    );
    const body = fromSerialFraming(packet);
    expect(body).toHaveLength(packet.length - 1);
    expect(toSerialFraming(body)).toEqual({ bytes: packet, framed: true });
    const ack = encodeAck(4);
    expect(toSerialFraming(fromSerialFraming(ack))).toEqual({ bytes: ack, framed: true });
  });

  it('a body with no leader or a ByteCount past its end is passed on raw', () => {
    const noLeader = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0xa8, 0xc0);
    expect(toSerialFraming(noLeader)).toEqual({ bytes: noLeader, framed: false });
    const cut = fromSerialFraming(encodeDataPacket(3, 0, new Uint8Array(10))).subarray(0, 20);
    expect(toSerialFraming(cut)).toEqual({ bytes: cut, framed: false });
  });
});

describe('KdnetDecoder', () => {
  it('switches to the data key after the debugger control reply and decodes both ways', () => {
    const decoder = keyedDecoder();
    const packet = encodeDataPacket(PacketType.DEBUG_IO, 0, new TextEncoder().encode('hello\n'));
    expect(decoder.decode(data(false, 1, fromSerialFraming(packet)))).toEqual({
      kind: 'kd',
      dir: 'target->debugger',
      seq: 1,
      bytes: packet,
      framed: true,
    });
    expect(decoder.decode(data(true, 1, encodeAck(0)))).toMatchObject({
      kind: 'kd',
      dir: 'debugger->target',
      bytes: encodeAck(0),
    });
    expect(decoder.stats).toMatchObject({
      datagrams: 4,
      kdPackets: 2,
      control: 2,
      dataKeyChanges: 1,
    });
  });

  it('a sequence number uses all 7 bytes', () => {
    const decoder = keyedDecoder();
    const seq = 2 ** 53 - 1;
    expect(decoder.decode(data(true, seq, encodeAck(0)))).toMatchObject({ kind: 'kd', seq });
  });

  it('counts a tampered datagram as unauthenticated, and goes on', () => {
    const decoder = keyedDecoder();
    const datagram = data(false, 1, encodeAck(0));
    const tampered = datagram.slice();
    tampered[10]! ^= 1;
    expect(decoder.decode(tampered)).toMatchObject({ kind: 'rejected', reason: 'unauthenticated' });
    expect(decoder.decode(datagram)).toMatchObject({ kind: 'kd' });
    expect(decoder.stats.unauthenticated).toBe(1);
  });

  it('data sent under the starting key (no exchange seen) still decodes', () => {
    const decoder = new KdnetDecoder(startKey, crypto);
    expect(decoder.decode(data(false, 1, encodeAck(0), startKey))).toMatchObject({ kind: 'kd' });
  });

  it('rejects malformed datagrams with a reason', () => {
    const decoder = keyedDecoder();
    const good = data(false, 1, encodeAck(0));
    expect(decoder.decode(good.subarray(0, good.length - 1))).toMatchObject({
      kind: 'rejected',
      reason: 'malformed',
    });
    expect(decoder.decode(Uint8Array.of(0x4d, 0x44, 0x42, 0x47, 4, 0))).toMatchObject({
      reason: 'malformed',
    });
    expect(parseKdnetDatagram(new Uint8Array(64))).toBe('no MDBG magic');
    // A plaintext (16 bytes) whose header claims 0x7f bytes of padding.
    const plaintext = new Uint8Array(16);
    plaintext[6] = 1;
    plaintext[7] = 0x7f;
    const header = Uint8Array.of(0x4d, 0x44, 0x42, 0x47, 4, 0);
    const trailer = crypto.hmacSha256(hmacKeyOf(startKey), [header, plaintext]).slice(0, 16);
    const overPadded = Uint8Array.from([
      ...header,
      ...crypto.aes256CbcEncrypt(dataKey, trailer, plaintext),
      ...trailer,
    ]);
    expect(decoder.decode(overPadded)).toEqual({
      kind: 'rejected',
      reason: 'malformed',
      detail: 'padding of 127 bytes runs past the plaintext',
    });
    expect(decoder.stats.malformed).toBe(3);
  });

  it('property: any body round-trips through encode and decode', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 1500 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (body, fromDebugger, seq) => {
          const decoder = new KdnetDecoder(startKey, crypto);
          const out = decoder.decode(data(fromDebugger, seq, body, startKey));
          expect(out.kind).toBe('kd');
          if (out.kind !== 'kd') return;
          expect(out.seq).toBe(seq);
          expect(out.dir).toBe(fromDebugger ? 'debugger->target' : 'target->debugger');
          expect(fromSerialFraming(out.bytes)).toEqual(body);
          expect((8 + body.length + paddingFor(body.length)) % 16).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fuzz: random and mutated datagrams never throw, only count', () => {
    const decoder = keyedDecoder();
    const valid = data(false, 1, fromSerialFraming(encodeDataPacket(2, 0, new Uint8Array(56))));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0x4d, 0x44, 0x42, 0x47, ...b)),
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
            const copy = valid.slice();
            copy[at]! ^= x;
            return copy;
          }),
        ),
        (bytes) => {
          const out = decoder.decode(bytes);
          expect(['kd', 'control', 'rejected']).toContain(out.kind);
        },
      ),
      { numRuns: 300 },
    );
    expect(decoder.decode(valid)).toMatchObject({ kind: 'kd', framed: true });
  });
});
