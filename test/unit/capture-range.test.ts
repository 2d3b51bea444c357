// Reading part of a capture by byte range (what paging a long session's rows does): the records
// from a frame's offset up to another's, numbered as in a read from the start, in pcap and
// pcapng, from a file small enough to be held whole and from one read block by block; and a
// file still being appended (only what was written is asked for).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../electron/capture/capture-error';
import { openCapture } from '../../electron/capture/capture-source';
import { PcapWriter, PcapngWriter } from '../../electron/capture/capture-writers';
import type { StreamChunk } from '../../electron/capture/chunk';
import { xorshift32 } from '../support/kd-gen';

const dir = mkdtempSync(join(tmpdir(), 'kdscope-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Written {
  readonly path: string;
  readonly chunks: StreamChunk[];
  /** File offset and first frame of each chunk, and the file size after it. */
  readonly at: { offset: number; frame: number; end: number }[];
}

function write(name: string, format: 'pcap' | 'pcapng', count: number, maxBytes: number): Written {
  const path = join(dir, name);
  const writer = format === 'pcap' ? PcapWriter.open(path) : PcapngWriter.open(path);
  const rnd = xorshift32(count);
  const chunks: StreamChunk[] = [];
  const at: Written['at'] = [];
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(1 + (rnd() % maxBytes)).map(() => rnd() & 0xff);
    const chunk: StreamChunk = {
      dir: rnd() & 1 ? 'debugger->target' : 'target->debugger',
      timeUs: 1_700_000_000_000_000 + i * 137,
      bytes,
    };
    const offset = writer.bytesWritten;
    const frame = writer.framesWritten + 1;
    writer.write(chunk);
    chunks.push(chunk);
    at.push({ offset, frame, end: writer.bytesWritten });
  }
  writer.close();
  return { path, chunks, at };
}

function readRange(path: string, start: number, frame: number, end: number) {
  const got: { frame: number | undefined; dir: string; timeUs: number; bytes: number[] }[] = [];
  openCapture(path).forEachRange(
    (dir, bytes, from, to, timeUs, f) =>
      got.push({ frame: f, dir, timeUs, bytes: Array.from(bytes.subarray(from, to)) }),
    { start, frame, end },
  );
  return got;
}

describe('openCapture(...).forEachRange with a byte range', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    for (const [size, count, maxBytes] of [
      ['small (held whole)', 40, 200],
      ['large (read in blocks)', 3000, 2000],
    ] as const) {
      it(`reads the records between two frames' offsets: ${format}, ${size}`, () => {
        const w = write(`${format}-${count}.${format}`, format, count, maxBytes);
        const pick = [
          [0, count],
          [1, 2],
          [Math.floor(count / 3), Math.floor(count / 2)],
          [count - 1, count],
        ];
        for (const [a, b] of pick) {
          const got = readRange(w.path, w.at[a!]!.offset, w.at[a!]!.frame, w.at[b! - 1]!.end);
          expect(got).toEqual(
            w.chunks.slice(a, b).map((c, k) => ({
              frame: w.at[a! + k]!.frame,
              dir: c.dir,
              timeUs: c.timeUs,
              bytes: Array.from(c.bytes),
            })),
          );
        }
      });
    }
  }

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`a reader reports each frame's offset, and where the next begins between steps: ${format}`, () => {
      const w = write(`offsets-${format}.${format}`, format, 3000, 2000);
      const seen: { offset: number; frame: number | undefined }[] = [];
      const reader = openCapture(w.path).reader((_dir, _bytes, _from, _to, _timeUs, f) =>
        seen.push({ offset: reader.offset, frame: f }),
      );
      try {
        while (reader.step(500)) expect(reader.offset).toBe(w.at[seen.length - 1]!.end);
      } finally {
        reader.close();
      }
      expect(seen).toEqual(w.at.map((x) => ({ offset: x.offset, frame: x.frame })));
      expect(reader.offset).toBe(w.at.at(-1)!.end);
      expect(reader.contextAfterPackets).toBe(false);
    });
  }

  it('a pcapng that declares an interface after its first packets says so', () => {
    const w = write('late-idb.pcapng', 'pcapng', 10, 100);
    const bytes = readFileSync(w.path);
    // The file's interface description block (after the section header) repeated at the end.
    const shb = bytes.readUInt32LE(4);
    const idbLength = bytes.readUInt32LE(shb + 4);
    const late = join(dir, 'late-idb-2.pcapng');
    writeFileSync(late, Buffer.concat([bytes, bytes.subarray(shb, shb + idbLength)]));
    const reader = openCapture(late).reader(() => undefined);
    try {
      while (reader.step(Infinity));
    } finally {
      reader.close();
    }
    expect(reader.contextAfterPackets).toBe(true);
  });

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`reads a range in steps as in one pass (reader with a range): ${format}`, () => {
      const w = write(`steps-${format}.${format}`, format, 3000, 2000);
      const [a, b] = [1234, 2345];
      const range = { start: w.at[a]!.offset, frame: w.at[a]!.frame, end: w.at[b - 1]!.end };
      const frames: (number | undefined)[] = [];
      const reader = openCapture(w.path).reader(
        (_dir, _bytes, _from, _to, _timeUs, f) => frames.push(f),
        undefined,
        range,
      );
      let steps = 0;
      try {
        while (reader.step(7)) {
          steps++;
          // Each step reads what it was asked for, counted from the range's first frame.
          expect(frames.length).toBe(Math.min(steps * 7, b - a));
        }
      } finally {
        reader.close();
      }
      expect(frames).toEqual(w.at.slice(a, b).map((x) => x.frame));
      expect(reader.stats.frames).toBe(b - a);
    });
  }

  it('reads a capture that is still being written, up to what was written', () => {
    const path = join(dir, 'growing.pcap');
    const writer = PcapWriter.open(path);
    const offsets: number[] = [];
    for (let i = 0; i < 500; i++) {
      offsets.push(writer.bytesWritten);
      writer.write({ dir: 'debugger->target', timeUs: i, bytes: new Uint8Array(600).fill(i) });
      if (i % 100 === 99) {
        const got = readRange(path, offsets[i - 50]!, i - 49, writer.bytesWritten);
        expect(got.map((g) => g.frame)).toEqual(Array.from({ length: 51 }, (_, k) => i - 49 + k));
        expect(got.at(-1)!.bytes[0]).toBe(i & 0xff);
      }
    }
    writer.close();
  });

  it('refuses a range of a compressed capture (one line)', () => {
    const w = write('plain.pcap', 'pcap', 10, 50);
    const gz = join(dir, 'plain.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(w.path)));
    expect(() => readRange(gz, w.at[3]!.offset, 4, w.at[5]!.end)).toThrow(CaptureError);
  });
});
