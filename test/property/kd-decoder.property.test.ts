import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KdStreamDecoder } from '../../protocol/kd/decoder';
import { encodeDataPacket } from '../../protocol/kd/encoder';
import type { KdEvent, KdPacketEvent } from '../../protocol/kd/events';
import {
  arbCuts,
  arbPacketItem,
  arbSafeNoise,
  arbStream,
  arbWireBytes,
  buildStream,
  coverageError,
  decodeChunks,
  encodePacketItem,
  splitAt,
} from '../support/kd-gen';

const RUNS = 200;

/**
 * The framing rules written as plainly as possible over a whole buffer (run lengths first,
 * then decisions), to check the incremental decoder against on arbitrary bytes.
 */
function referenceDecode(b: Uint8Array, maxGarbageRun: number): KdEvent[] {
  const events: KdEvent[] = [];
  let noiseStart = 0;
  let noiseLength = 0;
  const flushNoise = (): void => {
    if (noiseLength > 0)
      events.push({ kind: 'garbage', offset: noiseStart, length: noiseLength, reason: 'noise' });
    noiseLength = 0;
  };
  const addNoise = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      if (noiseLength === 0) noiseStart = k;
      if (++noiseLength === maxGarbageRun) flushNoise();
    }
  };
  const u16 = (at: number): number => b[at]! | (b[at + 1]! << 8);
  const u32 = (at: number): number => (u16(at) | (u16(at + 2) << 16)) >>> 0;
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    let j = i;
    while (j < n && b[j] === c) j++;
    if (c === 0x62) {
      flushNoise();
      events.push({ kind: 'breakin', offset: i, length: j - i });
      i = j;
      continue;
    }
    if ((c !== 0x30 && c !== 0x69) || j - i < 4) {
      addNoise(i, j);
      i = j;
      continue;
    }
    const p = j - 4;
    addNoise(i, p);
    flushNoise();
    const isData = c === 0x30;
    if (j >= n || p + 16 > n) {
      events.push({ kind: 'garbage', offset: p, length: n - p, reason: 'truncated' });
      break;
    }
    const byteCount = u16(p + 6);
    const length = !isData || byteCount > 4000 ? 16 : 17 + byteCount;
    if (p + length > n) {
      events.push({ kind: 'garbage', offset: p, length: n - p, reason: 'truncated' });
      break;
    }
    if (isData && byteCount > 4000) {
      events.push({ kind: 'garbage', offset: p, length: 16, reason: 'bad-length' });
    } else if (isData && b[p + length - 1] !== 0xaa) {
      events.push({ kind: 'garbage', offset: p, length, reason: 'bad-trailer' });
    } else {
      const payload = isData ? b.slice(p + 16, p + 16 + byteCount) : new Uint8Array(0);
      const sum = payload.reduce((s, x) => s + x, 0);
      events.push({
        kind: 'packet',
        offset: p,
        leader: isData ? 'data' : 'control',
        type: u16(p + 4),
        byteCount,
        id: u32(p + 8),
        checksum: u32(p + 12),
        checksumOk: !isData || sum === u32(p + 12),
        payload,
        length,
      });
    }
    i = p + length;
  }
  flushNoise();
  return events;
}

const arbMaxGarbage = fc.oneof(fc.constant(65536), fc.integer({ min: 1, max: 40 }));

describe('KdStreamDecoder properties', () => {
  it('decodes generated packets, noise and break-ins to the events they were built from, however chunked', () => {
    fc.assert(
      fc.property(
        arbStream(10).chain((s) =>
          fc.record({
            stream: fc.constant(s),
            max: arbMaxGarbage,
            cuts: arbCuts(20_000, 16),
          }),
        ),
        ({ stream, max, cuts }) => {
          const built = buildStream(stream.items, stream.truncateBy, max);
          const options = { maxGarbageRun: max };
          const whole = decodeChunks([built.bytes], options);
          expect(whole).toEqual(built.events);
          const chunks = splitAt(
            built.bytes,
            cuts.map((c) => c % (built.bytes.length + 1)),
          );
          expect(decodeChunks(chunks, options)).toEqual(built.events);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference rules on arbitrary bytes, chunked anywhere, covering every byte once', () => {
    fc.assert(
      fc.property(
        arbWireBytes(600).chain((bytes) =>
          fc.record({
            bytes: fc.constant(bytes),
            max: arbMaxGarbage,
            cuts: arbCuts(bytes.length, 30),
          }),
        ),
        ({ bytes, max, cuts }) => {
          const expected = referenceDecode(bytes, max);
          const options = { maxGarbageRun: max };
          expect(decodeChunks([bytes], options)).toEqual(expected);
          expect(decodeChunks(splitAt(bytes, cuts), options)).toEqual(expected);
          expect(coverageError(expected, bytes.length)).toBeNull();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('pushRange over ranges of a larger buffer decodes like push of the same bytes', () => {
    // The bytes around each range are leader and trailer bytes: reading past a range shows.
    const junk = (n: number): number[] =>
      Array.from({ length: n }, (_, k) => [0x30, 0x69, 0xaa, 0x62][k % 4]!);
    fc.assert(
      fc.property(
        arbWireBytes(600).chain((bytes) =>
          fc.record({
            bytes: fc.constant(bytes),
            cuts: arbCuts(bytes.length, 30),
            pad: fc.integer({ min: 0, max: 40 }),
          }),
        ),
        ({ bytes, cuts, pad }) => {
          const expected = decodeChunks(splitAt(bytes, cuts));
          const decoder = new KdStreamDecoder();
          const events: KdEvent[] = [];
          const sink = (e: KdEvent): void => {
            events.push(e);
          };
          for (const chunk of splitAt(bytes, cuts)) {
            const framed = Uint8Array.from([...junk(pad), ...chunk, ...junk(pad + 16)]);
            decoder.pushRange(framed, pad, pad + chunk.length, sink);
          }
          decoder.end(sink);
          expect(events).toEqual(expected);
          expect(decoder.position).toBe(bytes.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('borrowing payloads emits what copying does, read at emit time out of a reused buffer', () => {
    fc.assert(
      fc.property(
        arbStream(10).chain((s) =>
          fc.record({ stream: fc.constant(s), cuts: arbCuts(20_000, 16) }),
        ),
        ({ stream, cuts }) => {
          const built = buildStream(stream.items, stream.truncateBy, 65536);
          const chunks = splitAt(
            built.bytes,
            cuts.map((c) => c % (built.bytes.length + 1)),
          );
          const expected = decodeChunks(chunks);
          // One read buffer for every chunk, scribbled over after each push: a borrowed
          // payload read later than its emit would show the scribble.
          const buffer = new Uint8Array(built.bytes.length + 8);
          const decoder = new KdStreamDecoder({ borrowPayloads: true });
          const events: KdEvent[] = [];
          const sink = (e: KdEvent): void => {
            events.push(e.kind === 'packet' ? { ...e, payload: e.payload.slice() } : e);
          };
          for (const chunk of chunks) {
            buffer.set(chunk, 3);
            decoder.pushRange(buffer, 3, 3 + chunk.length, sink);
            buffer.fill(0x30);
          }
          decoder.end(sink);
          expect(events).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('agrees with the reference on garbage mixed with real packets', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            arbWireBytes(80),
            arbPacketItem(300).map((item) => encodePacketItem(item)),
          ),
          { maxLength: 10 },
        ),
        fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 12 }),
        (parts, cuts) => {
          const bytes = Uint8Array.from(parts.flatMap((p) => Array.from(p)));
          const expected = referenceDecode(bytes, 65536);
          expect(decodeChunks(splitAt(bytes, cuts))).toEqual(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps memory bounded and position exact after every push', () => {
    fc.assert(
      fc.property(arbWireBytes(600), arbCuts(600, 30), (bytes, cuts) => {
        const decoder = new KdStreamDecoder();
        let at = 0;
        for (const chunk of splitAt(bytes, cuts)) {
          decoder.push(chunk, () => {});
          at += chunk.length;
          expect(decoder.position).toBe(at);
          expect(decoder.pending).toBeGreaterThanOrEqual(0);
          expect(decoder.pending).toBeLessThanOrEqual(16 + 4000 + 1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('flush at chunk boundaries changes no packet and still covers every byte once', () => {
    fc.assert(
      fc.property(
        arbStream(8, 500).chain((s) =>
          fc.record({
            stream: fc.constant(s),
            cuts: arbCuts(5000, 16),
            flushes: fc.array(fc.boolean()),
          }),
        ),
        ({ stream, cuts, flushes }) => {
          const built = buildStream(stream.items, stream.truncateBy);
          const chunks = splitAt(
            built.bytes,
            cuts.map((c) => c % (built.bytes.length + 1)),
          );
          const decoder = new KdStreamDecoder();
          const events: KdEvent[] = [];
          const sink = (e: KdEvent): void => void events.push(e);
          chunks.forEach((chunk, n) => {
            decoder.push(chunk, sink);
            if (flushes[n] === true) decoder.flush(sink);
          });
          decoder.end(sink);
          expect(coverageError(events, built.bytes.length)).toBeNull();
          const packets = (list: KdEvent[]): KdEvent[] => list.filter((e) => e.kind === 'packet');
          expect(packets(events)).toEqual(packets(built.events));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('stays usable after any garbage: a packet after enough clean noise decodes', () => {
    const packet = encodeDataPacket(2, 0x80800001, Uint8Array.from([1, 2, 3, 4, 5]));
    fc.assert(
      fc.property(arbWireBytes(600), arbSafeNoise(8), (garbage, tail) => {
        // 4017 clean bytes finish any packet the garbage started and end any leader run.
        const clean = new Uint8Array(4017 + tail.length).fill(0x41);
        clean.set(tail, 4017);
        const bytes = Uint8Array.from([...garbage, ...clean, ...packet]);
        const events = decodeChunks(splitAt(bytes, [garbage.length, garbage.length + 7]));
        const last = events.at(-1) as KdPacketEvent;
        expect(last).toMatchObject({ kind: 'packet', offset: bytes.length - packet.length });
        expect(last.checksumOk).toBe(true);
        expect(Array.from(last.payload)).toEqual([1, 2, 3, 4, 5]);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws or hangs on uniformly random bytes in random chunks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 5000 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 20 }),
        (bytes, cuts) => {
          const events = decodeChunks(splitAt(bytes, cuts), { maxGarbageRun: 100 });
          expect(coverageError(events, bytes.length)).toBeNull();
        },
      ),
      { numRuns: RUNS },
    );
  });
});
