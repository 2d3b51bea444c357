// GunzipStream: a .gz inflated on demand into the caller's buffer, against node:zlib as the
// reference: the same bytes for any data, level, member count and read size; members that
// meet at an input-block edge; trailing data; and damage (cut, corrupt, CRC) after every
// byte before it.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GunzipStream } from '../../electron/capture/gunzip';
import { makeTempDir } from '../support/pcap-fixtures';

const tmp = makeTempDir('kdscope-gzip-');
afterAll(() => tmp.cleanup());

/** Everything the stream yields, read `readSize` bytes at a time, and its damage. */
function inflateFile(gz: Uint8Array, readSize = 4096): { bytes: Buffer; damage?: string } {
  const path = tmp.file('stream.gz');
  writeFileSync(path, gz);
  const fd = openSync(path, 'r');
  try {
    const stream = new GunzipStream(fd, `capture ${path}`);
    const parts: Buffer[] = [];
    const buf = new Uint8Array(readSize);
    for (;;) {
      const got = stream.read(buf, 0, buf.length);
      if (got === 0) break;
      parts.push(Buffer.from(buf.subarray(0, got)));
    }
    return { bytes: Buffer.concat(parts), ...(stream.damage ? { damage: stream.damage } : {}) };
  } finally {
    closeSync(fd);
  }
}

function pseudoRandom(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    // Compressible but not trivially: a small alphabet with runs.
    out[i] = (x >> 16) % 7 === 0 ? (x >> 8) & 0xff : i & 0x1f;
  }
  return out;
}

describe('GunzipStream', () => {
  it('property: the bytes node:zlib gives, for any data, level, members and read size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(200_000), fc.integer({ min: 0, max: 9 }), fc.nat()), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 70_000 }),
        (members, readSize) => {
          const gz = Buffer.concat(
            members.map(([length, level, seed]) => gzipSync(pseudoRandom(length, seed), { level })),
          );
          const got = inflateFile(gz, readSize);
          expect(got.damage).toBeUndefined();
          expect(got.bytes.equals(gunzipSync(gz))).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reads on when a member ends exactly at an input-block edge (64 KiB)', () => {
    const first = gzipSync(pseudoRandom(65_513, 3), { level: 0 });
    expect(first.length).toBe(65_536);
    const second = gzipSync(pseudoRandom(1000, 4));
    const got = inflateFile(Buffer.concat([first, second]));
    expect(got.damage).toBeUndefined();
    expect(got.bytes.equals(Buffer.concat([pseudoRandom(65_513, 3), pseudoRandom(1000, 4)]))).toBe(
      true,
    );
  });

  it('reads trailing zeros as padding and other trailing data as damage, as node:zlib does', () => {
    const data = pseudoRandom(5000);
    const padded = inflateFile(Buffer.concat([gzipSync(data), new Uint8Array(100)]));
    expect(padded.damage).toBeUndefined();
    expect(padded.bytes.equals(Buffer.from(data))).toBe(true);
    const text = Buffer.concat([gzipSync(data), Buffer.from('trailing text')]);
    expect(() => gunzipSync(text)).toThrow(/incorrect header check/);
    const trailing = inflateFile(text);
    expect(trailing.damage).toMatch(/incorrect header check/);
    expect(trailing.bytes.equals(Buffer.from(data))).toBe(true);
  });

  it('a cut stream: every byte that was there, then "truncated"', () => {
    const data = pseudoRandom(300_000);
    const gz = gzipSync(data, { level: 0 });
    for (const cut of [20, 1000, 70_000, gz.length - 9, gz.length - 1]) {
      const got = inflateFile(gz.subarray(0, cut));
      expect(got.damage, `cut ${cut}`).toBe('truncated gzip stream (unexpected end of file)');
      // Stored blocks: all the data bytes present in the cut file come out.
      expect(got.bytes.equals(Buffer.from(data.subarray(0, got.bytes.length))), `cut ${cut}`).toBe(
        true,
      );
      expect(got.bytes.length, `cut ${cut}`).toBeGreaterThanOrEqual(
        Math.min(data.length, cut - 10 - 5 * 5) - 8,
      );
    }
  });

  it('a wrong CRC: the data, then "incorrect data check" at the trailer', () => {
    const data = pseudoRandom(10_000);
    const gz = Buffer.from(gzipSync(data, { level: 0 }));
    gz[100]! ^= 0x01;
    const got = inflateFile(gz);
    expect(got.damage).toMatch(
      /^corrupt gzip data near compressed byte \d+ \(incorrect data check\)$/,
    );
    expect(got.bytes.length).toBe(data.length);
  });

  it('corrupt deflate data: the bytes before it, then where it is', () => {
    const data = pseudoRandom(400_000);
    const gz = Buffer.from(gzipSync(data));
    const at = Math.floor(gz.length / 2);
    gz.fill(0xff, at, at + 64);
    const got = inflateFile(gz);
    expect(got.damage).toMatch(/^corrupt gzip data near compressed byte (\d+) \(.+\)$/);
    const near = Number(/byte (\d+)/.exec(got.damage!)![1]);
    expect(near).toBeGreaterThanOrEqual(at);
    expect(near).toBeLessThanOrEqual(at + 64 + 1);
    // Everything the intact compressed bytes hold comes out (what follows until zlib sees the
    // damage is whatever the damaged bits decode to).
    const intact = gunzipSync(gz.subarray(0, at), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(intact.length).toBeGreaterThan(100_000);
    expect(got.bytes.length).toBeGreaterThanOrEqual(intact.length);
    expect(got.bytes.subarray(0, intact.length).equals(intact)).toBe(true);
    expect(intact.equals(Buffer.from(data.subarray(0, intact.length)))).toBe(true);
  });
});
