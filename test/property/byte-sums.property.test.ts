import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteSum, sum16BigEndian, useByteSums } from '../../protocol/kd/byte-sums';

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

// Both implementations against the plain loops: WebAssembly SIMD (what Node runs) and the
// JavaScript word sums (the renderer's, and the fallback without SIMD).
for (const kind of ['wasm', 'js'] as const) {
  describe(`byte sums (${kind})`, () => {
    it(`runs the ${kind} implementation`, () => {
      expect(useByteSums(kind)).toBe(kind);
    });
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

    it('sums ranges longer than one WebAssembly call takes (1 MiB), at an odd start', () => {
      const big = new Uint8Array((1 << 20) * 2 + 37).map((_, i) => (i * 131) ^ (i >> 9));
      for (const [start, end] of [
        [0, big.length],
        [1, big.length - 2],
        [3, (1 << 20) + 5],
      ] as const) {
        expect(byteSum(big, start, end)).toBe(naiveByteSum(big, start, end));
        expect(sum16BigEndian(big, start, end)).toBe(naiveSum16(big, start, end));
      }
    });
  });
}

afterAll(() => {
  useByteSums('wasm');
});
