// Record-number ranges: what the UI sends for "displayed", "marked" or "from-to" packets.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  NoRangeSet,
  NoRangesBuilder,
  NoRangesError,
  countNoRanges,
  decodeNoRanges,
  encodeNoRangeParts,
  encodeNoRanges,
  normalizeNoRanges,
  type NoRange,
} from '../../protocol/records/no-ranges';

const arbNos = fc
  .uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 400 })
  .map((list) => list.sort((a, b) => a - b));

function rangesOf(nos: readonly number[]): NoRange[] {
  const builder = new NoRangesBuilder();
  for (const no of nos) builder.add(no);
  return builder.build();
}

function expand(ranges: readonly NoRange[]): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) for (let n = a; n <= b; n++) out.push(n);
  return out;
}

describe('no. ranges', () => {
  it('property: built from increasing numbers, they hold exactly those numbers', () => {
    fc.assert(
      fc.property(arbNos, (nos) => {
        const ranges = rangesOf(nos);
        expect(expand(ranges)).toEqual(nos);
        expect(countNoRanges(ranges)).toBe(nos.length);
        // Adjacent ranges are always joined: there is a gap between any two.
        for (let i = 1; i < ranges.length; i++)
          expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
      }),
    );
  });

  it('property: encode/decode round trip, and parts decode to the same ranges', () => {
    fc.assert(
      fc.property(arbNos, fc.integer({ min: 4, max: 64 }), (nos, maxBytes) => {
        const ranges = rangesOf(nos);
        expect(decodeNoRanges(encodeNoRanges(ranges))).toEqual(ranges);
        const parts = encodeNoRangeParts(ranges, maxBytes);
        for (const part of parts) expect(part.length).toBeLessThanOrEqual(maxBytes);
        expect(parts.flatMap((p) => decodeNoRanges(p))).toEqual(ranges);
      }),
    );
  });

  it('property: membership asked in increasing order (and out of order) agrees with a Set', () => {
    fc.assert(
      fc.property(arbNos, fc.array(fc.integer({ min: 0, max: 5100 })), (nos, probes) => {
        const set = new Set(nos);
        const ranges = new NoRangeSet(rangesOf(nos));
        for (let n = 0; n <= 5100; n += 7) expect(ranges.has(n)).toBe(set.has(n));
        for (const n of probes) expect(ranges.has(n)).toBe(set.has(n));
        expect(ranges.last).toBe(nos.at(-1) ?? 0);
      }),
    );
  });

  it('normalizes arbitrary ranges: sorted, overlapping and adjacent ones joined', () => {
    expect(
      normalizeNoRanges([
        [10, 12],
        [1, 3],
        [4, 4],
        [11, 20],
        [30, 30],
      ]),
    ).toEqual([
      [1, 4],
      [10, 20],
      [30, 30],
    ]);
    expect(() => normalizeNoRanges([[0, 3]])).toThrow(NoRangesError);
    expect(() => normalizeNoRanges([[5, 4]])).toThrow(NoRangesError);
  });

  it('a filtered view of a million rows (every other row) takes about 2 bytes a range', () => {
    const builder = new NoRangesBuilder();
    for (let no = 1; no <= 1_000_000; no += 2) builder.add(no);
    const ranges = builder.build();
    const bytes = encodeNoRanges(ranges);
    expect(bytes.length).toBe(2 * 500_000);
    const parts = encodeNoRangeParts(ranges, 48 * 1024);
    expect(parts.length).toBeLessThan(25);
    expect(countNoRanges(parts.flatMap((p) => decodeNoRanges(p)))).toBe(500_000);
  });

  it('refuses malformed bytes and numbers out of order', () => {
    expect(() => decodeNoRanges(Uint8Array.of(0x80))).toThrow(/cut short/);
    expect(() => decodeNoRanges(Uint8Array.of(0))).toThrow(/cut short/);
    expect(() => decodeNoRanges(new Uint8Array(12).fill(0xff))).toThrow(/too large/);
    const builder = new NoRangesBuilder();
    builder.add(5);
    expect(() => builder.add(5)).toThrow(NoRangesError);
    expect(() =>
      encodeNoRanges([
        [5, 6],
        [6, 7],
      ]),
    ).toThrow(/sorted/);
  });
});
