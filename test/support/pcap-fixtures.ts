// Helpers to build and read test captures: temp dirs, captures written with our writers or
// with an independent encoder (both byte orders, nanosecond pcap, big-endian pcapng), KDNET
// sessions encrypted with any key, and a reader that collects chunks plus the error.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Direction } from '../../protocol/kd/events';
import { encodeKdnetDatagram } from '../../protocol/kdnet/encoder';
import { KdnetChannel, KDNET_CONTROL_REPLY_SIZE } from '../../protocol/kdnet/datagram';
import { deriveDataKey } from '../../protocol/kdnet/key';
import { fromSerialFraming } from '../../protocol/kdnet/serial-framing';
import { CaptureError } from '../../electron/capture/capture-error';
import { PcapWriter, PcapngWriter } from '../../electron/capture/capture-writers';
import { openCapture } from '../../electron/capture/capture-source';
import type { CaptureStats, OpenCaptureOptions } from '../../electron/capture/capture-source';
import type { StreamChunk } from '../../electron/capture/chunk';
import { nodeKdnetCrypto } from '../../electron/capture/kdnet-node-crypto';
import {
  WRAP_HEADER_SIZE,
  writeUdpFrame,
  writeWrappedFrame,
} from '../../electron/capture/udp-wrap';
import type { UdpEnds } from '../../electron/capture/udp-wrap';
import { generateRealisticStream, randomChunks } from './kd-gen';

// ---------------------------------------------------------------------------------------------
// Temp dirs

export interface TempDir {
  readonly dir: string;
  file(name: string): string;
  /** Removes the directory and everything in it. */
  cleanup(): void;
}

export function makeTempDir(prefix = 'kdscope-capture-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Writing captures

export type WriterFormat = 'pcap' | 'pcapng' | 'pcapng-raw';

/** Writes `frames` with our writers; `gzip` compresses the finished file in place. */
export function writeCapture(
  path: string,
  frames: readonly StreamChunk[],
  format: WriterFormat = 'pcap',
  options: { gzip?: boolean; maxPayload?: number } = {},
): void {
  const writerOptions = options.maxPayload ? { maxPayload: options.maxPayload } : {};
  const writer =
    format === 'pcap'
      ? PcapWriter.open(path, writerOptions)
      : PcapngWriter.open(path, {
          ...writerOptions,
          encapsulation: format === 'pcapng-raw' ? 'raw' : 'udp',
        });
  try {
    for (const frame of frames) writer.write(frame);
  } finally {
    writer.close();
  }
  if (options.gzip) writeFileSync(path, gzipSync(readFileSync(path)));
}

/** One link-layer frame for the independent encoders below. */
/**
 * A seed-format capture at `path`: two generated KD directions (~`bytes` each, from `seed`) cut
 * into socket-sized reads of at most `maxRead` bytes, interleaved 90 us apart.
 */
export function writeGeneratedSession(
  path: string,
  bytes: number,
  seed: number,
  maxRead = 900,
  format: WriterFormat = 'pcap',
  options: { gzip?: boolean } = {},
): string {
  const a = randomChunks(generateRealisticStream(bytes, seed).bytes, seed + 1, 1, maxRead);
  const b = randomChunks(generateRealisticStream(bytes, seed + 2).bytes, seed + 3, 1, maxRead);
  const chunks: StreamChunk[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i]) chunks.push({ dir: 'debugger->target', timeUs: 1e15 + i * 90, bytes: a[i]! });
    if (b[i]) chunks.push({ dir: 'target->debugger', timeUs: 1e15 + i * 90 + 40, bytes: b[i]! });
  }
  writeCapture(path, chunks, format, options);
  return path;
}

export interface LinkFrame {
  readonly timeUs: number;
  readonly data: Uint8Array;
}

/** The seed's Ethernet/IPv4/UDP wrap of `bytes` (no splitting). */
export function seedFrame(dir: Direction, bytes: Uint8Array, ipId = 0): Uint8Array {
  const out = new Uint8Array(WRAP_HEADER_SIZE + bytes.length);
  writeWrappedFrame(out, 0, dir, bytes, ipId);
  return out;
}

/** Any Ethernet/IPv4/UDP frame. */
export function udpFrame(ends: UdpEnds, payload: Uint8Array, ipId = 0): Uint8Array {
  const out = new Uint8Array(WRAP_HEADER_SIZE + payload.length);
  writeUdpFrame(out, 0, ends, payload, ipId);
  return out;
}

/**
 * A classic pcap built without our writer: either byte order, microsecond or nanosecond
 * timestamps, any link type.
 */
export function buildPcap(
  frames: readonly LinkFrame[],
  options: { bigEndian?: boolean; nanos?: boolean; linkType?: number } = {},
): Uint8Array {
  const le = !options.bigEndian;
  let total = 24;
  for (const f of frames) total += 16 + f.data.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, 65535, le);
  view.setUint32(20, options.linkType ?? 1, le);
  let at = 24;
  for (const f of frames) {
    const seconds = Math.floor(f.timeUs / 1e6);
    const micros = Math.round(f.timeUs - seconds * 1e6);
    view.setUint32(at, seconds, le);
    view.setUint32(at + 4, options.nanos ? micros * 1000 : micros, le);
    view.setUint32(at + 8, f.data.length, le);
    view.setUint32(at + 12, f.data.length, le);
    out.set(f.data, at + 16);
    at += 16 + f.data.length;
  }
  return out;
}

/**
 * A pcapng built without our writer: SHB, one IDB (tsresol 10^-`tsresol`), EPBs with optional
 * epb_flags, either byte order. A NRB-like unknown block is slipped in to check it is skipped.
 */
export function buildPcapng(
  frames: readonly (LinkFrame & { flags?: number })[],
  options: { bigEndian?: boolean; linkType?: number; tsresol?: number } = {},
): Uint8Array {
  const le = !options.bigEndian;
  const tsresol = options.tsresol ?? 6;
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const total = 12 + body.length;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, le);
    v.setUint32(4, total, le);
    b.set(body, 8);
    v.setUint32(total - 4, total, le);
    blocks.push(b);
  };
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setInt32(8, -1, le);
  sv.setInt32(12, -1, le);
  block(0x0a0d0d0a, shb);
  const idb = new Uint8Array(16);
  const iv = new DataView(idb.buffer);
  iv.setUint16(0, options.linkType ?? 1, le);
  iv.setUint32(4, 0, le);
  iv.setUint16(8, 9, le);
  iv.setUint16(10, 1, le);
  iv.setUint8(12, tsresol);
  block(1, idb);
  block(0x40000bad, new Uint8Array(8)); // a custom block readers must skip
  const unitsPerUs = 10 ** tsresol / 1e6;
  for (const f of frames) {
    const padded = (f.data.length + 3) & ~3;
    const body = new Uint8Array(20 + padded + (f.flags === undefined ? 0 : 12));
    const v = new DataView(body.buffer);
    const ts = BigInt(Math.round(f.timeUs * unitsPerUs));
    v.setUint32(0, 0, le);
    v.setUint32(4, Number(ts >> 32n), le);
    v.setUint32(8, Number(ts & 0xffffffffn), le);
    v.setUint32(12, f.data.length, le);
    v.setUint32(16, f.data.length, le);
    body.set(f.data, 20);
    if (f.flags !== undefined) {
      v.setUint16(20 + padded, 2, le);
      v.setUint16(22 + padded, 4, le);
      v.setUint32(24 + padded, f.flags, le);
    }
    block(6, body);
  }
  let total = 0;
  for (const b of blocks) total += b.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading captures

export interface ReadResult {
  /** Copies of the delivered chunks. */
  readonly chunks: StreamChunk[];
  readonly stats: CaptureStats;
  /** The CaptureError thrown after the readable chunks, if any. */
  readonly error?: CaptureError;
}

/**
 * Opens and reads a whole capture. The CaptureError thrown after the readable chunks is
 * returned; one thrown by openCapture itself (unreadable, unknown format) propagates.
 */
export function readCapture(path: string, options: OpenCaptureOptions = {}): ReadResult {
  const chunks: StreamChunk[] = [];
  const source = openCapture(path, options);
  try {
    source.forEach((c) => chunks.push({ ...c, bytes: c.bytes.slice() }));
    return { chunks, stats: source.stats };
  } catch (err) {
    if (err instanceof CaptureError) return { chunks, stats: source.stats, error: err };
    throw err;
  }
}

/** Concatenation of the chunks' bytes per direction. */
export function streamsOf(
  chunks: readonly { dir: Direction; bytes: Uint8Array }[],
): Record<Direction, Uint8Array> {
  const parts: Record<Direction, Uint8Array[]> = { 'debugger->target': [], 'target->debugger': [] };
  for (const c of chunks) parts[c.dir].push(c.bytes);
  const join = (list: Uint8Array[]): Uint8Array => {
    let n = 0;
    for (const p of list) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of list) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return {
    'debugger->target': join(parts['debugger->target']),
    'target->debugger': join(parts['target->debugger']),
  };
}

// ---------------------------------------------------------------------------------------------
// Generators

export const arbDirection: fc.Arbitrary<Direction> = fc.constantFrom(
  'debugger->target',
  'target->debugger',
);

/** Frames with random directions, sizes (mostly small, some over one frame) and times. */
export function arbStreamChunks(maxFrames = 20): fc.Arbitrary<StreamChunk[]> {
  const size = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 300 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60000, max: 140000 }) },
  );
  const frame = fc.record({
    dir: arbDirection,
    size,
    seed: fc.integer({ min: 0, max: 255 }),
    timeUs: fc.integer({ min: 0, max: 4_000_000_000 * 1e6 }),
  });
  return fc.array(frame, { maxLength: maxFrames }).map((list) =>
    list.map(({ dir, size: n, seed, timeUs }) => ({
      dir,
      timeUs,
      bytes: Uint8Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// KDNET sessions

export const KDNET_HOST: UdpEnds = {
  srcMac: [0x80, 0xfa, 0x5b, 0x23, 0x29, 0x23],
  dstMac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
  srcIp: [192, 168, 2, 1],
  dstIp: [192, 168, 2, 72],
  srcPort: 51111,
  dstPort: 51111,
};
export const KDNET_TARGET: UdpEnds = {
  srcMac: KDNET_HOST.dstMac,
  dstMac: KDNET_HOST.srcMac,
  srcIp: KDNET_HOST.dstIp,
  dstIp: KDNET_HOST.srcIp,
  srcPort: 51111,
  dstPort: 51111,
};

export interface KdnetSessionStep {
  readonly dir: Direction;
  /** A serial-framed KD packet (as protocol/kd/encoder builds it). */
  readonly packet: Uint8Array;
}

/**
 * Link frames of a KDNET session: the target's control poke, the debugger's control reply
 * (which sets the data key), then one data datagram per step, all encrypted with `startKey`.
 */
export function kdnetSessionFrames(
  startKey: Uint8Array,
  steps: readonly KdnetSessionStep[],
  startUs = 1_600_000_000_000_000,
): LinkFrame[] {
  const crypto = nodeKdnetCrypto;
  const frames: LinkFrame[] = [];
  let time = startUs;
  const push = (fromDebugger: boolean, datagram: Uint8Array): void => {
    frames.push({
      timeUs: time,
      data: udpFrame(fromDebugger ? KDNET_HOST : KDNET_TARGET, datagram),
    });
    time += 1000;
  };
  const poke = Uint8Array.from({ length: 34 }, (_, i) => (i * 13 + 1) & 0xff);
  push(
    false,
    encodeKdnetDatagram(crypto, {
      key: startKey,
      startKey,
      channel: KdnetChannel.CONTROL,
      seq: 1,
      fromDebugger: false,
      body: poke,
    }),
  );
  const reply = Uint8Array.from(
    { length: KDNET_CONTROL_REPLY_SIZE },
    (_, i) => (i * 31 + 7) & 0xff,
  );
  push(
    true,
    encodeKdnetDatagram(crypto, {
      key: startKey,
      startKey,
      channel: KdnetChannel.CONTROL,
      seq: 1,
      fromDebugger: true,
      body: reply,
      padding: 6,
    }),
  );
  const dataKey = deriveDataKey(crypto, startKey, reply);
  const seq: Record<Direction, number> = { 'debugger->target': 1, 'target->debugger': 1 };
  for (const step of steps) {
    const fromDebugger = step.dir === 'debugger->target';
    push(
      fromDebugger,
      encodeKdnetDatagram(crypto, {
        key: dataKey,
        startKey,
        channel: KdnetChannel.DATA,
        seq: seq[step.dir]++,
        fromDebugger,
        body: fromSerialFraming(step.packet),
      }),
    );
  }
  return frames;
}
