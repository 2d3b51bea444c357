// Packets and bytes per direction over an opened capture's whole span (its I/O graph), tallied
// during the pass that reads it: a chunk's bytes at its frame's time, a record at its own time,
// as a live session's link samples count them (bytes relayed, records decoded). The bins are
// aligned on multiples of their width, which starts at a second and widens (each width a
// multiple of the one before, so bins merge exactly) whenever the span would need more than
// MAX_RATE_BINS: an hours-long capture, or one with a long idle gap, stays a bounded series.

import type { Direction } from '../../../protocol/kd/events';
import { MAX_RATE_BINS, type CaptureRates, type DirectionBins } from '../../api/contract';

/** Bin widths (ms), each a multiple of the one before; after the last, doubling. */
const WIDTHS = [
  1000, 2000, 10_000, 20_000, 60_000, 120_000, 600_000, 1_200_000, 3_600_000, 7_200_000, 21_600_000,
  86_400_000,
];

function widerThan(ms: number): number {
  for (const w of WIDTHS) if (w > ms) return w;
  return ms * 2;
}

interface Tally {
  packets: number[];
  bytes: number[];
}

export class CaptureRateBins {
  private binMs = WIDTHS[0]!;
  /** Bin number (time / binMs) of index 0; the arrays are empty until something is counted. */
  private firstBin = 0;
  private length = 0;
  private readonly dirs: Record<Direction, Tally> = {
    'debugger->target': { packets: [], bytes: [] },
    'target->debugger': { packets: [], bytes: [] },
  };
  private firstTime = Number.POSITIVE_INFINITY;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(private readonly maxBins = MAX_RATE_BINS) {}

  /** A chunk of `bytes` captured at `timeMs` going `dir`. */
  chunk(dir: Direction, timeMs: number, bytes: number): void {
    const i = this.indexOf(timeMs);
    if (i >= 0) this.dirs[dir].bytes[i]! += bytes;
  }

  /** A record (packet, garbage run, break-in) decoded at `timeMs` going `dir`. */
  record(dir: Direction, timeMs: number): void {
    const i = this.indexOf(timeMs);
    if (i >= 0) this.dirs[dir].packets[i]!++;
  }

  /** The bins so far; `complete` once the whole capture was read. */
  series(complete: boolean): CaptureRates | null {
    if (this.length === 0) return null;
    const copy = (t: Tally): DirectionBins => ({
      packets: t.packets.slice(),
      bytes: t.bytes.slice(),
    });
    return {
      start: this.firstBin * this.binMs,
      binMs: this.binMs,
      first: this.firstTime,
      last: this.lastTime,
      'debugger->target': copy(this.dirs['debugger->target']),
      'target->debugger': copy(this.dirs['target->debugger']),
      complete,
    };
  }

  /** The bin for `timeMs`, made to exist (widening the bins if needed); -1 for no time. */
  private indexOf(timeMs: number): number {
    if (!Number.isFinite(timeMs)) return -1;
    if (timeMs < this.firstTime) this.firstTime = timeMs;
    if (timeMs > this.lastTime) this.lastTime = timeMs;
    let bin = Math.floor(timeMs / this.binMs);
    if (this.length === 0) {
      this.firstBin = bin;
      this.grow(0, 1);
      return 0;
    }
    let lo = Math.min(this.firstBin, bin);
    let hi = Math.max(this.firstBin + this.length - 1, bin);
    while (hi - lo + 1 > this.maxBins) {
      this.widen();
      bin = Math.floor(timeMs / this.binMs);
      lo = Math.min(this.firstBin, bin);
      hi = Math.max(this.firstBin + this.length - 1, bin);
    }
    // Out of order (a frame earlier than the first): rare, so an O(n) prepend is fine.
    if (bin < this.firstBin) {
      this.grow(this.firstBin - bin, 0);
      this.firstBin = bin;
    }
    const i = bin - this.firstBin;
    if (i >= this.length) this.grow(0, i - this.length + 1);
    return i;
  }

  private grow(front: number, back: number): void {
    for (const t of Object.values(this.dirs)) {
      if (front > 0) {
        const zeros = new Array<number>(front).fill(0);
        t.packets.unshift(...zeros);
        t.bytes.unshift(...zeros);
      }
      for (let k = 0; k < back; k++) {
        t.packets.push(0);
        t.bytes.push(0);
      }
    }
    this.length += front + back;
  }

  /** The next width: each bin merges into the wider one holding it. */
  private widen(): void {
    const wider = widerThan(this.binMs);
    const ratio = wider / this.binMs;
    const firstBin = Math.floor(this.firstBin / ratio);
    const length = Math.floor((this.firstBin + this.length - 1) / ratio) - firstBin + 1;
    for (const t of Object.values(this.dirs)) {
      const packets = new Array<number>(length).fill(0);
      const bytes = new Array<number>(length).fill(0);
      for (let i = 0; i < this.length; i++) {
        const j = Math.floor((this.firstBin + i) / ratio) - firstBin;
        packets[j]! += t.packets[i]!;
        bytes[j]! += t.bytes[i]!;
      }
      t.packets = packets;
      t.bytes = bytes;
    }
    this.binMs = wider;
    this.firstBin = firstBin;
    this.length = length;
  }
}
