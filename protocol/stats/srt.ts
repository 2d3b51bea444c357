// Service response time per manipulate API: Wireshark's SRT table made for KD. It tells the
// transport's time from the debugger's: a slow ReadVirtualMemory with a fast ACK is the
// target, a slow ACK is the wire. The same accumulator runs in `kdscope stats` and in the
// UI's pane, fed rows in stream order (stats/rows.ts).
//
// What counts:
//   a call     a request the session tracker registered as waiting for a reply (it carries
//              NO_RESPONSE when emitted, or `pair` once answered), or a reply whose request
//              came before the rows this accumulator saw (a view cleared mid-call);
//   answered   a reply linked to its request (`pair`), with its round-trip time;
//   errors     answered with a failing NTSTATUS (ERROR_STATUS);
//   bytes      wire bytes of the call's request and reply.
// Requests the target never answers by design (Continue, Continue2, Reboot, CauseBugCheck)
// are not calls. Percentiles are nearest-rank over the exact RTTs.

import { PacketType } from '../kd/constants';
import { PacketFlag } from '../session/record';
import type { StatsRow } from './rows';

export interface RttSummary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly mean: number;
}

export interface SrtStat {
  readonly api: number;
  readonly apiName: string;
  readonly calls: number;
  readonly answered: number;
  readonly unanswered: number;
  readonly errors: number;
  readonly bytes: number;
  /** Null when no call was answered. */
  readonly rttMs: RttSummary | null;
}

export interface SrtTable {
  /** One row per API with at least one call, by ApiNumber. */
  readonly rows: readonly SrtStat[];
  /** Every API together (api -1). */
  readonly total: SrtStat;
}

interface ApiState {
  api: number;
  apiName: string;
  calls: number;
  answered: number;
  errors: number;
  bytes: number;
  rtts: Float64Array;
  n: number;
}

/**
 * Requests still waiting are remembered by no.; the session tracker pairs only among its 64
 * newest, so forgetting the oldest past this bound never loses a pairing.
 */
const MAX_PENDING = 4096;

/** `p` in (0, 1]: the nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarizeRtts(values: Float64Array): RttSummary | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
  };
}

export class SrtAccumulator {
  private readonly apis = new Map<number, ApiState>();
  private readonly pending = new Map<number, { api: number; length: number }>();

  /** Rows in stream order (no. ascending). */
  add(row: StatsRow): void {
    if (row.kind !== 0 || row.leader !== 1 || row.type !== PacketType.STATE_MANIPULATE) return;
    if (row.api < 0) return;
    if (row.dir === 0) {
      const registered = (row.flags & PacketFlag.NO_RESPONSE) !== 0 || row.pair !== 0;
      if (!registered) return;
      const state = this.state(row.api, row.apiName);
      state.calls++;
      state.bytes += row.length;
      this.pending.set(row.no, { api: row.api, length: row.length });
      if (this.pending.size > MAX_PENDING) {
        this.pending.delete(this.pending.keys().next().value as number);
      }
      return;
    }
    if (row.pair === 0 || Number.isNaN(row.rttMs)) return;
    const state = this.state(row.api, row.apiName);
    const request = this.pending.get(row.pair);
    if (request) this.pending.delete(row.pair);
    else state.calls++;
    state.answered++;
    state.bytes += row.length;
    if (row.flags & PacketFlag.ERROR_STATUS) state.errors++;
    if (state.n === state.rtts.length) {
      const grown = new Float64Array(state.rtts.length * 2);
      grown.set(state.rtts);
      state.rtts = grown;
    }
    state.rtts[state.n++] = row.rttMs;
  }

  /** The round-trip times of one API (or all), unsorted; a copy. */
  rtts(api?: number): Float64Array {
    if (api !== undefined) {
      const s = this.apis.get(api);
      return s ? s.rtts.slice(0, s.n) : new Float64Array(0);
    }
    let n = 0;
    for (const s of this.apis.values()) n += s.n;
    const out = new Float64Array(n);
    let at = 0;
    for (const s of this.apis.values()) {
      out.set(s.rtts.subarray(0, s.n), at);
      at += s.n;
    }
    return out;
  }

  snapshot(): SrtTable {
    const rows: SrtStat[] = [];
    let calls = 0;
    let answered = 0;
    let errors = 0;
    let bytes = 0;
    for (const s of [...this.apis.values()].sort((a, b) => a.api - b.api)) {
      rows.push({
        api: s.api,
        apiName: s.apiName,
        calls: s.calls,
        answered: s.answered,
        unanswered: s.calls - s.answered,
        errors: s.errors,
        bytes: s.bytes,
        rttMs: summarizeRtts(s.rtts.subarray(0, s.n)),
      });
      calls += s.calls;
      answered += s.answered;
      errors += s.errors;
      bytes += s.bytes;
    }
    return {
      rows,
      total: {
        api: -1,
        apiName: 'All',
        calls,
        answered,
        unanswered: calls - answered,
        errors,
        bytes,
        rttMs: summarizeRtts(this.rtts()),
      },
    };
  }

  clear(): void {
    this.apis.clear();
    this.pending.clear();
  }

  private state(api: number, apiName: string | undefined): ApiState {
    let s = this.apis.get(api);
    if (!s) {
      s = {
        api,
        apiName: apiName ?? `0x${api.toString(16)}`,
        calls: 0,
        answered: 0,
        errors: 0,
        bytes: 0,
        rtts: new Float64Array(16),
        n: 0,
      };
      this.apis.set(api, s);
    }
    return s;
  }
}

export interface HistogramBin {
  /** Lower bound, milliseconds (inclusive). */
  readonly from: number;
  /** Upper bound, milliseconds (exclusive, except the last bin's). */
  readonly to: number;
  readonly count: number;
}

/**
 * RTTs in `bins` bins of equal width on a log scale (RTTs span microseconds to seconds; on a
 * linear scale one slow call squeezes everything else into the first bin). Every value is in
 * exactly one bin.
 */
export function rttHistogram(values: Float64Array, bins = 24): HistogramBin[] {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const floor = 1e-3; // 1 µs: zero and negative RTTs (clock steps) land in the first bin
  const lo = Math.log10(Math.max(floor, min));
  const hi = Math.log10(Math.max(floor, max));
  const n = hi - lo < 1e-9 ? 1 : Math.max(1, Math.floor(bins));
  const width = n === 1 ? 1 : (hi - lo) / n;
  const counts = new Array<number>(n).fill(0);
  for (const v of values) {
    const x = Math.log10(Math.max(floor, v));
    const k = n === 1 ? 0 : Math.min(n - 1, Math.max(0, Math.floor((x - lo) / width)));
    counts[k]!++;
  }
  return counts.map((count, k) => ({
    from: 10 ** (lo + k * width),
    to: 10 ** (n === 1 ? hi : lo + (k + 1) * width),
    count,
  }));
}

/** Milliseconds as the SRT table prints them (CLI and UI alike): microsecond resolution. */
export function formatMs(ms: number): string {
  return ms.toFixed(3);
}
