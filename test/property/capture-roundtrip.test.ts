import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../electron/capture/capture-error';
import { openCapture } from '../../electron/capture/capture-source';
import type { StreamChunk } from '../../electron/capture/chunk';
import {
  arbStreamChunks,
  makeTempDir,
  readCapture,
  streamsOf,
  writeCapture,
} from '../support/pcap-fixtures';
import type { ReadResult, WriterFormat } from '../support/pcap-fixtures';

const tmp = makeTempDir();
afterAll(() => tmp.cleanup());
let fileNo = 0;
const formats: WriterFormat[] = ['pcap', 'pcapng', 'pcapng-raw'];

/** readCapture, with an error at open (too short to sniff, say) returned like a late one. */
function readDamaged(path: string): Pick<ReadResult, 'chunks' | 'error'> {
  try {
    return readCapture(path);
  } catch (err) {
    if (err instanceof CaptureError) return { chunks: [], error: err };
    throw err;
  }
}

function expectPrefix(partial: Pick<ReadResult, 'chunks'>, full: ReadResult): void {
  expect(partial.chunks.length).toBeLessThanOrEqual(full.chunks.length);
  partial.chunks.forEach((chunk, i) => expect(chunk).toEqual(full.chunks[i]));
}

describe('writer -> reader round trips', () => {
  it('property: both directions, random sizes, every format, with and without gzip', () => {
    fc.assert(
      fc.property(
        arbStreamChunks(12),
        fc.constantFrom(...formats),
        fc.boolean(),
        (frames: StreamChunk[], format, gzip) => {
          const path = tmp.file(`rt-${fileNo++}.${format === 'pcap' ? 'pcap' : 'pcapng'}`);
          writeCapture(path, frames, format, { gzip });
          const result = readCapture(path);
          expect(result.error).toBeUndefined();
          const written = streamsOf(frames);
          const read = streamsOf(result.chunks);
          expect(read['debugger->target']).toEqual(written['debugger->target']);
          expect(read['target->debugger']).toEqual(written['target->debugger']);
          // Chunks come in write order with their frame's direction and time.
          const max = format === 'pcapng-raw' ? 65535 : 65493;
          const expected = frames.flatMap((f) =>
            Array.from({ length: Math.max(1, Math.ceil(f.bytes.length / max)) }, () => [
              f.dir,
              f.timeUs,
            ]),
          );
          expect(result.chunks.map((c) => [c.dir, c.timeUs])).toEqual(expected);
          expect(result.chunks.map((c) => c.frame)).toEqual(expected.map((_, i) => i + 1));
          expect(result.stats.skipped).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
    // Synchronous CPU work: on a machine busy on every core it took 62 s (over the 30 s default).
  }, 180_000);
});

describe('damaged captures', () => {
  const frames: StreamChunk[] = [
    { dir: 'debugger->target', timeUs: 1e15, bytes: Uint8Array.of(0x62) },
    { dir: 'target->debugger', timeUs: 1e15 + 1, bytes: new Uint8Array(40).fill(0x30) },
    {
      dir: 'debugger->target',
      timeUs: 1e15 + 2,
      bytes: Uint8Array.of(0x69, 0x69, 0x69, 0x69, 4, 0),
    },
  ];

  it.each(formats)(
    '%s cut at every byte offset: a prefix of the chunks, only CaptureError',
    (format) => {
      const path = tmp.file(`whole.${format}`);
      writeCapture(path, frames, format);
      const whole = readFileSync(path);
      const full = readCapture(path);
      expect(full.chunks).toHaveLength(3);
      const cutPath = tmp.file(`cut.${format}`);
      let errors = 0;
      for (let cut = 0; cut < whole.length; cut++) {
        writeFileSync(cutPath, whole.subarray(0, cut));
        const partial = readDamaged(cutPath);
        expectPrefix(partial, full);
        if (partial.error) {
          errors++;
          expect(partial.error).toBeInstanceOf(CaptureError);
          expect(partial.error.message).not.toContain('\n');
          if (partial.error.offset !== undefined)
            expect(partial.error.offset).toBeLessThanOrEqual(cut);
        }
      }
      // Only the cuts exactly at a frame boundary read cleanly.
      expect(errors).toBeGreaterThanOrEqual(whole.length - 4);
    },
  );

  it('a gzip of a capture cut anywhere never throws anything but CaptureError', () => {
    const path = tmp.file('whole.pcap');
    writeCapture(path, frames, 'pcap');
    const full = readCapture(path);
    const gz = gzipSync(readFileSync(path));
    const cutPath = tmp.file('cut.pcap.gz');
    for (let cut = 0; cut < gz.length; cut++) {
      writeFileSync(cutPath, gz.subarray(0, cut));
      const partial = readDamaged(cutPath);
      expectPrefix(partial, full);
      expect(partial.error).toBeInstanceOf(CaptureError);
    }
  });

  it('fuzz: random byte damage never throws anything but CaptureError', () => {
    const bases = formats.map((format) => {
      const path = tmp.file(`fuzz-base.${format}`);
      writeCapture(path, frames, format);
      return readFileSync(path);
    });
    const fuzzPath = tmp.file('fuzz.bin');
    fc.assert(
      fc.property(
        fc.nat(bases.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (which, flips) => {
          const damaged = Uint8Array.from(bases[which]!);
          for (const [at, x] of flips) damaged[at % damaged.length]! ^= x;
          writeFileSync(fuzzPath, damaged);
          try {
            openCapture(fuzzPath, { key: '1.2.3.4' }).forEach(() => undefined);
          } catch (err) {
            expect(err).toBeInstanceOf(CaptureError);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
