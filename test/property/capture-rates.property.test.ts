// The opened capture's I/O graph: the engine's bins (CaptureRateBins) and the buckets the
// renderer draws from them (captureSeries). Whatever the times (out of order, idle gaps of
// days), the bins stay within their limit, equal a straight count at their final width, and
// that width is the narrowest that fits; the buckets drawn add up to the bins, never split one.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Direction } from '../../protocol/kd/events';
import { CaptureRateBins } from '../../electron/engine/workbench/capture-rates';
import { captureBucketMs, captureSeries } from '../../renderer/store/link-series';
import { intervalText, secondsTick } from '../../renderer/views/graphs/graph-text';

const DIRS: readonly Direction[] = ['debugger->target', 'target->debugger'];
const WIDTHS = [
  1000, 2000, 10_000, 20_000, 60_000, 120_000, 600_000, 1_200_000, 3_600_000, 7_200_000, 21_600_000,
  86_400_000,
];
const T0 = Date.UTC(2026, 0, 5) + 123.456;

const event = fc.record({
  dir: fc.constantFrom(...DIRS),
  // Mostly close together, sometimes far apart (gaps up to ~4 days), a few before the first.
  offset: fc.oneof(
    fc.double({ min: -5000, max: 60_000, noNaN: true }),
    fc.double({ min: 0, max: 4 * 86_400_000, noNaN: true }),
  ),
  bytes: fc.integer({ min: 0, max: 2000 }),
  isRecord: fc.boolean(),
});

function straight(
  events: readonly { dir: Direction; time: number; bytes: number; isRecord: boolean }[],
  start: number,
  binMs: number,
  bins: number,
) {
  const out = Object.fromEntries(
    DIRS.map((d) => [
      d,
      { packets: new Array<number>(bins).fill(0), bytes: new Array<number>(bins).fill(0) },
    ]),
  ) as Record<Direction, { packets: number[]; bytes: number[] }>;
  for (const e of events) {
    const i = Math.floor(e.time / binMs) - start / binMs;
    if (e.isRecord) out[e.dir].packets[i]!++;
    else out[e.dir].bytes[i]! += e.bytes;
  }
  return out;
}

describe('CaptureRateBins', () => {
  it('equals a straight count at its width, the narrowest that keeps within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 4, max: 120 }),
        (raw, max) => {
          const bins = new CaptureRateBins(max);
          const events = raw.map((e) => ({ ...e, time: T0 + e.offset }));
          for (const e of events) {
            if (e.isRecord) bins.record(e.dir, e.time);
            else bins.chunk(e.dir, e.time, e.bytes);
          }
          const s = bins.series(true)!;
          const n = s['debugger->target'].packets.length;
          expect(n).toBeLessThanOrEqual(max);
          expect(s.start % s.binMs).toBe(0);
          expect(WIDTHS.includes(s.binMs) || s.binMs > 86_400_000).toBe(true);
          const times = events.map((e) => e.time);
          expect(s.first).toBe(Math.min(...times));
          expect(s.last).toBe(Math.max(...times));
          const want = straight(events, s.start, s.binMs, n);
          for (const d of DIRS) {
            expect(s[d].packets).toEqual(want[d].packets);
            expect(s[d].bytes).toEqual(want[d].bytes);
          }
          // The narrower width before it would not have fitted.
          const i = WIDTHS.indexOf(s.binMs);
          if (i > 0) {
            const w = WIDTHS[i - 1]!;
            expect(Math.floor(s.last / w) - Math.floor(s.first / w) + 1).toBeGreaterThan(max);
          }
        },
      ),
    );
  });

  it('has no series before anything is counted, and ignores a time that is not one', () => {
    const bins = new CaptureRateBins();
    expect(bins.series(false)).toBeNull();
    bins.record('debugger->target', Number.NaN);
    expect(bins.series(false)).toBeNull();
    bins.chunk('target->debugger', T0, 10);
    expect(bins.series(false)!['target->debugger'].bytes).toEqual([10]);
  });
});

describe('captureSeries', () => {
  it('draws whole bins per bucket: the whole span adds up to every bin, in budget', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1000, 2000, 10_000, 60_000, 600_000),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 3600 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 20, max: 300 }),
        fc.option(fc.constantFrom(60_000, 120_000, 300_000, 600_000), { nil: null }),
        (binMs, counts, at, maxPoints, windowMs) => {
          const start = (Math.floor(T0 / binMs) + at) * binMs;
          const dir = { packets: counts, bytes: counts.map((c) => c * 7) };
          const rates = {
            start,
            binMs,
            first: start,
            last: start + counts.length * binMs - 1,
            'debugger->target': dir,
            'target->debugger': { packets: counts.map(() => 0), bytes: counts.map(() => 0) },
            complete: true,
          };
          const { points, bucketMs } = captureSeries(rates, {
            origin: start,
            windowMs,
            maxPoints,
          });
          expect(bucketMs % binMs).toBe(0);
          expect(points.length).toBeLessThanOrEqual(maxPoints + 1);
          const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
          const end = start + counts.length * binMs;
          const lastT = Math.round(points.at(-1)!.t * 1000) + start;
          // The bins inside the span drawn (whole buckets, the last holding the capture's end).
          const from = lastT - points.length * bucketMs;
          let inSpan = 0;
          for (let i = 0; i < counts.length; i++)
            if (start + i * binMs >= from) inSpan += counts[i]!;
          expect(sum(points.map((p) => p.dtPackets))).toBe(inSpan);
          expect(sum(points.map((p) => p.dtBytes))).toBe(inSpan * 7);
          if (windowMs === null) expect(inSpan).toBe(sum(counts));
          else expect(points.length * bucketMs).toBeLessThanOrEqual(windowMs + bucketMs);
          // In time order, a bucket apart, the last ending at the capture's end (or just after).
          for (let k = 1; k < points.length; k++)
            expect(points[k]!.t - points[k - 1]!.t).toBeCloseTo(bucketMs / 1000, 6);
          expect(lastT).toBeGreaterThanOrEqual(end);
          expect(lastT - end).toBeLessThan(bucketMs);
        },
      ),
    );
  });

  it('names the bucket as the titles say it, and long spans in hours', () => {
    expect(captureBucketMs(600_000, 1000, 240)).toBe(5000);
    expect(captureBucketMs(13_200_000, 10_000, 240)).toBe(60_000);
    expect(captureBucketMs(60_000, 2000, 240)).toBe(2000);
    expect(intervalText(1000)).toBe('second');
    expect(intervalText(10_000)).toBe('10 s');
    expect(intervalText(120_000)).toBe('2 min');
    expect(intervalText(21_600_000)).toBe('6 h');
    expect(secondsTick(42)).toBe('42 s');
    expect(secondsTick(605)).toBe('10:05');
    expect(secondsTick(3 * 3600 + 65)).toBe('3:01:05');
  });
});
