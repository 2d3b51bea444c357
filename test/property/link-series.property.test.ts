// The link graphs' maths (renderer/store/link-series): rates from cumulative samples, bucketed
// for display. What a chart shows must add up to what was counted, stay within its point
// budget, keep the peaks of the gauges, not move points already drawn when a sample arrives,
// and never go negative or NaN whatever the engine sends (counters restarting, equal times).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LinkSample } from '../../electron/api/contract';
import {
  RowRateBins,
  bucketMs,
  flagSpans,
  linkSeries,
  ringPercent,
  type LinkPoint,
} from '../../renderer/store/link-series';

const T0 = 1_750_000_000_000;
const RING = 0x2000;

const step = fc.record({
  dtMs: fc.integer({ min: 1, max: 4000 }),
  dtPackets: fc.nat(2000),
  tdPackets: fc.nat(2000),
  dtBytes: fc.nat(1_000_000),
  tdBytes: fc.nat(1_000_000),
  dtQueued: fc.nat(100_000),
  tdQueued: fc.nat(100_000),
  dtPaused: fc.boolean(),
  tdPaused: fc.boolean(),
  ring0: fc.nat(RING),
  ring1: fc.nat(RING),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Cumulative samples from per-step growth (the first step's growth is the start value). */
function samplesOf(steps: readonly Step[], rings = true): LinkSample[] {
  let time = T0;
  const c = { dp: 0, tp: 0, db: 0, tb: 0 };
  return steps.map((s, i) => {
    time += i === 0 ? 0 : s.dtMs;
    c.dp += s.dtPackets;
    c.tp += s.tdPackets;
    c.db += s.dtBytes;
    c.tb += s.tdBytes;
    const dir = (packets: number, bytes: number, queuedBytes: number, paused: boolean) => ({
      packets,
      bytes,
      queuedBytes,
      paused,
      // Some of the bytes read found no receiver (a side absent): a counter of its own.
      droppedBytes: Math.floor(bytes / 3),
    });
    return {
      time,
      'debugger->target': dir(c.dp, c.db, s.dtQueued, s.dtPaused),
      'target->debugger': dir(c.tp, c.tb, s.tdQueued, s.tdPaused),
      ...(rings
        ? {
            rings: [
              { ring: 'host->guest', size: RING, occupancy: s.ring0, highWater: RING, refused: 0 },
              { ring: 'guest->host', size: RING, occupancy: s.ring1, highWater: RING, refused: 0 },
            ],
          }
        : {}),
    };
  });
}

const maxPoints = fc.integer({ min: 1, max: 300 });
const windowMs = fc.constantFrom(10_000, 60_000, 120_000, 300_000, 600_000);

/** Σ rate · interval over the points, the first interval starting at `from` seconds. */
function integral(points: readonly LinkPoint[], key: keyof LinkPoint, from: number): number {
  let sum = 0;
  let prev = from;
  for (const p of points) {
    sum += (p[key] as number) * (p.t - prev);
    prev = p.t;
  }
  return sum;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

describe('linkSeries', () => {
  it('stays within the point budget, in time order, inside the window', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), windowMs, maxPoints, (steps, w, max) => {
        const samples = samplesOf(steps);
        const points = linkSeries(samples, { origin: T0, windowMs: w, maxPoints: max });
        expect(points.length).toBeLessThanOrEqual(max);
        if (samples.length >= 2) expect(points.length).toBeGreaterThan(0);
        const end = samples.length > 0 ? (samples.at(-1)!.time - T0) / 1000 : 0;
        for (let i = 0; i < points.length; i++) {
          if (i > 0) expect(points[i]!.t).toBeGreaterThan(points[i - 1]!.t);
          expect(points[i]!.t).toBeGreaterThanOrEqual(end - w / 1000);
          expect(points[i]!.t).toBeLessThanOrEqual(end);
        }
        expect(points.at(-1)?.t ?? end).toBe(end);
      }),
    );
  });

  /** The points after the first, and the samples they stand for (after the first point's). */
  function drawn(steps: readonly Step[], w: number, max: number) {
    const samples = samplesOf(steps);
    const points = linkSeries(samples, { origin: T0, windowMs: w, maxPoints: max });
    const from = points[0] ? samples.findIndex((s) => s.time === T0 + points[0]!.t * 1000) : -1;
    return { samples, points, from };
  }

  it('adds up to what was counted: the rates drawn give every packet and byte', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 2, maxLength: 400 }),
        windowMs,
        maxPoints,
        (steps, w, max) => {
          const { samples, points, from } = drawn(steps, w, max);
          expect(from).toBeGreaterThanOrEqual(0);
          const a = samples[from]!;
          const b = samples.at(-1)!;
          const rest = points.slice(1);
          const t0 = points[0]!.t;
          for (const [key, d, f] of [
            ['dtPackets', 'debugger->target', 'packets'],
            ['tdPackets', 'target->debugger', 'packets'],
            ['dtBytes', 'debugger->target', 'bytes'],
            ['tdBytes', 'target->debugger', 'bytes'],
            ['dtDropped', 'debugger->target', 'droppedBytes'],
            ['tdDropped', 'target->debugger', 'droppedBytes'],
          ] as const) {
            expect(close(integral(rest, key, t0), b[d][f] - a[d][f])).toBe(true);
          }
        },
      ),
    );
  });

  it('adds up from the first sample when the window holds them all', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 400 }), (steps) => {
        const samples = samplesOf(steps);
        const span = samples.at(-1)!.time - samples[0]!.time;
        // 250 ms buckets: the first sample is the base of the first rate.
        const points = linkSeries(samples, { origin: T0, windowMs: span + 500, maxPoints: 1e6 });
        const total =
          samples.at(-1)!['target->debugger'].bytes - samples[0]!['target->debugger'].bytes;
        expect(close(integral(points, 'tdBytes', 0), total)).toBe(true);
      }),
    );
  });

  it('keeps the peaks of the gauges and every moment of backpressure', () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 2, maxLength: 400 }),
        windowMs,
        maxPoints,
        (steps, w, max) => {
          const { samples, points, from } = drawn(steps, w, max);
          const rest = points.slice(1);
          const after = samples.slice(from + 1);
          if (rest.length === 0) return;
          const peak = (f: (s: LinkSample) => number) => Math.max(...after.map(f));
          const shown = (f: (p: LinkPoint) => number) => Math.max(...rest.map(f));
          expect(shown((p) => p.dtQueued)).toBe(peak((s) => s['debugger->target'].queuedBytes));
          expect(shown((p) => p.tdQueued)).toBe(peak((s) => s['target->debugger'].queuedBytes));
          expect(shown((p) => p.ring0 ?? -1)).toBe(
            peak((s) => ringPercent(s.rings![0]!.occupancy, RING)),
          );
          expect(shown((p) => p.ring1 ?? -1)).toBe(
            peak((s) => ringPercent(s.rings![1]!.occupancy, RING)),
          );
          expect(rest.some((p) => p.dtPaused)).toBe(
            after.some((s) => s['debugger->target'].paused),
          );
          expect(rest.some((p) => p.tdPaused)).toBe(
            after.some((s) => s['target->debugger'].paused),
          );
          for (const p of points) {
            expect(p.ring0).toBeGreaterThanOrEqual(0);
            expect(p.ring0).toBeLessThanOrEqual(100);
          }
        },
      ),
    );
  });

  it('does not move the points already drawn when a sample arrives (only the newest bucket)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 3, maxLength: 300 }), maxPoints, (steps, max) => {
        const samples = samplesOf(steps);
        const w = (samples.at(-1)!.time - samples[0]!.time) * 2 + 1;
        const o = { origin: T0, windowMs: w, maxPoints: max };
        const before = linkSeries(samples.slice(0, -1), o);
        const after = linkSeries(samples, o);
        expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
      }),
    );
  });

  it('never draws a negative or NaN rate, whatever the counters do', () => {
    const wild = fc.record({
      time: fc.integer({ min: 0, max: 60_000 }),
      packets: fc.integer({ min: -5, max: 1e6 }),
      bytes: fc.integer({ min: -5, max: 1e9 }),
      queued: fc.nat(1e6),
    });
    fc.assert(
      fc.property(fc.array(wild, { maxLength: 200 }), maxPoints, (raw, max) => {
        // In time order (equal times allowed); counters may restart or jump back.
        const sorted = [...raw].sort((a, b) => a.time - b.time);
        const samples: LinkSample[] = sorted.map((r) => {
          const dir = {
            packets: r.packets,
            bytes: r.bytes,
            queuedBytes: r.queued,
            paused: false,
            droppedBytes: 0,
          };
          return { time: T0 + r.time, 'debugger->target': dir, 'target->debugger': dir };
        });
        for (const p of linkSeries(samples, { origin: T0, windowMs: 60_000, maxPoints: max })) {
          for (const v of [p.dtPackets, p.tdPackets, p.dtBytes, p.tdBytes]) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
        }
      }),
    );
  });

  it('picks a bucket that fits the budget', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 3_600_000 }), maxPoints, (w, max) => {
        const b = bucketMs(w, max);
        expect(b).toBeGreaterThanOrEqual(w / max);
        expect(b).toBeGreaterThanOrEqual(250);
      }),
    );
  });
});

describe('flagSpans', () => {
  it('covers every flagged point, in order, within the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (flags, max) => {
          const points = flags.map((f, i) => ({ t: i, dtPaused: f }) as LinkPoint);
          const spans = flagSpans(points, (p) => p.dtPaused, max);
          expect(spans.length).toBeLessThanOrEqual(max);
          for (let i = 1; i < spans.length; i++)
            expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
          for (const p of points) {
            if (p.dtPaused) expect(spans.some(([a, b]) => a <= p.t && p.t <= b)).toBe(true);
          }
          if (!flags.includes(true)) expect(spans).toEqual([]);
        },
      ),
    );
  });
});

describe('RowRateBins', () => {
  const row = fc.record({
    at: fc.integer({ min: 0, max: 30_000 }),
    dir: fc.constantFrom(0 as const, 1 as const),
    length: fc.integer({ min: 1, max: 4000 }),
  });

  it('counts every row once: the rates drawn from the bins give the rows and their bytes', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 500 }), maxPoints, (rows, max) => {
        const sorted = [...rows].sort((a, b) => a.at - b.at);
        const bins = new RowRateBins();
        for (const r of sorted) bins.add(T0 + r.at, r.dir, r.length);
        const samples = bins.samples();
        const last = samples.at(-1)!;
        const count = (d: 0 | 1) => sorted.filter((r) => r.dir === d).length;
        const bytes = (d: 0 | 1) =>
          sorted.filter((r) => r.dir === d).reduce((n, r) => n + r.length, 0);
        expect(last['debugger->target'].packets).toBe(count(0));
        expect(last['target->debugger'].packets).toBe(count(1));
        expect(last['debugger->target'].bytes).toBe(bytes(0));
        expect(last['target->debugger'].bytes).toBe(bytes(1));
        const origin = samples[0]!.time;
        const points = linkSeries(samples, { origin, windowMs: 120_000, maxPoints: max });
        expect(close(integral(points, 'dtPackets', 0), count(0))).toBe(true);
        expect(close(integral(points, 'tdBytes', 0), bytes(1))).toBe(true);
      }),
    );
  });

  it('keeps the newest seconds only, and leaves out the second still filling', () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        (rows, keep) => {
          const sorted = [...rows].sort((a, b) => a.at - b.at);
          const bins = new RowRateBins(keep);
          for (const r of sorted) bins.add(T0 + r.at, r.dir, r.length);
          expect(bins.length).toBeLessThanOrEqual(keep);
          const newest = T0 + sorted.at(-1)!.at;
          const samples = bins.samples(newest);
          // The last second is not over at `newest`: it is not drawn yet.
          expect(samples.length === 0 || samples.at(-1)!.time <= newest).toBe(true);
          // Cumulative counts never go down.
          for (let i = 1; i < samples.length; i++) {
            expect(samples[i]!['debugger->target'].packets).toBeGreaterThanOrEqual(
              samples[i - 1]!['debugger->target'].packets,
            );
          }
        },
      ),
    );
  });
});
