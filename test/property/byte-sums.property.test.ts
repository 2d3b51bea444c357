import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteSum, sum16BigEndian } from '../../protocol/kd/byte-sums';

function naiveByteSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += b[i]!;
  return s >>> 0;
}

function naiveSum16(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

// Arrays at every alignment (views into a larger buffer) and every range, long enough to take
// the word path and to cross the lane fold (256 words).
const arbRange = fc
  .record({
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ minLength: 1000, maxLength: 5000 }),
      fc.integer({ min: 1000, max: 5000 }).map((n) => new Uint8Array(n).fill(0xff)),
    ),
    shift: fc.integer({ min: 0, max: 7 }),
    a: fc.nat(),
    b: fc.nat(),
  })
  .map(({ bytes, shift, a, b }) => {
    const backing = new Uint8Array(bytes.length + shift);
    backing.set(bytes, shift);
    const view = backing.subarray(shift);
    const start = view.length === 0 ? 0 : a % view.length;
    const end = start + (view.length === 0 ? 0 : b % (view.length - start + 1));
    return { view, start, end };
  });

describe('byte sums', () => {
  it('byteSum equals a plain byte loop, at any alignment and range', () => {
    fc.assert(
      fc.property(arbRange, ({ view, start, end }) => {
        expect(byteSum(view, start, end)).toBe(naiveByteSum(view, start, end));
      }),
      { numRuns: 500 },
    );
  });

  it('sum16BigEndian equals a plain 16-bit word loop, at any alignment and range', () => {
    fc.assert(
      fc.property(arbRange, ({ view, start, end }) => {
        expect(sum16BigEndian(view, start, end)).toBe(naiveSum16(view, start, end));
      }),
      { numRuns: 500 },
    );
  });

  it('sums a whole array by default', () => {
    expect(byteSum(new Uint8Array(4000).fill(0xff))).toBe(4000 * 255);
    expect(byteSum(Uint8Array.of(1, 2, 3))).toBe(6);
  });
});
