// ByteLog's exporter paths (appendRange, peek) against a plain copy of the stream: the same
// bytes as append/read for any pieces and ranges, across its 1 MiB blocks and after the oldest
// blocks were dropped.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteLog } from '../../electron/engine/session/byte-log';

const MiB = 1 << 20;

describe('ByteLog.appendRange / peek', () => {
  it('property: the bytes append/read give, for any pieces, ranges and capacity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 200 })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (pieces, capacityMiB, reads) => {
          const ranged = new ByteLog(capacityMiB * MiB);
          const plain = new ByteLog(capacityMiB * MiB);
          const whole: number[] = [];
          for (const [length, seed] of pieces) {
            // The piece sits inside a larger buffer, as a chunk in a capture's read block.
            const buf = new Uint8Array(length + 7).map((_, i) => (seed + i * 31) & 0xff);
            ranged.appendRange(buf, 3, 3 + length);
            plain.append(buf.subarray(3, 3 + length));
            for (let i = 3; i < 3 + length; i++) whole.push(buf[i]!);
          }
          expect(ranged.start).toBe(plain.start);
          expect(ranged.end).toBe(whole.length);
          for (const [where, length] of reads) {
            const offset = Math.floor(where * whole.length);
            const want = plain.read(offset, length);
            expect(ranged.read(offset, length)).toEqual(want);
            const peeked = ranged.peek(offset, length);
            expect(peeked === null ? null : Array.from(peeked)).toEqual(
              want === null ? null : whole.slice(offset, offset + length),
            );
          }
          // Across a block boundary (a copy), and before the oldest byte kept (gone).
          if (whole.length > MiB + 10 && ranged.start <= MiB - 5) {
            expect(Array.from(ranged.peek(MiB - 5, 10)!)).toEqual(whole.slice(MiB - 5, MiB + 5));
          }
          if (ranged.start > 0) expect(ranged.peek(ranged.start - 1, 2)).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  });
});
