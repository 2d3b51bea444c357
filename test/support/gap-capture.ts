// A seed-format capture whose traffic has a long idle gap (a session left at a breakpoint for
// hours), and a straight count of any classic pcap of the seed's frames: each frame's time,
// direction (its UDP source port) and KD bytes, read here without our capture reader.

import { readFileSync } from 'node:fs';
import type { Direction } from '../../protocol/kd/events';
import type { StreamChunk } from '../../electron/capture/chunk';
import { WRAP_HEADER_SIZE } from '../../electron/capture/udp-wrap';
import { writeCapture } from './pcap-fixtures';
import { generateRealisticStream, randomChunks } from './kd-gen';

export interface GapCaptureOptions {
  /** KD stream bytes per direction. */
  readonly bytes?: number;
  /** First frame, microseconds since the epoch. */
  readonly startUs?: number;
  /** Between two chunks of one direction, microseconds. */
  readonly stepUs?: number;
  /** Idle time inserted half-way through, microseconds. */
  readonly gapUs: number;
  readonly seed?: number;
}

/** Writes the capture (classic pcap); returns its path. */
export function writeGapCapture(path: string, o: GapCaptureOptions): string {
  const seed = o.seed ?? 5;
  const bytes = o.bytes ?? 120_000;
  const start = o.startUs ?? Date.UTC(2026, 0, 5, 9, 59, 58) * 1000 + 300_000;
  const step = o.stepUs ?? 2_500_000;
  const a = randomChunks(generateRealisticStream(bytes, seed).bytes, seed + 1, 1, 900);
  const b = randomChunks(generateRealisticStream(bytes, seed + 2).bytes, seed + 3, 1, 900);
  const n = Math.max(a.length, b.length);
  const chunks: StreamChunk[] = [];
  for (let i = 0; i < n; i++) {
    const t = start + i * step + (i >= n / 2 ? o.gapUs : 0);
    if (a[i]) chunks.push({ dir: 'debugger->target', timeUs: t, bytes: a[i]! });
    if (b[i]) chunks.push({ dir: 'target->debugger', timeUs: t + 40_000, bytes: b[i]! });
  }
  writeCapture(path, chunks, 'pcap');
  return path;
}

export interface CountedFrame {
  readonly timeMs: number;
  readonly dir: Direction;
  readonly bytes: number;
}

/**
 * The whole frames of a little-endian microsecond pcap of seed frames (a cut last record is
 * not one), with their KD bytes (the frame less its Ethernet/IPv4/UDP header).
 */
export function countPcapFrames(path: string): CountedFrame[] {
  const file = readFileSync(path);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, true) !== 0xa1b2c3d4) throw new Error('not a little-endian pcap');
  const out: CountedFrame[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const sec = view.getUint32(at, true);
    const usec = view.getUint32(at + 4, true);
    const len = view.getUint32(at + 8, true);
    if (at + 16 + len > file.length) break;
    // Ethernet (14) + IPv4 (20), then the UDP source port: 51111 is the debugger's side.
    const srcPort = view.getUint16(at + 16 + 34, false);
    out.push({
      timeMs: (sec * 1e6 + usec) / 1000,
      dir: srcPort === 51111 ? 'debugger->target' : 'target->debugger',
      bytes: len - WRAP_HEADER_SIZE,
    });
    at += 16 + len;
  }
  return out;
}

/** Counts per bin of `binMs` from `startMs` (a multiple of binMs), for `bins` bins. */
export function binCounts(
  events: readonly { timeMs: number; dir: Direction; value: number }[],
  startMs: number,
  binMs: number,
  bins: number,
): Record<Direction, number[]> {
  const out: Record<Direction, number[]> = {
    'debugger->target': new Array<number>(bins).fill(0),
    'target->debugger': new Array<number>(bins).fill(0),
  };
  for (const e of events) {
    const i = Math.floor(e.timeMs / binMs) - startMs / binMs;
    if (i < 0 || i >= bins) throw new Error(`an event at ${e.timeMs} is outside the bins`);
    out[e.dir][i]! += e.value;
  }
  return out;
}
