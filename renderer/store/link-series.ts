// The maths behind the link graphs: the engine samples cumulative counters (bytes, packets)
// and gauges (queued bytes, ring fill) a few times a second; a chart wants rates and at most a
// few hundred points. Rates are taken between the last samples of fixed time buckets, so a
// bucket's rate is the exact mean over it (what a chart shows adds up to what was counted),
// buckets stay put as samples arrive (no jitter), and gauges keep their peaks (max per bucket).
// Pure: no DOM, no store; the property tests drive it directly.

import type { CaptureRates, LinkSample } from '../../electron/api/contract';

/** One point of the charts, flat for recharts' dataKeys. */
export interface LinkPoint {
  /** Seconds since the origin, at the end of the bucket. */
  t: number;
  /** Mean packets/s and bytes/s over the bucket, per direction. */
  dtPackets: number;
  tdPackets: number;
  dtBytes: number;
  tdBytes: number;
  /** Mean bytes/s of those read while the receiving side was absent: recorded, delivered to no one. */
  dtDropped: number;
  tdDropped: number;
  /** The most bytes the bridge held for each receiving side during the bucket. */
  dtQueued: number;
  tdQueued: number;
  /** Backpressure at any sample of the bucket (the bridge stopped reading that side). */
  dtPaused: boolean;
  tdPaused: boolean;
  /** Each ring's highest fill in the bucket, % of its size (ring0, ring1, … by sample order). */
  ring0?: number;
  ring1?: number;
}

export interface SeriesOptions {
  /** Milliseconds since the epoch that t = 0 stands for. */
  readonly origin: number;
  /** The span shown, ending at the last sample. */
  readonly windowMs: number;
  readonly maxPoints: number;
}

/** Bucket widths a chart may use (ms): the smallest that keeps the points under the limit. */
const NICE_MS = [250, 500, 1000, 2000, 2500, 5000, 10_000, 15_000, 30_000, 60_000, 120_000];

export function bucketMs(windowMs: number, maxPoints: number): number {
  const need = windowMs / Math.max(1, maxPoints);
  for (const ms of NICE_MS) if (ms >= need) return ms;
  return Math.ceil(need / 60_000) * 60_000;
}

/** Ring fill in % of its size (0 for an empty or unknown ring). */
export const ringPercent = (used: number, size: number): number =>
  size > 0 ? (100 * Math.max(0, used)) / size : 0;

/** A counter's growth; a counter that went back (the engine restarted it) counts from zero. */
const growth = (now: number, before: number): number =>
  now >= before ? now - before : Math.max(0, now);

/** Index of the first sample at or after `time` (samples are in time order). */
function firstAtOrAfter(samples: readonly LinkSample[], time: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.time < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Chart points for the last `windowMs` of samples (ending at the last one, so a stopped
 * session's graphs stay as they ended). The sample before the window is the base of the
 * first rate. At most `maxPoints` points.
 */
export function linkSeries(samples: readonly LinkSample[], o: SeriesOptions): LinkPoint[] {
  const n = samples.length;
  if (n < 2) return [];
  const bucket = bucketMs(o.windowMs, o.maxPoints);
  const end = samples[n - 1]!.time;
  // Whole buckets only: the first shown bucket starts at or after the window's start.
  const start = (Math.floor((end - o.windowMs) / bucket) + 1) * bucket;
  let base = Math.max(0, firstAtOrAfter(samples, start) - 1);
  const points: LinkPoint[] = [];
  let dtQueued = 0;
  let tdQueued = 0;
  let dtPaused = false;
  let tdPaused = false;
  let rings: number[] = [];
  for (let k = base + 1; k < n; k++) {
    const s = samples[k]!;
    const d = s['debugger->target'];
    const u = s['target->debugger'];
    dtQueued = Math.max(dtQueued, d.queuedBytes);
    tdQueued = Math.max(tdQueued, u.queuedBytes);
    dtPaused ||= d.paused;
    tdPaused ||= u.paused;
    if (s.rings) {
      for (let r = 0; r < s.rings.length; r++) {
        const ring = s.rings[r]!;
        rings[r] = Math.max(rings[r] ?? 0, ringPercent(ring.occupancy, ring.size));
      }
    }
    const next = samples[k + 1];
    if (next && Math.floor(next.time / bucket) === Math.floor(s.time / bucket)) continue;
    const b = samples[base]!;
    const dt = (s.time - b.time) / 1000;
    if (dt > 0) {
      const bd = b['debugger->target'];
      const bu = b['target->debugger'];
      const point: LinkPoint = {
        t: (s.time - o.origin) / 1000,
        dtPackets: growth(d.packets, bd.packets) / dt,
        tdPackets: growth(u.packets, bu.packets) / dt,
        dtBytes: growth(d.bytes, bd.bytes) / dt,
        tdBytes: growth(u.bytes, bu.bytes) / dt,
        dtDropped: growth(d.droppedBytes, bd.droppedBytes) / dt,
        tdDropped: growth(u.droppedBytes, bu.droppedBytes) / dt,
        dtQueued,
        tdQueued,
        dtPaused,
        tdPaused,
      };
      if (rings[0] !== undefined) point.ring0 = rings[0];
      if (rings[1] !== undefined) point.ring1 = rings[1];
      points.push(point);
      base = k;
      dtQueued = 0;
      tdQueued = 0;
      dtPaused = false;
      tdPaused = false;
      rings = [];
    }
  }
  return points;
}

/** Spans of t where a flag holds (consecutive points), for shaded areas; at most `max`. */
export function flagSpans(
  points: readonly LinkPoint[],
  flag: (p: LinkPoint) => boolean,
  max = 40,
): [number, number][] {
  const spans: [number, number][] = [];
  let from: number | null = null;
  let prevT = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    // A point stands for the bucket that ends at p.t: its span starts where the previous ended.
    if (flag(p)) from ??= i > 0 ? prevT : p.t;
    else if (from !== null) {
      spans.push([from, prevT]);
      from = null;
    }
    prevT = p.t;
  }
  if (from !== null) spans.push([from, prevT]);
  if (spans.length <= max) return spans;
  // Too many to draw: merge neighbours (what is marked stays marked).
  const merged: [number, number][] = [];
  const per = Math.ceil(spans.length / max);
  for (let i = 0; i < spans.length; i += per) {
    const last = spans[Math.min(spans.length, i + per) - 1]!;
    merged.push([spans[i]![0], last[1]]);
  }
  return merged;
}

/**
 * Packets and bytes per direction binned per second of the rows' own time (an opened capture
 * has no link samples): a cheap tally per row, bounded to the newest `keepSeconds`.
 */
export class RowRateBins {
  /** Second (epoch) of bins[0]. */
  private first = 0;
  private packets: [number[], number[]] = [[], []];
  private bytes: [number[], number[]] = [[], []];
  /** Counts of bins dropped off the front, so the cumulative series stays cumulative. */
  private basePackets: [number, number] = [0, 0];
  private baseBytes: [number, number] = [0, 0];

  constructor(private readonly keepSeconds = 600) {}

  get length(): number {
    return this.packets[0].length;
  }

  add(timeMs: number, dir: 0 | 1, length: number): void {
    if (!Number.isFinite(timeMs)) return;
    const second = Math.floor(timeMs / 1000);
    if (this.length === 0) this.first = second;
    let i = second - this.first;
    // A row older than the kept bins (out of order, or before a jump) counts in the first bin.
    if (i < 0) i = 0;
    if (i >= this.length) {
      if (i - this.length >= this.keepSeconds) {
        // A jump longer than what is kept: start over at this second.
        this.dropFront(this.length);
        this.first = second;
        i = 0;
      }
      while (this.length <= i) {
        for (const d of [0, 1] as const) {
          this.packets[d].push(0);
          this.bytes[d].push(0);
        }
      }
      if (this.length > this.keepSeconds) {
        const drop = this.length - this.keepSeconds;
        this.dropFront(drop);
        i -= drop;
      }
    }
    this.packets[dir][i]!++;
    this.bytes[dir][i]! += length;
  }

  private dropFront(count: number): void {
    for (const d of [0, 1] as const) {
      for (let k = 0; k < count; k++) {
        this.basePackets[d] += this.packets[d][k] ?? 0;
        this.baseBytes[d] += this.bytes[d][k] ?? 0;
      }
      this.packets[d].splice(0, count);
      this.bytes[d].splice(0, count);
    }
    this.first += count;
  }

  clear(): void {
    this.packets = [[], []];
    this.bytes = [[], []];
    this.basePackets = [0, 0];
    this.baseBytes = [0, 0];
    this.first = 0;
  }

  /**
   * The bins as cumulative samples at each second's end (plus one at the first second's
   * start), so linkSeries() turns them into rates like the engine's samples. The last bin is
   * left out while `now` (ms) falls inside it: a second still filling would read as a drop.
   */
  samples(now = Number.POSITIVE_INFINITY): LinkSample[] {
    let count = this.length;
    if (count > 0 && now < (this.first + count) * 1000) count--;
    if (count === 0) return [];
    const out: LinkSample[] = [];
    const cum = { p: [...this.basePackets], b: [...this.baseBytes] };
    const sample = (time: number): LinkSample => {
      const dir = (d: 0 | 1) => ({
        bytes: cum.b[d]!,
        packets: cum.p[d]!,
        droppedBytes: 0,
        queuedBytes: 0,
        paused: false,
      });
      return { time, 'debugger->target': dir(0), 'target->debugger': dir(1) };
    };
    out.push(sample(this.first * 1000));
    for (let i = 0; i < count; i++) {
      for (const d of [0, 1] as const) {
        cum.p[d]! += this.packets[d][i]!;
        cum.b[d]! += this.bytes[d][i]!;
      }
      out.push(sample((this.first + i + 1) * 1000));
    }
    return out;
  }
}

/** Bucket widths for an opened capture's series (ms); used only when a multiple of its bins. */
const CAPTURE_NICE_MS = [
  1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000,
  1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** The smallest nice bucket that is a whole number of `binMs` bins and keeps under maxPoints. */
export function captureBucketMs(spanMs: number, binMs: number, maxPoints: number): number {
  const need = Math.max(binMs, spanMs / Math.max(1, maxPoints));
  for (const ms of CAPTURE_NICE_MS) if (ms >= need && ms % binMs === 0) return ms;
  return Math.ceil(need / binMs) * binMs;
}

export interface CaptureSeriesOptions {
  /** Milliseconds since the epoch that t = 0 stands for. */
  readonly origin: number;
  /** The span shown, ending at the capture's last bin; null: the whole capture. */
  readonly windowMs: number | null;
  readonly maxPoints: number;
}

export interface CapturePoints {
  /** Counts per bucket (not per second): dtPackets… hold packets and bytes per `bucketMs`. */
  readonly points: LinkPoint[];
  readonly bucketMs: number;
}

/**
 * Chart points from the engine's bins of an opened capture: each point the packets and bytes
 * counted in one bucket (a whole number of bins, aligned like them, so nothing is split or
 * counted twice), at the bucket's end. The whole capture, or its last `windowMs` in whole
 * buckets. Idle stretches are buckets of zero, so a long gap shows as one.
 */
export function captureSeries(rates: CaptureRates, o: CaptureSeriesOptions): CapturePoints {
  const bins = rates['debugger->target'].packets.length;
  const { binMs } = rates;
  const end = rates.start + bins * binMs;
  const span = o.windowMs ?? end - rates.start;
  const bucket = captureBucketMs(span, binMs, o.maxPoints);
  // A span longer than the capture starts where it does (no stretch of zeros before it).
  const first = Math.floor(rates.start / bucket) * bucket;
  // At least the last bucket, when the span is shorter than one (a long capture's bins).
  const from =
    o.windowMs === null
      ? first
      : Math.min(
          Math.floor((end - 1) / bucket) * bucket,
          Math.max(first, Math.ceil((end - o.windowMs) / bucket) * bucket),
        );
  const count = Math.max(0, Math.ceil((end - from) / bucket));
  const points: LinkPoint[] = [];
  for (let k = 0; k < count; k++) {
    points.push({
      t: (from + (k + 1) * bucket - o.origin) / 1000,
      dtPackets: 0,
      tdPackets: 0,
      dtBytes: 0,
      tdBytes: 0,
      // A capture does not say which bytes reached their receiver.
      dtDropped: 0,
      tdDropped: 0,
      dtQueued: 0,
      tdQueued: 0,
      dtPaused: false,
      tdPaused: false,
    });
  }
  const d = rates['debugger->target'];
  const u = rates['target->debugger'];
  for (let i = 0; i < bins; i++) {
    const k = Math.floor((rates.start + i * binMs - from) / bucket);
    const p = points[k];
    if (!p) continue;
    p.dtPackets += d.packets[i] ?? 0;
    p.tdPackets += u.packets[i] ?? 0;
    p.dtBytes += d.bytes[i] ?? 0;
    p.tdBytes += u.bytes[i] ?? 0;
  }
  return { points, bucketMs: bucket };
}
