// Reading a capture in steps (what an import or export that yields to the event loop does)
// gives exactly what one pass gives: the same chunks, stats and errors, at any step size, for
// every container, gzip in memory or streamed, raw pairs; the observer sees every frame.
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import fc from 'fast-check';
import { CaptureError } from '../../electron/capture/capture-error';
import {
  openCapture,
  openRawPair,
  type CaptureSource,
  type FrameOutcome,
} from '../../electron/capture/capture-source';
import type { StreamChunk } from '../../electron/capture/chunk';
import { arbStreamChunks, makeTempDir, writeCapture } from '../support/pcap-fixtures';

const tmp = makeTempDir('kdscope-steps-');
afterAll(() => tmp.cleanup());
const FIXTURES = join(import.meta.dirname, '../fixtures');

function digest(chunks: readonly StreamChunk[]): string {
  const hash = createHash('sha256');
  for (const c of chunks)
    hash.update(`${c.dir} ${c.timeUs} ${c.frame} ${c.bytes.length}|`).update(c.bytes);
  return hash.digest('hex');
}

interface Pass {
  chunks: StreamChunk[];
  error?: string;
  stats: unknown;
  steps: number;
}

function onePass(source: CaptureSource): Pass {
  const chunks: StreamChunk[] = [];
  try {
    source.forEachRange((dir, bytes, start, end, timeUs, frame) =>
      chunks.push({ dir, bytes: bytes.slice(start, end), timeUs, frame }),
    );
    return { chunks, stats: structuredClone(source.stats), steps: 1 };
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    return { chunks, error: error.message, stats: structuredClone(source.stats), steps: 1 };
  }
}

function inSteps(source: CaptureSource, size: number): Pass {
  const chunks: StreamChunk[] = [];
  const reader = source.reader((dir, bytes, start, end, timeUs, frame) =>
    chunks.push({ dir, bytes: bytes.slice(start, end), timeUs, frame }),
  );
  let steps = 0;
  try {
    while (reader.step(size)) steps++;
    return { chunks, stats: structuredClone(reader.stats), steps: steps + 1 };
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    return { chunks, error: error.message, stats: structuredClone(reader.stats), steps: 1 };
  } finally {
    reader.close();
  }
}

describe('CaptureSource.reader', () => {
  it('property: the same chunks, stats and errors as one pass, at any step size', () => {
    let n = 0;
    fc.assert(
      fc.property(
        arbStreamChunks(30),
        fc.constantFrom('pcap', 'pcapng', 'pcapng-raw' as const),
        fc.boolean(),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        (frames, format, gzip, cut, size) => {
          const path = tmp.file(`p${n++}.${format === 'pcap' ? 'pcap' : 'pcapng'}`);
          writeCapture(path, frames, format, { gzip });
          // Some runs read a damaged file: the same frames before the damage, the same error.
          if (cut > 0 && !gzip) {
            const whole = readFileSync(path);
            writeFileSync(path, whole.subarray(0, Math.max(24, whole.length - cut)));
          }
          const one = onePass(openCapture(path));
          const stepped = inSteps(openCapture(path), size);
          expect(stepped.chunks).toEqual(one.chunks);
          expect(stepped.stats).toEqual(one.stats);
          expect(stepped.error).toEqual(one.error);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('steps through a large .gz inflated block by block, frame count per step as asked', () => {
    const frames: StreamChunk[] = Array.from({ length: 20_000 }, (_, i) => ({
      dir: i % 2 ? 'target->debugger' : 'debugger->target',
      timeUs: 1_700_000_000_000_000 + i,
      bytes: Uint8Array.from({ length: 600 }, (_, k) => (i * 31 + k * 7) & 0xff),
    }));
    const path = tmp.file('big.pcap');
    writeCapture(path, frames, 'pcap', { gzip: true });
    const one = onePass(openCapture(path));
    expect(one.chunks.length).toBe(20_000);
    const stepped = inSteps(openCapture(path), 1000);
    expect(stepped.steps).toBe(21);
    // A digest: toEqual over 20 k byte arrays costs seconds.
    expect(digest(stepped.chunks)).toBe(digest(one.chunks));
    expect(stepped.stats).toEqual(one.stats);
  });

  it('steps through raw pairs piece by piece', () => {
    const d = tmp.file('d.bin');
    const t = tmp.file('t.bin');
    writeFileSync(
      d,
      Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff),
    );
    writeFileSync(
      t,
      Uint8Array.from({ length: 3000 }, (_, i) => (i * 3) & 0xff),
    );
    const one = onePass(openRawPair(d, t, { pieceSize: 512 }));
    const stepped = inSteps(openRawPair(d, t, { pieceSize: 512 }), 2);
    expect(stepped.chunks).toEqual(one.chunks);
    expect(stepped.steps).toBe(5);
  });

  it('shows every frame of the real KDNET capture to the observer, with what it became', () => {
    const path = tmp.file('uncut.pcapng.gz');
    copyFileSync(join(FIXTURES, 'windbg-uncut.pcapng.gz'), path);
    const outcomes = new Map<FrameOutcome, number>();
    const frames: number[] = [];
    let chunks = 0;
    const reader = openCapture(path, { key: '8.8.8.8' }).reader(
      () => chunks++,
      (frame, _t, linkType, bytes, start, end, outcome) => {
        frames.push(frame);
        expect(linkType).toBe(1);
        expect(end - start).toBeGreaterThan(42);
        expect(bytes.length).toBeGreaterThanOrEqual(end);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      },
    );
    while (reader.step(100));
    reader.close();
    expect(frames).toEqual(Array.from({ length: 955 }, (_, i) => i + 1));
    expect(Object.fromEntries(outcomes)).toEqual({ chunk: 527, 'kdnet-control': 428 });
    expect(chunks).toBe(527);
    // Without the key the same frames are datagrams that need it.
    const noKey = new Map<FrameOutcome, number>();
    const bare = openCapture(path).reader(
      () => undefined,
      (...args) => noKey.set(args[6], (noKey.get(args[6]) ?? 0) + 1),
    );
    while (bare.step(Infinity));
    bare.close();
    expect(Object.fromEntries(noKey)).toEqual({ 'kdnet-no-key': 955 });
  });

  it('a gzip stream damaged mid-way: the chunks before the damage, then its error', () => {
    const frames: StreamChunk[] = Array.from({ length: 5000 }, (_, i) => ({
      dir: 'debugger->target',
      timeUs: i,
      bytes: Uint8Array.from({ length: 3000 }, (_, k) => (i + k * 13) & 0xff),
    }));
    const path = tmp.file('damaged.pcap');
    writeCapture(path, frames, 'pcap');
    const gz = gzipSync(readFileSync(path));
    const damaged = Buffer.from(gz);
    damaged.fill(0x55, Math.floor(gz.length / 2), Math.floor(gz.length / 2) + 64);
    writeFileSync(tmp.file('damaged.pcap.gz'), damaged);
    const one = onePass(openCapture(tmp.file('damaged.pcap.gz')));
    const stepped = inSteps(openCapture(tmp.file('damaged.pcap.gz')), 64);
    expect(one.error).toBeDefined();
    expect(stepped.error).toBe(one.error);
    expect(digest(stepped.chunks)).toBe(digest(one.chunks));
    expect(one.chunks.length).toBeGreaterThan(100);
  });
});
