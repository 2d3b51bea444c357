// A capture opened into the view: read in steps through the same pipeline as `kdscope decode`
// (openCapture, then the session decoder the live bridge uses, with its bytes kept so the UI
// can show any packet's bytes and details), its records handed on as they come, yielding to
// the event loop between steps so the engine stays responsive while a large file streams in.
// Before that, a short look at the start of the capture says whether KDNET datagrams need a
// key (none given, or one that fails authentication), which the UI then asks for.

import { basename } from 'node:path';
import { statSync } from 'node:fs';
import { OPEN_ERRORS, type OpenCaptureRequest, type OpenedCapture } from '../../api/contract';
import { CaptureError, captureErrorLine } from '../../capture/capture-error';
import {
  openCapture,
  openRawPair,
  type CaptureSource,
  type CaptureStats,
  type FrameOutcome,
} from '../../capture/capture-source';
import type { RecordSink } from '../bridge/types';
import { KdnetKeyError, parseKdnetKey } from '../../../protocol/kdnet/key';
import {
  PAGED_BYTES_PER_DIRECTION,
  sessionBridgeDecoder,
  type SessionBridgeDecoder,
} from '../session/decoder';
import { indexReading, type ReadingIndexer } from '../session/capture-index';
import { CapturePager } from '../session/capture-pager';
import { CaptureRateBins } from './capture-rates';

/** A refusal the UI acts on: its name is one of OPEN_ERRORS (or CaptureOpenError). */
export class CaptureOpenError extends Error {
  constructor(
    message: string,
    override readonly name: string = 'CaptureOpenError',
  ) {
    super(message);
  }
}

/** Frames looked at, at most, to decide whether a key is needed before anything is shown. */
const PROBE_FRAMES = 20_000;
/** Frames per reading step; a step also ends after STEP_MS. */
const STEP_FRAMES = 2048;
const STEP_MS = 20;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How to open the request's source again (an export reads it once more). */
export interface SourceSpec {
  readonly path: string;
  readonly targetPath?: string;
  readonly key?: string;
  open(): CaptureSource;
}

export function sourceSpec(request: OpenCaptureRequest): SourceSpec {
  const key = request.key?.trim() || undefined;
  if (request.debugger !== undefined && request.target !== undefined) {
    const d = request.debugger;
    const t = request.target;
    return { path: d, targetPath: t, open: () => openRawPair(d, t) };
  }
  const path = request.path!;
  let parsed: Uint8Array | undefined;
  if (key) {
    try {
      parsed = parseKdnetKey(key);
    } catch (error) {
      // The key's text is not repeated: it goes to no log and no error line.
      if (!(error instanceof KdnetKeyError)) throw error;
      throw new CaptureOpenError(
        'that is no KDNET key: expected W.X.Y.Z, four base-36 numbers (as in bcdedit /dbgsettings net key:)',
        OPEN_ERRORS.keyRejected,
      );
    }
  }
  return {
    path,
    ...(key ? { key } : {}),
    open: () => openCapture(path, parsed ? { key: parsed } : {}),
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Opens the source and looks at its start: throws CaptureOpenError (unreadable, not a capture,
 * bad key text) or one named KdnetKeyMissing / KdnetKeyRejected when the KDNET datagrams it
 * holds cannot be read with the key given.
 */
export function openForView(spec: SourceSpec): CaptureSource {
  let source: CaptureSource;
  try {
    source = spec.open();
  } catch (error) {
    if (error instanceof CaptureError) throw new CaptureOpenError(error.message);
    throw error;
  }
  const seen = new Map<FrameOutcome, number>();
  const reader = source.reader(
    () => undefined,
    (_f, _t, _l, _b, _s, _e, outcome) => seen.set(outcome, (seen.get(outcome) ?? 0) + 1),
  );
  try {
    let more = true;
    let read = 0;
    while (more && !seen.has('chunk') && read < PROBE_FRAMES) {
      more = reader.step(256);
      read = reader.stats.frames;
    }
  } catch (error) {
    // A damaged capture is shown up to the damage; reading it says where.
    if (!(error instanceof CaptureError)) throw error;
  } finally {
    reader.close();
  }
  if (seen.has('chunk')) return source;
  const noKey = seen.get('kdnet-no-key') ?? 0;
  if (noKey > 0)
    throw new CaptureOpenError(
      `${basename(spec.path)} holds KDNET datagrams (${noKey} in its first frames): they are encrypted, give the key (W.X.Y.Z)`,
      OPEN_ERRORS.keyMissing,
    );
  const rejected = seen.get('kdnet-rejected') ?? 0;
  if (rejected > 0) {
    const first = reader.stats.firstKdnetRejection;
    throw new CaptureOpenError(
      `${rejected} KDNET datagrams of ${basename(spec.path)} failed authentication with this key: wrong key?${first ? ` (frame ${first.frame}: ${first.detail})` : ''}`,
      OPEN_ERRORS.keyRejected,
    );
  }
  return source;
}

export function openedInfo(
  spec: SourceSpec,
  source: CaptureSource,
  name: string | undefined,
): OpenedCapture {
  return {
    name: name ?? basename(spec.path),
    path: spec.path,
    ...(spec.targetPath ? { targetPath: spec.targetPath } : {}),
    format: source.format,
    compressed: source.compressed,
    bytes: fileSize(spec.path) + (spec.targetPath ? fileSize(spec.targetPath) : 0),
    frames: 0,
  };
}

export interface ReadingHost extends RecordSink {
  /** A step's worth was read (counters may be refreshed). */
  progress(stats: CaptureStats): void;
}

export interface ReadingEnd {
  readonly stats: CaptureStats;
  readonly cancelled: boolean;
  /** Why reading stopped early (cut or corrupt capture), one line. */
  readonly problem?: string;
}

/**
 * Why rows of an opened capture cannot be read back from its file, or undefined when they can
 * (an uncompressed pcap or pcapng of the KD streams themselves).
 */
export function unpageableReason(spec: SourceSpec, source: CaptureSource): string | undefined {
  if (source.format === 'raw-pair') return 'a raw pair is not indexed';
  // gzip has no random access: a page would inflate the file from its start each time.
  if (source.compressed) return 'a compressed capture has no random access';
  // Decrypting KDNET datagrams depends on the key exchange before them (the data key, held
  // datagrams): a page decoded from the middle of the file could not open them.
  if (spec.key !== undefined) return 'KDNET datagrams are decrypted from the key exchange on';
  return undefined;
}

/**
 * The opened capture's pass: decodes it into the host; its decoder keeps the packets' bytes.
 * A pageable capture is indexed as it is read (checkpoints every `checkpointRecords` records),
 * so rows the view no longer holds are decoded again from the file by `pager`, as a live
 * session's are from its recording, and only recent packets' bytes are kept in memory. The
 * same pass counts every chunk and record into `rates` (the whole capture's I/O graph).
 */
export class CaptureReading {
  readonly decoder: SessionBridgeDecoder;
  /** Old rows (and their bytes) read back from the file; undefined when `unpageable`. */
  readonly pager: CapturePager | undefined;
  readonly unpageable: string | undefined;
  /** Packets and bytes per direction over the capture's span; undefined when not asked for. */
  readonly rates: CaptureRateBins | undefined;
  private readonly indexer: ReadingIndexer | undefined;
  private cancelled = false;

  constructor(
    readonly spec: SourceSpec,
    readonly source: CaptureSource,
    checkpointRecords?: number,
    options: { readonly rates?: boolean } = {},
  ) {
    if (options.rates !== false) this.rates = new CaptureRateBins();
    this.unpageable = unpageableReason(spec, source);
    const paged = this.unpageable === undefined;
    const decoder = sessionBridgeDecoder({
      keepBytes: paged ? { bytesPerDirection: PAGED_BYTES_PER_DIRECTION } : {},
    });
    this.decoder = decoder;
    if (paged) {
      this.indexer = indexReading(source.path, decoder, checkpointRecords);
      this.pager = new CapturePager(this.indexer.index, { frames: true });
    }
  }

  cancel(): void {
    this.cancelled = true;
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  async run(host: ReadingHost): Promise<ReadingEnd> {
    const decoder = this.decoder;
    const indexer = this.indexer;
    const rates = this.rates;
    const inner = indexer ? indexer.sink(host) : host;
    const sink: RecordSink = rates
      ? {
          record(record) {
            rates.record(record.dir, record.time);
            inner.record(record);
          },
          update: (record) => inner.update(record),
        }
      : inner;
    const reader = this.source.reader((dir, bytes, start, end, timeUs, frame) => {
      rates?.chunk(dir, timeUs / 1000, end - start);
      if (indexer) {
        if (reader.contextAfterPackets)
          indexer.stop('the capture declares a section or interface after its first packets');
        indexer.beforeChunk(reader.offset, frame!);
      }
      decoder.push(dir, bytes.subarray(start, end), timeUs / 1000, sink, frame);
    });
    let problem: string | undefined;
    try {
      let more = true;
      while (more && !this.cancelled) {
        const until = performance.now() + STEP_MS;
        do more = reader.step(STEP_FRAMES);
        while (more && performance.now() < until);
        indexer?.covered(reader.offset);
        host.progress(reader.stats);
        if (more) await yieldToLoop();
      }
    } catch (error) {
      if (!(error instanceof CaptureError)) throw error;
      problem = captureErrorLine(basename(this.spec.path), error);
      // The damaged record is where the readable part ends.
      indexer?.covered(reader.offset);
    } finally {
      reader.close();
    }
    // The end of the capture: an unfinished packet is reported as truncated, as decode does.
    if (!this.cancelled) {
      decoder.end!(sink);
      indexer?.ended();
    }
    return { stats: reader.stats, cancelled: this.cancelled, ...(problem ? { problem } : {}) };
  }

  /** The bytes of record `no` as on the wire (recent ones kept, older read back), or null. */
  bytesOf(no: number): ReturnType<SessionBridgeDecoder['recordBytes']> {
    return this.decoder.recordBytes(no) ?? this.pager?.bytes(no) ?? null;
  }
}
