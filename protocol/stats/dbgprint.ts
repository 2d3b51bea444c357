// The target's DbgPrint output as a terminal shows it, and how much of the wire it takes.
// A DbgPrint flood looks like a hang from WinDbg's side (every print is a packet and an ACK
// the debugger must turn around), so the meter says when prints dominate the wire.

import { DebugIoApi, PacketType } from '../kd/constants';
import { PacketFlag } from '../session/record';
import type { StatsRow } from './rows';

/** Prints at least this share of the wire's bytes... */
export const FLOOD_SHARE = 0.5;
/** ...at this many lines per second (or FLOOD_BYTES_PER_S of text) is a flood. */
export const FLOOD_LINES_PER_S = 50;
export const FLOOD_BYTES_PER_S = 32 * 1024;

const BUCKET_MS = 250;
const WINDOW_BUCKETS = 8; // 2 s

export interface DbgPrintRate {
  readonly linesPerSecond: number;
  /** DEBUG_IO PrintString bytes / all bytes on the wire, over the window (0 when idle). */
  readonly share: number;
  readonly bytesPerSecond: number;
  readonly flood: boolean;
}

export class DbgPrintTap {
  /** The last target->debugger data packet had a bad checksum: its resent copy is new text. */
  private lastBad = false;
  private readonly buckets: { at: number; lines: number; print: number; total: number }[] = [];
  lines = 0;

  /**
   * The text to print for this row, or undefined. A retransmission repeats text already
   * printed, except the copy that answers a RESEND for a corrupted print.
   */
  take(row: StatsRow): string | undefined {
    const bucket = this.bucket(row.time);
    if (bucket) bucket.total += row.length;
    if (row.dir !== 1 || row.kind !== 0 || row.leader !== 1) return undefined;
    const wasBad = this.lastBad;
    this.lastBad = row.checksum === 1;
    if (row.type !== PacketType.DEBUG_IO || row.api !== DebugIoApi.PrintString) return undefined;
    if (row.checksum !== 2 || row.text === undefined) return undefined;
    if (row.flags & PacketFlag.RETRANSMIT && !wasBad) return undefined;
    let n = 0;
    for (let i = row.text.indexOf('\n'); i >= 0; i = row.text.indexOf('\n', i + 1)) n++;
    this.lines += n;
    if (bucket) {
      bucket.lines += n;
      bucket.print += row.length;
    }
    return row.text;
  }

  /** Rates over the last two seconds before `now` (ms since the epoch). */
  rate(now: number): DbgPrintRate {
    const from = Math.floor(now / BUCKET_MS) - WINDOW_BUCKETS + 1;
    let lines = 0;
    let print = 0;
    let total = 0;
    for (const b of this.buckets) {
      if (b.at < from) continue;
      lines += b.lines;
      print += b.print;
      total += b.total;
    }
    const seconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000;
    const linesPerSecond = lines / seconds;
    const bytesPerSecond = print / seconds;
    const share = total > 0 ? print / total : 0;
    return {
      linesPerSecond,
      share,
      bytesPerSecond,
      flood:
        share >= FLOOD_SHARE &&
        (linesPerSecond >= FLOOD_LINES_PER_S || bytesPerSecond >= FLOOD_BYTES_PER_S),
    };
  }

  clear(): void {
    this.lastBad = false;
    this.buckets.length = 0;
    this.lines = 0;
  }

  private bucket(time: number): (typeof this.buckets)[number] | undefined {
    if (!Number.isFinite(time)) return undefined;
    const at = Math.floor(time / BUCKET_MS);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.at === at) return last;
    if (last && at < last.at) return undefined; // a clock step back: keep the window honest
    const b = { at, lines: 0, print: 0, total: 0 };
    this.buckets.push(b);
    while (this.buckets.length > WINDOW_BUCKETS) this.buckets.shift();
    return b;
  }
}
