// Hostile and damaged .gz captures, made by the tests themselves: a small .gz that inflates to
// hundreds of MiB (of zeros, or of a pcap whose one frame claims 15 MiB), and a real capture
// whose compressed tail is corrupt or cut. Written through a streaming gzip, so building them
// never holds more than a MiB.

import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { SEED_ENDS } from '../../electron/capture/udp-wrap';
import { SESSION_BASIC } from '../fixtures/session-basic';
import { seedFrame, udpFrame } from './pcap-fixtures';

const MIB = 1 << 20;

/** What a bomb inflates to: far above any sane memory budget of a decode, quick to make. */
export const BOMB_BYTES = 256 * MIB;

export async function gzipTo(path: string, pieces: Iterable<Uint8Array>): Promise<void> {
  await pipeline(Readable.from(pieces), createGzip(), createWriteStream(path));
}

function* zeros(total: number): Generator<Uint8Array> {
  const block = new Uint8Array(MIB);
  for (let left = total; left > 0; left -= block.length)
    yield left >= block.length ? block : block.subarray(0, left);
}

/** A little-endian pcap file header, Ethernet, with the snaplen given. */
export function pcapHeader(snaplen = 65535): Uint8Array {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snaplen, true);
  view.setUint32(20, 1, true);
  return out;
}

/** A pcap record header announcing `captured` bytes (the data follows separately). */
export function pcapRecordHeader(captured: number, timeUs = 0): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(timeUs / 1e6), true);
  view.setUint32(4, timeUs % 1e6, true);
  view.setUint32(8, captured, true);
  view.setUint32(12, captured, true);
  return out;
}

/**
 * A real capture with a long compressible tail: the session-basic KD frames `repeat` times,
 * then `padding` frames of other UDP traffic (60 kB of zeros each, skipped by the decoder).
 */
function* sessionThenPadding(repeat: number, padding: number): Generator<Uint8Array> {
  yield pcapHeader();
  let timeUs = 1_700_000_000_000_000;
  for (let i = 0; i < repeat; i++)
    for (const step of SESSION_BASIC) {
      const data = seedFrame(step.dir, step.bytes);
      timeUs += 1000;
      yield pcapRecordHeader(data.length, timeUs);
      yield data;
    }
  const ends = { ...SEED_ENDS['debugger->target'], srcPort: 5353, dstPort: 53 };
  const pad = udpFrame(ends, new Uint8Array(60_000));
  for (let i = 0; i < padding; i++) {
    timeUs += 1000;
    yield pcapRecordHeader(pad.length, timeUs);
    yield pad;
  }
}

export interface GzipFixtures {
  /** bombBytes of zeros. */
  readonly zeros: string;
  /** A pcap header, then one record claiming 15 MiB, then bombBytes of zeros. */
  readonly giantFrame: string;
  /** A pcap header, then a record claiming 2 GiB. */
  readonly hugeRecord: string;
  /** A real capture: KD frames, then paddingFrames frames of other UDP (60 kB each). */
  readonly intact: string;
  /** `intact` with bytes in its compressed padding overwritten. */
  readonly corruptTail: string;
  /** `intact` cut in its compressed padding. */
  readonly truncated: string;
  /** A capture above the in-memory limit as two gzip members, split among its KD frames. */
  readonly twoMembers: string;
  /** The same capture, not compressed. */
  readonly twoMembersPlain: string;
}

export interface GzipFixtureSizes {
  /** What the bombs inflate to (default BOMB_BYTES). */
  readonly bombBytes?: number;
  /** Padding frames of 60 kB in `intact` (default 1500: ~90 MB). */
  readonly paddingFrames?: number;
}

export async function makeGzipFixtures(
  dir: string,
  { bombBytes = BOMB_BYTES, paddingFrames = 1500 }: GzipFixtureSizes = {},
): Promise<GzipFixtures> {
  const f = (name: string): string => join(dir, name);
  await gzipTo(f('zeros.gz'), zeros(bombBytes));
  await gzipTo(
    f('giant-frame.pcap.gz'),
    (function* () {
      yield pcapHeader(0xffffffff);
      yield pcapRecordHeader(15 * MIB);
      yield* zeros(bombBytes);
    })(),
  );
  await gzipTo(f('huge-record.pcap.gz'), [pcapHeader(0xffffffff), pcapRecordHeader(0x7fffffff)]);
  await gzipTo(f('intact.pcap.gz'), sessionThenPadding(100, paddingFrames));
  const intact = readFileSync(f('intact.pcap.gz'));
  // The KD frames compress to the first few kB; the padding is the rest.
  const damageAt = Math.floor(intact.length * 0.9);
  const corrupt = Uint8Array.from(intact);
  corrupt.fill(0xff, damageAt, damageAt + 64);
  writeFileSync(f('corrupt-tail.pcap.gz'), corrupt);
  writeFileSync(f('truncated.pcap.gz'), intact.subarray(0, damageAt));
  const pieces = [...sessionThenPadding(100, 200)];
  writeFileSync(f('two-members.pcap'), Buffer.concat(pieces));
  const half = pieces.length >> 1;
  await gzipTo(f('first.gz'), pieces.slice(0, half));
  await gzipTo(f('second.gz'), pieces.slice(half));
  writeFileSync(
    f('two-members.pcap.gz'),
    Buffer.concat([readFileSync(f('first.gz')), readFileSync(f('second.gz'))]),
  );
  return {
    zeros: f('zeros.gz'),
    giantFrame: f('giant-frame.pcap.gz'),
    hugeRecord: f('huge-record.pcap.gz'),
    intact: f('intact.pcap.gz'),
    corruptTail: f('corrupt-tail.pcap.gz'),
    truncated: f('truncated.pcap.gz'),
    twoMembers: f('two-members.pcap.gz'),
    twoMembersPlain: f('two-members.pcap'),
  };
}
