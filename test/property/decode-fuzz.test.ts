// Fuzz, bounded to a few seconds: mutated pcap, pcapng, gzip and KDNET captures through the
// decode path in-process (openCapture -> forEachRange -> SessionDecoder -> SettleQueue, as
// `kdscope decode` drives them). Nothing but a CaptureError may escape, the decoder ends
// cleanly after it, and memory stays bounded, gzip bombs included (made here).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../electron/capture/capture-error';
import { openCapture, type CaptureSource } from '../../electron/capture/capture-source';
import type { StreamChunk } from '../../electron/capture/chunk';
import { describePacket } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import { SettleQueue } from '../../protocol/session/settle';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { makeGzipFixtures, type GzipFixtures } from '../support/gzip-bombs';
import { makeTempDir, writeCapture, type TempDir } from '../support/pcap-fixtures';

const MIB = 1 << 20;
/** Growth of the resident set one decode may cause, whatever its input inflates to. */
const RSS_BUDGET = 64 * MIB;
const REAL_KDNET = join(import.meta.dirname, '../fixtures/windbg-uncut.pcapng.gz');

interface Outcome {
  readonly packets: number;
  readonly error?: CaptureError;
  /** Peak resident set during the decode, above where it started. */
  readonly rssGrowth: number;
}

const NO_INFO = { info: false } as const;

/** Decodes `path` as `kdscope decode` does; only a CaptureError is an expected outcome. */
function decodeInProcess(path: string, key?: string): Outcome {
  const start = process.memoryUsage.rss();
  let peak = start;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  let source: CaptureSource;
  try {
    source = openCapture(path, key === undefined ? {} : { key });
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    sample();
    return { packets: 0, error, rssGrowth: peak - start };
  }
  sample();
  let packets = 0;
  const holder: { queue?: SettleQueue } = {};
  const decoder = new SessionDecoder({
    onRecord: (record) => holder.queue!.add(record),
    describe: (type, payload, dir) => describePacket(type, payload, dir, NO_INFO),
  });
  holder.queue = new SettleQueue(decoder.tracker, (record) => {
    if (record.kind === 'packet') packets++;
  });
  let error: CaptureError | undefined;
  let chunks = 0;
  try {
    source.forEachRange((dir, bytes, from, to, timeUs, frame) => {
      decoder.pushRange(dir, bytes, from, to, timeUs / 1000, frame);
      if ((++chunks & 1023) === 0) sample();
    });
  } catch (caught) {
    if (!(caught instanceof CaptureError)) throw caught;
    error = caught;
  }
  sample();
  decoder.end();
  holder.queue.end();
  const summary = decoder.summary();
  expect(summary.packets).toBe(packets);
  expect(source.stats.chunks).toBeGreaterThanOrEqual(0);
  return { packets, ...(error ? { error } : {}), rssGrowth: peak - start };
}

let tmp: TempDir;
let fixtures: GzipFixtures;
/** Plain captures to mutate, with the key that decrypts the KDNET one. */
let bases: { name: string; bytes: Uint8Array; key?: string }[];

beforeAll(async () => {
  tmp = makeTempDir('kdscope-decode-fuzz-');
  const frames: StreamChunk[] = SESSION_BASIC.map((s) => ({
    dir: s.dir,
    timeUs: s.timeMs * 1000,
    bytes: s.bytes,
  }));
  bases = (['pcap', 'pcapng', 'pcapng-raw'] as const).map((format) => {
    const path = tmp.file(`base.${format}`);
    writeCapture(path, frames, format);
    return { name: format, bytes: readFileSync(path) };
  });
  bases.push({ name: 'kdnet', bytes: gunzipSync(readFileSync(REAL_KDNET)), key: '8.8.8.8' });
  // Bombs that inflate to 128 MiB: twice the budget a decode may use.
  fixtures = await makeGzipFixtures(tmp.dir, { bombBytes: 128 * MIB, paddingFrames: 300 });
}, 60_000);
afterAll(() => tmp?.cleanup());

/** A mutation of a byte array: flips, a cut, an inserted run, an overwritten run. */
const arbMutation = fc.oneof(
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((flips) => (b: Uint8Array): Uint8Array => {
      const out = Uint8Array.from(b);
      for (const [at, x] of flips) if (out.length > 0) out[at % out.length]! ^= x;
      return out;
    }),
  fc.nat().map(
    (at) =>
      (b: Uint8Array): Uint8Array =>
        b.slice(0, at % (b.length + 1)),
  ),
  fc
    .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }))
    .map(([at, run]) => (b: Uint8Array): Uint8Array => {
      const i = at % (b.length + 1);
      return Buffer.concat([b.subarray(0, i), run, b.subarray(i)]);
    }),
  fc
    .tuple(fc.nat(), fc.integer({ min: 1, max: 4096 }), fc.constantFrom(0x00, 0xff))
    .map(([at, length, fill]) => (b: Uint8Array): Uint8Array => {
      const out = Uint8Array.from(b);
      const i = at % (out.length + 1);
      out.fill(fill, i, i + length);
      return out;
    }),
);

describe('decode fuzz (in-process)', () => {
  it('mutated captures, plain or gzipped, damaged before or after compression', () => {
    const path = tmp.file('fuzz.bin');
    fc.assert(
      fc.property(
        fc.nat(bases.length - 1),
        arbMutation,
        fc.constantFrom('plain', 'gzip then mutate', 'mutate then gzip'),
        (which, mutate, how) => {
          const base = bases[which]!;
          const bytes =
            how === 'plain'
              ? mutate(base.bytes)
              : how === 'gzip then mutate'
                ? mutate(gzipSync(base.bytes))
                : gzipSync(mutate(base.bytes));
          writeFileSync(path, bytes);
          const outcome = decodeInProcess(path, base.key);
          expect(outcome.rssGrowth).toBeLessThan(RSS_BUDGET);
          if (outcome.error) expect(outcome.error.message).not.toContain('\n');
        },
      ),
      // Bounded in time: the suite stays fast on a busy machine; each run is a few ms.
      { numRuns: 400, interruptAfterTimeLimit: 6_000 },
    );
  }, 30_000);

  it('mutations of a .gz too large to hold in memory', () => {
    const intact = readFileSync(fixtures.intact);
    const whole = decodeInProcess(fixtures.intact);
    expect(whole.error).toBeUndefined();
    const path = tmp.file('fuzz-large.gz');
    fc.assert(
      fc.property(arbMutation, (mutate) => {
        writeFileSync(path, mutate(intact));
        const outcome = decodeInProcess(path);
        expect(outcome.rssGrowth).toBeLessThan(RSS_BUDGET);
        expect(outcome.packets).toBeLessThanOrEqual(whole.packets + 1000);
      }),
      { numRuns: 8, interruptAfterTimeLimit: 8_000 },
    );
  }, 60_000);

  it.each([
    ['zeros', /is not a pcap or pcapng capture \(after gunzip\)/],
    ['giantFrame', undefined],
    ['hugeRecord', /captured length 2147483647 exceeds/],
    ['corruptTail', /^corrupt gzip data near compressed byte \d+/],
    ['truncated', /^truncated gzip stream/],
    ['twoMembers', undefined],
  ] as const)(
    'gzip bomb or damage %s: bounded memory, one error at most',
    (name, error) => {
      const outcome = decodeInProcess(fixtures[name]);
      expect(outcome.rssGrowth).toBeLessThan(RSS_BUDGET);
      if (error) expect(outcome.error?.message).toMatch(error);
      else expect(outcome.error).toBeUndefined();
    },
    30_000,
  );
});
