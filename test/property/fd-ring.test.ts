// The relay thread's ring: whatever the record sizes and however far the reader lags, the
// reader gets every byte of each direction once, in order, with its time; the writer never
// overwrites what the reader has not taken, and an empty ring always has room.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createRingBuffer,
  HEADER_BYTES,
  MAX_RECORD,
  RingReader,
  RingWriter,
} from '../../electron/engine/bridge/fd-ring';
import { concatBytes } from '../../protocol/kd/encoder';

type Op = { kind: 'write'; dir: 0 | 1; length: number; seed: number } | { kind: 'drain' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      dir: fc.constantFrom(0 as const, 1 as const),
      // Mostly small packets, now and then a whole read.
      length: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: MAX_RECORD })),
      seed: fc.integer({ min: 0, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

describe('relay ring', () => {
  it('hands every byte over once, in order, and never overwrites unread bytes', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 120 }),
        fc.integer({ min: 0, max: 4096 }),
        (ops, extra) => {
          const buffer = createRingBuffer(2 * (HEADER_BYTES + MAX_RECORD) + extra * 16);
          const writer = new RingWriter(buffer);
          const reader = new RingReader(buffer);
          const sent: Uint8Array[][] = [[], []];
          const got: Uint8Array[][] = [[], []];
          let time = 0;
          let lastTime = -1;
          const take = (): void => {
            for (const record of reader.drain()) {
              expect(record.timeUs).toBeGreaterThan(lastTime);
              lastTime = record.timeUs;
              got[record.dir]!.push(Uint8Array.from(record.bytes));
            }
          };
          for (const o of ops) {
            if (o.kind === 'drain') {
              take();
              continue;
            }
            // As the thread does: read at most the room there is, stop while the ring is full.
            let room = writer.reserve(1, o.length);
            if (room === 0) {
              take();
              room = writer.reserve(1, o.length);
              expect(room).toBeGreaterThan(0);
            }
            const bytes = new Uint8Array(room).map((_, i) => (o.seed + i) & 0xff);
            writer.data.set(bytes, writer.payloadOffset());
            writer.commit(o.dir, room, ++time);
            sent[o.dir]!.push(bytes);
          }
          take();
          for (const dir of [0, 1]) {
            expect(Buffer.from(concatBytes(got[dir]!)).equals(concatBytes(sent[dir]!))).toBe(true);
          }
          // Empty again: the thread may read.
          expect(writer.reserve(4096, MAX_RECORD)).toBeGreaterThanOrEqual(4096);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a size that cannot hold two records, and a corrupt header is an error', () => {
    expect(() => createRingBuffer(1000)).toThrow(/multiple of 16 and hold 2 records/);
    const buffer = createRingBuffer(2 * (HEADER_BYTES + MAX_RECORD));
    const writer = new RingWriter(buffer);
    writer.reserve(1, 10);
    writer.commit(0, 10, 1);
    new DataView(buffer, 64).setInt32(0, MAX_RECORD + 1, true);
    expect(() => new RingReader(buffer).drain()).toThrow(/relay ring corrupt/);
  });
});
