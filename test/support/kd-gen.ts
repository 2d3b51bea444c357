// Generators of KD serial byte streams for tests and benches: random packets, garbage, break-ins,
// chunkings, the events a correct framing decoder must report for them, and a large realistic
// session-like stream for benches.

import fc from 'fast-check';
import {
  BYTE_BREAKIN,
  BYTE_CONTROL_LEADER,
  BYTE_DATA_LEADER,
  HEADER_SIZE,
  PACKET_MAX_SIZE,
  PACKET_TRAILER,
  PacketType,
} from '../../protocol/kd/constants';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import type { KdDecoderOptions } from '../../protocol/kd/decoder';
import { encodeControlPacket, encodeDataPacket, payloadChecksum } from '../../protocol/kd/encoder';
import type { KdEvent } from '../../protocol/kd/events';

// ---------------------------------------------------------------------------------------------
// Decoding helpers

/** Decodes `chunks` with one decoder, then end(); returns every event. */
export function decodeChunks(chunks: readonly Uint8Array[], options?: KdDecoderOptions): KdEvent[] {
  const decoder = new KdStreamDecoder(options);
  const events: KdEvent[] = [];
  const sink = (e: KdEvent): void => {
    events.push(e);
  };
  for (const chunk of chunks) decoder.push(chunk, sink);
  decoder.end(sink);
  return events;
}

/** Cuts `bytes` at the given offsets (any order, duplicates give empty chunks). Views, not copies. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = cuts.map((c) => Math.max(0, Math.min(bytes.length, c))).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of sorted) {
    out.push(bytes.subarray(from, cut));
    from = cut;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Cut points for a buffer of `length` bytes: up to `max` offsets, possibly repeated. */
export const arbCuts = (length: number, max = 20): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: length }), { maxLength: max });

/** One-line description of where the events stop covering the stream contiguously, or null. */
export function coverageError(events: readonly KdEvent[], total: number): string | null {
  let at = 0;
  for (const [n, e] of events.entries()) {
    if (e.offset !== at) return `event ${n} (${e.kind}) at ${e.offset}, expected ${at}`;
    if (e.length <= 0) return `event ${n} (${e.kind}) has length ${e.length}`;
    at += e.length;
  }
  return at === total ? null : `events cover ${at} of ${total} bytes`;
}

// ---------------------------------------------------------------------------------------------
// Random bytes

/** Noise that can never start a leader or a break-in. */
export const arbSafeNoiseByte: fc.Arbitrary<number> = fc
  .integer({ min: 0, max: 255 })
  .filter((b) => b !== BYTE_DATA_LEADER && b !== BYTE_CONTROL_LEADER && b !== BYTE_BREAKIN);

export const arbSafeNoise = (maxLength = 64): fc.Arbitrary<Uint8Array> =>
  fc.array(arbSafeNoiseByte, { minLength: 1, maxLength }).map((a) => Uint8Array.from(a));

/** Arbitrary bytes biased toward the ones framing cares about, so leaders and headers occur. */
export const arbWireByte: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      BYTE_DATA_LEADER,
      BYTE_CONTROL_LEADER,
      BYTE_BREAKIN,
      PACKET_TRAILER,
      0,
      1,
    ),
  },
);

export const arbWireBytes = (maxLength = 600): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: arbWireByte.map((b) => [b]) },
        // Runs of one byte, so leader runs of every length show up.
        {
          weight: 1,
          arbitrary: fc
            .tuple(arbWireByte, fc.integer({ min: 2, max: 8 }))
            .map(([b, n]) => new Array<number>(n).fill(b)),
        },
      ),
      { maxLength: maxLength / 4 },
    )
    .map((parts) => Uint8Array.from(parts.flat()));

// ---------------------------------------------------------------------------------------------
// Structured streams with the events they must decode to

export type Corruption = 'none' | 'checksum' | 'trailer' | 'length';

export interface PacketItem {
  readonly t: 'packet';
  readonly data: boolean;
  readonly type: number;
  readonly id: number;
  readonly payload: Uint8Array;
  /** Control packets: ByteCount and checksum as sent (framing ignores them). */
  readonly byteCount: number;
  readonly checksum: number;
  readonly corrupt: Corruption;
  /** Bad trailer byte (when corrupt = 'trailer'), bad ByteCount (when 'length'). */
  readonly bad: number;
  /** Extra copies of the leader byte sent before the packet (noise). */
  readonly stray: number;
}
export interface NoiseItem {
  readonly t: 'noise';
  readonly bytes: Uint8Array;
}
export interface BreakinItem {
  readonly t: 'breakin';
  readonly length: number;
}
export type StreamItem = PacketItem | NoiseItem | BreakinItem;

/** Packet types whose low byte is no leader byte (PROTOCOL.md: no real type has one). */
export const arbPacketType: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 11 }),
  fc
    .integer({ min: 0, max: 0xffff })
    .filter((t) => (t & 0xff) !== BYTE_DATA_LEADER && (t & 0xff) !== BYTE_CONTROL_LEADER),
);

export const arbPayload = (maxLength = PACKET_MAX_SIZE): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: Math.min(64, maxLength) }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength }) },
  );

export const arbPacketItem = (maxPayload = PACKET_MAX_SIZE): fc.Arbitrary<PacketItem> =>
  fc.record({
    t: fc.constant('packet' as const),
    data: fc.boolean(),
    type: arbPacketType,
    id: fc.oneof(fc.constantFrom(0x80800000, 0x80800001, 0x80800800, 0), fc.nat()),
    payload: arbPayload(maxPayload),
    byteCount: fc.integer({ min: 0, max: 0xffff }),
    checksum: fc.nat(),
    corrupt: fc.constantFrom<Corruption>('none', 'none', 'none', 'checksum', 'trailer', 'length'),
    bad: fc.integer({ min: 0, max: 0xffff }),
    stray: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
  });

export const arbStreamItem = (maxPayload = PACKET_MAX_SIZE): fc.Arbitrary<StreamItem> =>
  fc.oneof(
    { weight: 4, arbitrary: arbPacketItem(maxPayload) },
    {
      weight: 2,
      arbitrary: arbSafeNoise().map((bytes): NoiseItem => ({ t: 'noise', bytes })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 5 }).map((length): BreakinItem => ({
        t: 'breakin',
        length,
      })),
    },
  );

export const arbStream = (
  maxItems = 12,
  maxPayload = PACKET_MAX_SIZE,
): fc.Arbitrary<{ items: StreamItem[]; truncateBy: number }> =>
  fc.record({
    items: fc.array(arbStreamItem(maxPayload), { maxLength: maxItems }),
    // Bytes cut off the end of the last item when that is a packet: a truncated packet.
    truncateBy: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4020 })),
  });

/** Wire bytes of one packet item (without its stray leader bytes). */
export function encodePacketItem(item: PacketItem): Uint8Array {
  if (!item.data) {
    const bytes = encodeControlPacket(item.type, item.id);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint16(6, item.byteCount, true);
    view.setUint32(12, item.checksum >>> 0, true);
    return bytes;
  }
  switch (item.corrupt) {
    case 'length': {
      // Only the header goes out: the decoder skips 16 bytes and scans on.
      const bc = PACKET_MAX_SIZE + 1 + (item.bad % (0x10000 - PACKET_MAX_SIZE - 1));
      return encodeDataPacket(item.type, item.id, new Uint8Array(0), { byteCount: bc }).subarray(
        0,
        HEADER_SIZE,
      );
    }
    case 'trailer': {
      const trailer = item.bad & 0xff;
      return encodeDataPacket(item.type, item.id, item.payload, {
        trailer: trailer === PACKET_TRAILER ? 0 : trailer,
      });
    }
    case 'checksum':
      return encodeDataPacket(item.type, item.id, item.payload, {
        checksum: (payloadChecksum(item.payload) + 1 + item.checksum) >>> 0 || 1,
      });
    case 'none':
      return encodeDataPacket(item.type, item.id, item.payload);
  }
}

/** Builds the stream of `items` and the exact events a decoder must report for it. */
export function buildStream(
  items: readonly StreamItem[],
  truncateBy = 0,
  maxGarbageRun = 65536,
): { bytes: Uint8Array; events: KdEvent[] } {
  const parts: Uint8Array[] = [];
  const events: KdEvent[] = [];
  let at = 0;
  let noiseStart = 0;
  let noiseLength = 0;
  let breakinStart = 0;
  let breakinLength = 0;
  const flushNoise = (): void => {
    if (noiseLength > 0)
      events.push({ kind: 'garbage', offset: noiseStart, length: noiseLength, reason: 'noise' });
    noiseLength = 0;
  };
  const addNoise = (count: number): void => {
    for (let k = 0; k < count; k++) {
      if (noiseLength === 0) noiseStart = at + k;
      if (++noiseLength === maxGarbageRun) flushNoise();
    }
  };
  const flushBreakin = (): void => {
    if (breakinLength > 0)
      events.push({ kind: 'breakin', offset: breakinStart, length: breakinLength });
    breakinLength = 0;
  };

  items.forEach((item, n) => {
    if (item.t === 'noise') {
      flushBreakin();
      addNoise(item.bytes.length);
      parts.push(item.bytes);
      at += item.bytes.length;
      return;
    }
    if (item.t === 'breakin') {
      flushNoise();
      if (breakinLength === 0) breakinStart = at;
      breakinLength += item.length;
      parts.push(new Uint8Array(item.length).fill(BYTE_BREAKIN));
      at += item.length;
      return;
    }
    flushBreakin();
    const leaderByte = item.data ? BYTE_DATA_LEADER : BYTE_CONTROL_LEADER;
    addNoise(item.stray);
    parts.push(new Uint8Array(item.stray).fill(leaderByte));
    at += item.stray;
    flushNoise();
    let bytes = encodePacketItem(item);
    const last = n === items.length - 1;
    if (last && truncateBy > 0) {
      // Keep at least the leader: fewer bytes would be noise, not a truncated packet.
      const keep = Math.max(4, bytes.length - truncateBy);
      if (keep < bytes.length) {
        bytes = bytes.subarray(0, keep);
        events.push({ kind: 'garbage', offset: at, length: keep, reason: 'truncated' });
        parts.push(bytes);
        at += keep;
        return;
      }
    }
    if (!item.data) {
      events.push(packetEventOf(item, at, bytes, 'control'));
    } else if (item.corrupt === 'length') {
      events.push({ kind: 'garbage', offset: at, length: HEADER_SIZE, reason: 'bad-length' });
    } else if (item.corrupt === 'trailer') {
      events.push({ kind: 'garbage', offset: at, length: bytes.length, reason: 'bad-trailer' });
    } else {
      events.push(packetEventOf(item, at, bytes, 'data'));
    }
    parts.push(bytes);
    at += bytes.length;
  });
  flushNoise();
  flushBreakin();
  const bytes = new Uint8Array(at);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, events };
}

function packetEventOf(
  item: PacketItem,
  offset: number,
  bytes: Uint8Array,
  leader: 'data' | 'control',
): KdEvent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const checksum = view.getUint32(12, true);
  const payload = leader === 'data' ? item.payload : new Uint8Array(0);
  return {
    kind: 'packet',
    offset,
    leader,
    type: item.type,
    byteCount: view.getUint16(6, true),
    id: item.id >>> 0,
    checksum,
    checksumOk: leader === 'control' || checksum === payloadChecksum(payload),
    payload,
    length: bytes.length,
  };
}

// ---------------------------------------------------------------------------------------------
// A large realistic stream for benches (seeded, no fast-check)

/** xorshift32: fast, seeded, good enough to vary sizes and bytes. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export interface RealisticStream {
  readonly bytes: Uint8Array;
  /** Packets the decoder must find (every byte outside them is noise or break-in). */
  readonly packets: number;
  readonly garbageBytes: number;
}

/**
 * About `totalBytes` of one direction's wire as a relay sees it in a long session: mostly
 * ACKs and STATE_MANIPULATE requests/replies of 56..~1100 bytes, some DEBUG_IO prints and
 * state changes, rare large GetContext/memory replies, a break-in byte and line noise now
 * and then. Both directions' packets are mixed in one stream, which is harmless for framing.
 */
export function generateRealisticStream(totalBytes: number, seed = 1): RealisticStream {
  const rnd = xorshift32(seed);
  const bytes = new Uint8Array(totalBytes);
  let at = 0;
  let packets = 0;
  let garbageBytes = 0;
  let id = 0x80800000;
  const header = (leader: number, type: number, byteCount: number, pid: number, sum: number) => {
    bytes[at] = leader;
    bytes[at + 1] = leader;
    bytes[at + 2] = leader;
    bytes[at + 3] = leader;
    bytes[at + 4] = type;
    bytes[at + 5] = 0;
    bytes[at + 6] = byteCount & 0xff;
    bytes[at + 7] = byteCount >>> 8;
    writeU32(bytes, at + 8, pid);
    writeU32(bytes, at + 12, sum);
    at += HEADER_SIZE;
  };
  const control = (type: number, pid: number): boolean => {
    if (at + HEADER_SIZE > totalBytes) return false;
    header(BYTE_CONTROL_LEADER, type, 0, pid, 0);
    packets++;
    return true;
  };
  const data = (type: number, payloadLength: number, api: number): boolean => {
    if (at + HEADER_SIZE + payloadLength + 1 > totalBytes) return false;
    const start = at + HEADER_SIZE;
    let sum = 0;
    // Structure-like payload: the API number, then mostly small numbers and some pointers.
    for (let k = 0; k < payloadLength; k++) {
      const r = rnd();
      const b = k < 2 ? (api >>> (8 * k)) & 0xff : (r & 7) === 0 ? r >>> 24 : r & 0x0f;
      bytes[start + k] = b;
      sum += b;
    }
    header(BYTE_DATA_LEADER, type, payloadLength, id, sum);
    at += payloadLength;
    bytes[at++] = PACKET_TRAILER;
    packets++;
    id ^= 1;
    return true;
  };
  for (;;) {
    const r = rnd() % 1000;
    let ok: boolean;
    if (r < 700) {
      // A manipulate round trip: request, ACK, reply (56 + data), ACK.
      const size = rnd() % 100;
      const extra =
        size < 55 ? rnd() % 17 : size < 85 ? 8 + (rnd() % 248) : size < 97 ? 1232 : rnd() % 1050;
      ok =
        data(PacketType.STATE_MANIPULATE, 56, 0x3130) &&
        control(PacketType.ACKNOWLEDGE, id ^ 1) &&
        data(PacketType.STATE_MANIPULATE, 56 + extra, 0x3130) &&
        control(PacketType.ACKNOWLEDGE, id ^ 1);
    } else if (r < 900) {
      ok =
        data(PacketType.DEBUG_IO, 16 + 20 + (rnd() % 120), 0x3230) &&
        control(PacketType.ACKNOWLEDGE, id ^ 1);
    } else if (r < 960) {
      ok =
        data(PacketType.STATE_CHANGE64, 240 + (rnd() % 80), 0x3030) &&
        control(PacketType.ACKNOWLEDGE, id ^ 1);
    } else if (r < 985) {
      ok = control(PacketType.RESEND, 0);
    } else if (r < 995) {
      ok = at < totalBytes;
      if (ok) bytes[at++] = BYTE_BREAKIN;
      garbageBytes++;
    } else {
      // Line noise: bytes that cannot be mistaken for leaders.
      const n = 1 + (rnd() % 40);
      ok = at + n <= totalBytes;
      if (ok) {
        for (let k = 0; k < n; k++) bytes[at++] = 0x80 | (rnd() & 0x7f);
        garbageBytes += n;
      }
    }
    if (!ok) break;
  }
  // Fill what no whole packet fits into with noise, so every byte is accounted for.
  garbageBytes += totalBytes - at;
  bytes.fill(0xfe, at);
  return { bytes, packets, garbageBytes };
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}

/** Cuts `bytes` into chunks of random sizes in [min, max], like reads from a socket. */
export function randomChunks(bytes: Uint8Array, seed = 2, min = 1, max = 64 * 1024): Uint8Array[] {
  const rnd = xorshift32(seed);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = min + (rnd() % (max - min + 1));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}
