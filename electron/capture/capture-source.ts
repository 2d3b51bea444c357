// Reading captures: `openCapture` (pcap in either byte order, nanosecond pcap, pcapng, gzip
// of any) and `openRawPair` (two raw byte streams). A source delivers its chunks in capture
// order through one synchronous callback: as StreamChunks whose bytes stay valid (forEach:
// the whole file in one buffer, chunks are views into it), or as ranges of a reused read
// block (forEachRange: nothing allocated per frame, the file never all in memory), which
// keeps a 170 k-frame capture to a few tens of ms.

import { closeSync, fstatSync, readFileSync, readSync } from 'node:fs';
import type { Direction } from '../../protocol/kd/events';
import { KDNET_HOLD_DATAGRAMS, KdnetDecoder } from '../../protocol/kdnet/decoder';
import type { KdnetStats } from '../../protocol/kdnet/decoder';
import { hasKdnetMagic } from '../../protocol/kdnet/datagram';
import { KdnetKeyError, parseKdnetKey } from '../../protocol/kdnet/key';
import { CaptureError, errorText } from './capture-error';
import type { StreamChunk } from './chunk';
import { BLOCK_SIZE, CaptureInput, openRegularFile } from './capture-input';
import { pcapParser, pcapngParser, sniffContainer } from './container-parsers';
import type {
  ContainerFormat,
  ContainerParser,
  RecordRange,
  RecordSink,
} from './container-parsers';
import { IN_MEMORY_LIMIT, gunzipSmall, isGzip } from './gunzip';
import { nodeKdnetCrypto, plainBytes } from './kdnet-node-crypto';
import { findUdp, isSupportedLinkType, isUserLinkType } from './link-layer';
import type { SkipReason, UdpView } from './link-layer';
import { directionFromEpbFlags } from './pcapng-format';
import { wrapDirection } from './udp-wrap';

export type CaptureFormat = ContainerFormat | 'raw-pair';

export interface CaptureStats {
  format: CaptureFormat;
  compressed: boolean;
  /** Frames (records) read. */
  frames: number;
  chunks: number;
  bytes: Record<Direction, number>;
  /** Frames the capture cut short (snaplen): their chunk lacks the bytes after the cut. */
  snapped: number;
  /** Frames that delivered nothing, by reason. */
  skipped: number;
  skippedBy: Partial<Record<SkipReason, number>>;
  /** KDNET counters, when KDNET datagrams were met. */
  kdnet?: KdnetStats;
  /** The first KDNET datagram that was rejected, to name in a report. */
  firstKdnetRejection?: { frame: number; detail: string };
}

/**
 * A chunk as a range: bytes[start, end) of `dir`, read during the call only (the array is
 * reused for the next chunks). frame and timeUs as in StreamChunk.
 */
export type ChunkRangeSink = (
  dir: Direction,
  bytes: Uint8Array,
  start: number,
  end: number,
  timeUs: number,
  frame: number | undefined,
) => void;

export interface CaptureSource {
  readonly path: string;
  readonly format: CaptureFormat;
  readonly compressed: boolean;
  /**
   * Delivers every readable chunk in order, then throws CaptureError if the capture is cut
   * or corrupt (its message names the byte offset and frame). Can be called again.
   */
  forEach(callback: (chunk: StreamChunk) => void): CaptureStats;
  /**
   * forEach for a consumer that reads each chunk's bytes at once and keeps none (a decoder):
   * the same chunks, errors and stats, as ranges of a reused buffer. With `range`, only the
   * records in that part of the file (an uncompressed pcap or pcapng; see RecordRange).
   */
  forEachRange(callback: ChunkRangeSink, range?: RecordRange): CaptureStats;
  /**
   * forEachRange in steps (an import or export that yields to the event loop between them):
   * the same chunks, errors and stats; `observe` also sees every frame as captured, with
   * what it became. The reader must be closed.
   */
  reader(callback: ChunkRangeSink, observe?: FrameObserver, range?: RecordRange): ChunkReader;
  /** Counters of the last (or current) forEach; complete even after a CaptureError. */
  readonly stats: CaptureStats;
}

/** What a captured frame became: a chunk of the KD stream, or why it was skipped. */
export type FrameOutcome = 'chunk' | SkipReason;

/**
 * A frame as captured: bytes[start, end) of its link layer (`linkType`), read during the call
 * only. Called after the frame's chunk (if any) was delivered.
 */
export type FrameObserver = (
  frame: number,
  timeUs: number,
  linkType: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  outcome: FrameOutcome,
) => void;

/** A pass over a capture in steps; see CaptureSource.reader. */
export interface ChunkReader {
  /**
   * Reads at most `maxFrames` more frames (raw pairs: pieces); false once the capture has
   * ended. Throws CaptureError where forEachRange would.
   */
  step(maxFrames: number): boolean;
  /** Counters of this pass so far. */
  readonly stats: CaptureStats;
  /**
   * Byte offset (in the container, decompressed) where the frame whose chunk is being
   * delivered begins, or between steps where the next frame begins; NaN for raw pairs.
   */
  readonly offset: number;
  /** See ContainerParser.contextAfterPackets (a range read from after it would go wrong). */
  readonly contextAfterPackets: boolean;
  close(): void;
}

/** Runs a reader to its end and closes it. */
function readAll(reader: ChunkReader): CaptureStats {
  try {
    while (reader.step(Infinity));
    return reader.stats;
  } finally {
    reader.close();
  }
}

export interface OpenCaptureOptions {
  /**
   * KDNET key `w.x.y.z` (or already parsed: a live session's); without it, KDNET datagrams
   * are counted and skipped.
   */
  readonly key?: string | Uint8Array;
}

function readWhole(path: string, what: string): Uint8Array {
  const fd = openRegularFile(path, what);
  try {
    return plainBytes(readFileSync(fd));
  } catch (err) {
    throw new CaptureError(`cannot read ${what} ${path}: ${errorText(err)}`);
  } finally {
    closeSync(fd);
  }
}

function emptyStats(format: CaptureFormat, compressed: boolean): CaptureStats {
  return {
    format,
    compressed,
    frames: 0,
    chunks: 0,
    bytes: { 'debugger->target': 0, 'target->debugger': 0 },
    snapped: 0,
    skipped: 0,
    skippedBy: {},
  };
}

/** The first block of a file, or all of it when it is shorter; whether that is all of it. */
function readHead(path: string): { bytes: Uint8Array; whole: boolean } {
  const input = CaptureInput.openFile(path, 'capture');
  try {
    const whole = !input.has(0, BLOCK_SIZE);
    return { bytes: input.buf.subarray(0, input.end), whole };
  } finally {
    input.close();
  }
}

/**
 * A .gz capture whose decompressed size is at most IN_MEMORY_LIMIT, decompressed; undefined
 * when it is larger (by the size its trailer announces, or found while inflating) or damaged.
 */
function smallGzip(
  path: string,
  head: { bytes: Uint8Array; whole: boolean },
): Uint8Array | undefined {
  const fd = openRegularFile(path, 'capture');
  try {
    const size = head.whole ? head.bytes.length : fstatSync(fd).size;
    if (size > IN_MEMORY_LIMIT || size < 18) return undefined;
    // ISIZE, the last member's length mod 2^32: a hint only (gunzipSmall is bounded anyway),
    // but it spares inflating 8 MiB of a large capture to learn that it is large.
    const trailer = new Uint8Array(4);
    if (readSync(fd, trailer, 0, 4, size - 4) !== 4) return undefined;
    if (new DataView(trailer.buffer).getUint32(0, true) > IN_MEMORY_LIMIT) return undefined;
    return gunzipSmall(head.whole ? head.bytes : readFileSync(fd));
  } catch (err) {
    throw new CaptureError(`cannot read capture ${path}: ${errorText(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** The first decompressed bytes of a .gz capture, and its damage if it ends in them. */
function gzipHead(path: string): { bytes: Uint8Array; damage: string | undefined } {
  const input = CaptureInput.openGzip(path, 'capture');
  try {
    input.has(0, 32);
    return { bytes: input.buf.slice(0, Math.min(input.end, 32)), damage: input.gzipDamage };
  } finally {
    input.close();
  }
}

/** Opens and sniffs a capture; throws CaptureError (unreadable, unknown format, bad key). */
export function openCapture(path: string, options: OpenCaptureOptions = {}): CaptureSource {
  const head = readHead(path);
  const compressed = isGzip(head.bytes);
  // In memory when it is small (a plain file, or a .gz that inflates to little); otherwise
  // read again, block by block, on each pass: a .gz inflated as the block moves.
  let inMemory: Uint8Array | undefined;
  let sniffed: Uint8Array;
  if (!compressed) {
    inMemory = head.whole ? head.bytes : undefined;
    sniffed = head.bytes;
  } else {
    inMemory = smallGzip(path, head);
    if (inMemory !== undefined) sniffed = inMemory;
    else {
      const gz = gzipHead(path);
      sniffed = gz.bytes;
      if (sniffContainer(sniffed) === undefined && gz.damage)
        throw new CaptureError(`${path}: ${gz.damage}`, 0);
    }
  }
  const format = sniffContainer(sniffed);
  if (!format) {
    const first = Array.from(sniffed.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(
      ' ',
    );
    throw new CaptureError(
      `${path} is not a pcap or pcapng capture${compressed ? ' (after gunzip)' : ''} (starts with ${first || 'nothing'})`,
      0,
    );
  }
  let startKey: Uint8Array | undefined;
  if (options.key instanceof Uint8Array) startKey = options.key;
  else if (options.key !== undefined) {
    try {
      startKey = parseKdnetKey(options.key);
    } catch (err) {
      if (err instanceof KdnetKeyError) throw new CaptureError(err.message);
      throw err;
    }
  }
  return new FileCaptureSource(path, format, compressed, inMemory, startKey);
}

class FileCaptureSource implements CaptureSource {
  stats: CaptureStats;
  /** The whole capture, read by the first forEach: its chunks are views into it. */
  private whole: Uint8Array | undefined;

  constructor(
    readonly path: string,
    readonly format: ContainerFormat,
    readonly compressed: boolean,
    /** The capture when it is in memory already (decompressed, or small). */
    private readonly inMemory: Uint8Array | undefined,
    private readonly startKey: Uint8Array | undefined,
  ) {
    this.stats = emptyStats(format, compressed);
  }

  /** A .gz too large (or too damaged) to hold: inflated again on each pass. */
  private get streamed(): boolean {
    return this.compressed && this.inMemory === undefined;
  }

  forEach(callback: (chunk: StreamChunk) => void): CaptureStats {
    // Chunks outlive the call: a streamed capture's are copied out of the reused block
    // (whatever it inflates to, only what the caller keeps stays in memory).
    if (this.streamed)
      return this.forEachRange((dir, bytes, start, end, timeUs, frame) =>
        callback({ frame, timeUs, dir, bytes: bytes.slice(start, end) }),
      );
    this.whole ??= this.inMemory ?? readWhole(this.path, 'capture');
    return readAll(
      this.read(CaptureInput.ofBytes(this.whole), (dir, bytes, start, end, timeUs, frame) =>
        callback({ frame, timeUs, dir, bytes: bytes.subarray(start, end) }),
      ),
    );
  }

  forEachRange(callback: ChunkRangeSink, range?: RecordRange): CaptureStats {
    return readAll(this.reader(callback, undefined, range));
  }

  reader(callback: ChunkRangeSink, observe?: FrameObserver, range?: RecordRange): ChunkReader {
    if (range !== undefined && this.compressed) {
      throw new CaptureError(`${this.path}: a compressed capture is read from its start`);
    }
    const data = this.inMemory ?? this.whole;
    if (data !== undefined) {
      return this.read(CaptureInput.ofBytes(data), callback, observe, range);
    }
    const input = this.streamed
      ? CaptureInput.openGzip(this.path, 'capture')
      : CaptureInput.openFile(this.path, 'capture');
    try {
      return this.read(input, callback, observe, range);
    } catch (error) {
      input.close();
      throw error;
    }
  }

  private read(
    input: CaptureInput,
    callback: ChunkRangeSink,
    observe?: FrameObserver,
    range?: RecordRange,
  ): ChunkReader {
    const stats = emptyStats(this.format, this.compressed);
    this.stats = stats;
    // Holding lets a capture whose debugger reply comes after the target's first data
    // datagrams (two merged interfaces, a replay through the bridge) decode whole.
    const kdnet = this.startKey
      ? new KdnetDecoder<KdnetTag>(this.startKey, nodeKdnetCrypto, { hold: KDNET_HOLD_DATAGRAMS })
      : undefined;
    const udp: UdpView = { srcPort: 0, dstPort: 0, start: 0, end: 0, fullEnd: 0 };
    const skip = (reason: SkipReason): SkipReason => {
      stats.skipped++;
      stats.skippedBy[reason] = (stats.skippedBy[reason] ?? 0) + 1;
      return reason;
    };
    const unskip = (reason: SkipReason): void => {
      stats.skipped--;
      const left = (stats.skippedBy[reason] ?? 1) - 1;
      if (left > 0) stats.skippedBy[reason] = left;
      else delete stats.skippedBy[reason];
    };
    const bytesOf = stats.bytes;

    const classify = (
      frame: number,
      timeUs: number,
      linkType: number,
      buf: Uint8Array,
      start: number,
      end: number,
      epbFlags: number,
    ): FrameOutcome => {
      stats.frames++;
      if (isUserLinkType(linkType)) {
        const dir = directionFromEpbFlags(epbFlags);
        if (!dir) return skip('no-direction');
        stats.chunks++;
        bytesOf[dir] += end - start;
        callback(dir, buf, start, end, timeUs, frame);
        return 'chunk';
      }
      if (!isSupportedLinkType(linkType)) return skip('unsupported-linktype');
      const why = findUdp(linkType, buf, start, end, udp);
      if (why) return skip(why);
      if (udp.end < udp.fullEnd) stats.snapped++;
      const dir = wrapDirection(udp.srcPort, udp.dstPort);
      if (dir) {
        stats.chunks++;
        bytesOf[dir] += udp.end - udp.start;
        callback(dir, buf, udp.start, udp.end, timeUs, frame);
        return 'chunk';
      }
      const payload = buf.subarray(udp.start, udp.end);
      if (!hasKdnetMagic(payload)) return skip('other-udp');
      if (!kdnet) return skip('kdnet-no-key');
      stats.kdnet = kdnet.stats;
      const outcome = kdnet.decode(payload, { frame, timeUs });
      if (outcome.kind === 'kd') {
        stats.chunks++;
        bytesOf[outcome.dir] += outcome.bytes.length;
        callback(outcome.dir, outcome.bytes, 0, outcome.bytes.length, timeUs, frame);
        return 'chunk';
      }
      if (outcome.kind === 'control') {
        skip('kdnet-control');
        for (const { outcome: opened, tag } of kdnet.takeReleased()) {
          if (opened.kind !== 'kd') continue;
          // A chunk after all: it was counted skipped when it was held.
          unskip('kdnet-held');
          stats.chunks++;
          bytesOf[opened.dir] += opened.bytes.length;
          callback(opened.dir, opened.bytes, 0, opened.bytes.length, tag.timeUs, tag.frame);
        }
        return 'kdnet-control';
      }
      if (outcome.kind === 'held') {
        stats.firstKdnetRejection ??= { frame, detail: outcome.detail };
        return skip('kdnet-held');
      }
      stats.firstKdnetRejection ??= { frame, detail: outcome.detail };
      return skip('kdnet-rejected');
    };
    const onRecord: RecordSink = observe
      ? (frame, timeUs, linkType, buf, start, end, epbFlags) => {
          const outcome = classify(frame, timeUs, linkType, buf, start, end, epbFlags);
          observe(frame, timeUs, linkType, buf, start, end, outcome);
        }
      : classify;

    const parser =
      this.format === 'pcapng'
        ? pcapngParser(input, onRecord, range)
        : pcapParser(input, onRecord, range);
    // The end of a pass settles what the KDNET decoder still holds.
    const settle = kdnet ? () => settleKdnet(kdnet, stats) : undefined;
    return new ParserReader(parser, input, stats, settle);
  }
}

/** A container parser's pass with the end-of-input checks of a .gz capture. */
class ParserReader implements ChunkReader {
  private closed = false;

  constructor(
    private readonly parser: ContainerParser,
    private readonly input: CaptureInput,
    readonly stats: CaptureStats,
    private readonly settle?: () => void,
  ) {}

  private ended = false;

  get offset(): number {
    return this.parser.offset;
  }

  get contextAfterPackets(): boolean {
    return this.parser.contextAfterPackets;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settle?.();
  }

  step(maxFrames: number): boolean {
    let more: boolean;
    try {
      more = this.parser.step(maxFrames);
    } catch (err) {
      // A record cut short by a damaged .gz: the damage is what to report.
      if (!(err instanceof CaptureError) || this.input.gzipDamage === undefined) {
        this.end();
        throw err;
      }
      more = false;
    }
    if (!more) {
      this.end();
      const damage = this.input.gzipDamage;
      if (damage !== undefined) {
        const size = this.input.base + this.input.end;
        throw new CaptureError(
          `${damage} after ${size} decompressed bytes (frame ${this.stats.frames})`,
          size,
          this.stats.frames,
        );
      }
    }
    return more;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.close();
  }
}

/** Where a held KDNET datagram was, to deliver it there if a later key opens it. */
interface KdnetTag {
  readonly frame: number;
  readonly timeUs: number;
}

/** The end of a pass: what no key opened (still held, or pushed out) failed authentication. */
function settleKdnet(kdnet: KdnetDecoder<KdnetTag>, stats: CaptureStats): void {
  kdnet.finish();
  const held = stats.skippedBy['kdnet-held'];
  if (held === undefined) return;
  delete stats.skippedBy['kdnet-held'];
  stats.skippedBy['kdnet-rejected'] = (stats.skippedBy['kdnet-rejected'] ?? 0) + held;
}

export interface RawPairOptions {
  /** Piece size for interleaving the two streams (default 64 KiB). */
  readonly pieceSize?: number;
}

/**
 * Two raw byte streams (what each side sent). Their relative order is unknown, so they are
 * interleaved in pieces that keep both streams at the same fraction of their length: a
 * request is then never far from its reply in a tracker's view.
 */
export function openRawPair(
  debuggerPath: string,
  targetPath: string,
  options: RawPairOptions = {},
): CaptureSource {
  return new RawPairSource(
    debuggerPath,
    targetPath,
    readWhole(debuggerPath, 'debugger stream'),
    readWhole(targetPath, 'target stream'),
    options.pieceSize ?? 65536,
  );
}

class RawPairSource implements CaptureSource {
  readonly format = 'raw-pair';
  readonly compressed = false;
  readonly path: string;
  stats = emptyStats('raw-pair', false);

  constructor(
    debuggerPath: string,
    targetPath: string,
    private readonly debuggerBytes: Uint8Array,
    private readonly targetBytes: Uint8Array,
    private readonly pieceSize: number,
  ) {
    this.path = `${debuggerPath} + ${targetPath}`;
  }

  forEach(callback: (chunk: StreamChunk) => void): CaptureStats {
    return this.forEachRange((dir, bytes, start, end) =>
      callback({ frame: undefined, timeUs: 0, dir, bytes: bytes.subarray(start, end) }),
    );
  }

  forEachRange(callback: ChunkRangeSink): CaptureStats {
    return readAll(this.reader(callback));
  }

  reader(callback: ChunkRangeSink): ChunkReader {
    const stats = emptyStats('raw-pair', false);
    this.stats = stats;
    const d = this.debuggerBytes;
    const t = this.targetBytes;
    const emit = (dir: Direction, bytes: Uint8Array, start: number, end: number): void => {
      if (end === start) return;
      stats.chunks++;
      stats.bytes[dir] += end - start;
      callback(dir, bytes, start, end, 0, undefined);
    };
    const pieces = Math.max(1, Math.ceil(Math.max(d.length, t.length) / this.pieceSize));
    let dAt = 0;
    let tAt = 0;
    let piece = 0;
    return {
      stats,
      offset: NaN,
      contextAfterPackets: false,
      step: (maxPieces) => {
        const stop = Math.min(pieces, piece + maxPieces);
        while (piece < stop) {
          piece++;
          const dEnd = Math.round((d.length * piece) / pieces);
          const tEnd = Math.round((t.length * piece) / pieces);
          emit('debugger->target', d, dAt, dEnd);
          emit('target->debugger', t, tAt, tEnd);
          dAt = dEnd;
          tAt = tEnd;
        }
        return piece < pieces;
      },
      close: () => undefined,
    };
  }
}
