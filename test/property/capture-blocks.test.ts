// Reading a capture in blocks (CaptureInput.openFile) must see exactly what reading it whole
// sees: the same records, then the same CaptureError (message, byte offset, frame), whatever
// the block size, wherever records straddle blocks, however the file is cut or damaged.

import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../electron/capture/capture-error';
import { BLOCK_SIZE, CaptureInput } from '../../electron/capture/capture-input';
import { openCapture } from '../../electron/capture/capture-source';
import { parsePcap, parsePcapng } from '../../electron/capture/container-parsers';
import type { StreamChunk } from '../../electron/capture/chunk';
import { arbStreamChunks, makeTempDir, writeCapture } from '../support/pcap-fixtures';
import type { WriterFormat } from '../support/pcap-fixtures';

const tmp = makeTempDir('kdscope-blocks-');
afterAll(() => tmp.cleanup());
const formats: WriterFormat[] = ['pcap', 'pcapng', 'pcapng-raw'];

interface Parsed {
  readonly records: unknown[];
  readonly error?: { message: string; offset?: number; frame?: number };
}

function parse(input: CaptureInput, format: WriterFormat): Parsed {
  const records: unknown[] = [];
  try {
    (format === 'pcap' ? parsePcap : parsePcapng)(
      input,
      (frame, timeUs, linkType, buf, start, end, flags) =>
        records.push([frame, timeUs, linkType, [...buf.subarray(start, end)], flags]),
    );
    return { records };
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { records, error: { message: err.message, offset: err.offset, frame: err.frame } };
  }
}

function parseInBlocks(path: string, format: WriterFormat, blockSize: number): Parsed {
  const input = CaptureInput.openFile(path, 'capture', blockSize);
  try {
    return parse(input, format);
  } finally {
    input.close();
  }
}

describe('capture read in blocks', () => {
  it('property: same records and error as the whole file, any block size, cut or damaged', () => {
    const path = tmp.file('blocks.bin');
    fc.assert(
      fc.property(
        fc.constantFrom(...formats),
        arbStreamChunks(12),
        fc.integer({ min: 1, max: 700 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 2 }),
        (format, frames, blockSize, cut, flips) => {
          writeCapture(path, frames, format);
          let bytes = Uint8Array.from(readFileSync(path));
          if (cut !== undefined) bytes = bytes.subarray(0, cut % (bytes.length + 1));
          for (const [at, x] of flips) if (bytes.length > 0) bytes[at % bytes.length]! ^= x;
          writeFileSync(path, bytes);
          const whole = parse(CaptureInput.ofBytes(bytes), format);
          expect(parseInBlocks(path, format, blockSize)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  function bigFrames(): StreamChunk[] {
    const frames: StreamChunk[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = i % 97 === 0 ? 3000 + i : (i * 37) % 400;
      frames.push({
        dir: i % 3 === 0 ? 'target->debugger' : 'debugger->target',
        timeUs: 1.7e15 + i * 250,
        bytes: Uint8Array.from({ length: n }, (_, k) => (i + k) & 0xff),
      });
    }
    return frames;
  }

  type Copied = Omit<StreamChunk, 'bytes'> & { bytes: number[] };

  function readBoth(path: string): {
    views: Copied[];
    ranges: Copied[];
    errors: [unknown, unknown];
    stats: [unknown, unknown];
  } {
    const source = openCapture(path);
    const ranges: Copied[] = [];
    const views: Copied[] = [];
    const errors: [unknown, unknown] = [undefined, undefined];
    try {
      source.forEachRange((dir, bytes, start, end, timeUs, frame) =>
        ranges.push({ frame, timeUs, dir, bytes: [...bytes.subarray(start, end)] }),
      );
    } catch (err) {
      errors[0] = err;
    }
    const rangeStats = structuredClone(source.stats);
    try {
      source.forEach((c) => views.push({ ...c, bytes: [...c.bytes] }));
    } catch (err) {
      errors[1] = err;
    }
    return { views, ranges, errors, stats: [rangeStats, source.stats] };
  }

  it.each(formats)(
    '%s larger than a block: forEachRange delivers what forEach does, whole and cut',
    (format) => {
      const path = tmp.file(`big.${format}`);
      writeCapture(path, bigFrames(), format);
      const full = readFileSync(path);
      expect(full.length).toBeGreaterThan(2 * BLOCK_SIZE);

      const whole = readBoth(path);
      expect(whole.ranges).toHaveLength(3000);
      expect(whole.ranges).toEqual(whole.views);
      expect(whole.errors).toEqual([undefined, undefined]);
      expect(whole.stats[0]).toEqual(whole.stats[1]);

      // Cut inside a record just past the first block boundary.
      writeFileSync(path, full.subarray(0, BLOCK_SIZE + 1234));
      const cut = readBoth(path);
      expect(cut.ranges.length).toBeGreaterThan(100);
      expect(cut.ranges).toEqual(cut.views);
      const [rangeError, viewError] = cut.errors;
      expect(rangeError).toBeInstanceOf(CaptureError);
      expect(rangeError).toEqual(viewError);
      expect((rangeError as CaptureError).message).toMatch(/truncated .* at byte \d+/);
      expect(cut.stats[0]).toEqual(cut.stats[1]);
    },
  );

  it('a capture that vanishes after open is a one-line CaptureError, not a crash', () => {
    const path = tmp.file('vanishing.pcap');
    writeCapture(path, bigFrames(), 'pcap');
    const source = openCapture(path);
    unlinkSync(path);
    expect(() => source.forEachRange(() => undefined)).toThrow(
      new CaptureError(
        `cannot read capture ${path}: ENOENT: no such file or directory, open '${path}'`,
      ),
    );
  });
});
