// PcapWriter (the seed's format) and PcapngWriter: FrameWriters over a FileSink. Each frame
// (or each batch() of them) is encoded into one buffer and written with one synchronous call,
// so the file is a valid capture up to the last whole frame at any moment.

import type { StreamChunk } from './chunk';
import type { FrameWriter } from './frame-writer';
import { FileSink } from './file-sink';
import { pcapFileHeader, pcapRecordsInto, pcapRecordsSize } from './pcap-format';
import { pcapngHeader, pcapngPacketBlocksInto, pcapngPacketBlocksSize } from './pcapng-format';
import type { PcapngEncapsulation } from './pcapng-format';
import { MAX_WRAP_PAYLOAD } from './udp-wrap';

export interface CaptureWriterOptions {
  /** Largest payload per frame; longer chunks are split (default: what fits 65535 bytes). */
  readonly maxPayload?: number;
  /**
   * 0 (default, for live recording): every frame is written when write() returns.
   * N > 0 (for exporting whole files): frames are gathered and written N bytes at a time,
   * and on flush() / close().
   */
  readonly bufferBytes?: number;
}

export interface PcapngWriterOptions extends CaptureWriterOptions {
  /** 'udp' (default): the seed's Ethernet/IPv4/UDP wrap; 'raw': KD bytes, direction in flags. */
  readonly encapsulation?: PcapngEncapsulation;
}

abstract class SinkWriter implements FrameWriter {
  /** Frames in the file (a split chunk counts once per piece); gathered ones count once written. */
  framesWritten = 0;
  chunksWritten = 0;
  protected ipId = 1;
  /** Frames are encoded here; in buffered mode they gather here until it is full. */
  private buffer = new Uint8Array(65536);
  private used = 0;
  /** Frames and chunks encoded in `buffer`, not yet in the file. */
  private pendingFrames = 0;
  private pendingChunks = 0;
  private readonly bufferBytes: number;
  /** Inside batch(): frames gather until it returns (or the buffer fills). */
  private batching = 0;

  protected constructor(
    private readonly sink: FileSink,
    header: Uint8Array,
    protected readonly maxPayload: number,
    options: CaptureWriterOptions,
  ) {
    this.bufferBytes = Math.max(0, options.bufferBytes ?? 0);
    try {
      sink.write(header);
    } catch (err) {
      sink.close();
      throw err;
    }
  }

  get framesQueued(): number {
    return this.framesWritten + this.pendingFrames;
  }

  get label(): string {
    return this.sink.label;
  }

  /** Bytes in the capture so far, header included (gathered frames not yet flushed count too). */
  get bytesWritten(): number {
    return this.sink.bytesWritten + this.used;
  }

  /** Throws CaptureWriteError (one line) when the write fails; the file stays valid. */
  write(frame: StreamChunk): void {
    const pieces = Math.max(1, Math.ceil(frame.bytes.length / this.maxPayload));
    const size = this.encodedSize(frame);
    if (this.used + size > this.buffer.length) {
      this.flush();
      if (size > this.buffer.length)
        this.buffer = new Uint8Array(Math.max(size, this.buffer.length * 2));
    }
    this.used += this.encodeInto(this.buffer, this.used, frame, this.ipId);
    this.ipId = (this.ipId + pieces) & 0xffff;
    this.pendingFrames += pieces;
    this.pendingChunks++;
    if (this.batching === 0 && this.used >= this.bufferBytes) this.flush();
  }

  batch(work: () => void): void {
    this.batching++;
    try {
      work();
    } finally {
      this.batching--;
    }
    if (this.batching === 0 && this.used >= this.bufferBytes) this.flush();
  }

  /** Writes gathered frames (bufferBytes > 0); throws CaptureWriteError like write(). */
  flush(): void {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    const frames = this.pendingFrames;
    const chunks = this.pendingChunks;
    // Dropped even when the write fails: the sink has cut the file back to whole frames, and
    // the counts say what the file holds.
    this.used = 0;
    this.pendingFrames = 0;
    this.pendingChunks = 0;
    this.sink.write(bytes);
    this.framesWritten += frames;
    this.chunksWritten += chunks;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.sink.close();
    }
  }

  protected abstract encodedSize(frame: StreamChunk): number;
  protected abstract encodeInto(
    out: Uint8Array,
    at: number,
    frame: StreamChunk,
    ipId: number,
  ): number;
}

export class PcapWriter extends SinkWriter {
  private constructor(sink: FileSink, options: CaptureWriterOptions) {
    super(sink, pcapFileHeader(), clampPayload(options.maxPayload, MAX_WRAP_PAYLOAD), options);
  }

  static open(path: string, options: CaptureWriterOptions = {}): PcapWriter {
    return new PcapWriter(FileSink.create(path), options);
  }

  static fromFd(
    fd: number,
    options: CaptureWriterOptions & { label?: string; closeFd?: boolean } = {},
  ): PcapWriter {
    return new PcapWriter(FileSink.fromFd(fd, options.label, options.closeFd), options);
  }

  protected encodedSize(frame: StreamChunk): number {
    return pcapRecordsSize(frame, this.maxPayload);
  }

  protected encodeInto(out: Uint8Array, at: number, frame: StreamChunk, ipId: number): number {
    return pcapRecordsInto(out, at, frame, ipId, this.maxPayload);
  }
}

export class PcapngWriter extends SinkWriter {
  private readonly encapsulation: PcapngEncapsulation;

  private constructor(sink: FileSink, options: PcapngWriterOptions) {
    const encapsulation = options.encapsulation ?? 'udp';
    super(
      sink,
      pcapngHeader(encapsulation),
      clampPayload(options.maxPayload, encapsulation === 'udp' ? MAX_WRAP_PAYLOAD : 65535),
      options,
    );
    this.encapsulation = encapsulation;
  }

  static open(path: string, options: PcapngWriterOptions = {}): PcapngWriter {
    return new PcapngWriter(FileSink.create(path), options);
  }

  static fromFd(
    fd: number,
    options: PcapngWriterOptions & { label?: string; closeFd?: boolean } = {},
  ): PcapngWriter {
    return new PcapngWriter(FileSink.fromFd(fd, options.label, options.closeFd), options);
  }

  protected encodedSize(frame: StreamChunk): number {
    return pcapngPacketBlocksSize(frame, this.encapsulation, this.maxPayload);
  }

  protected encodeInto(out: Uint8Array, at: number, frame: StreamChunk, ipId: number): number {
    return pcapngPacketBlocksInto(out, at, frame, this.encapsulation, ipId, this.maxPayload);
  }
}

function clampPayload(requested: number | undefined, limit: number): number {
  if (requested === undefined) return limit;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new RangeError(`maxPayload must be a positive integer, not ${requested}`);
  }
  return Math.min(requested, limit);
}

/** A writer for `path` by its extension: .pcapng -> PcapngWriter, anything else -> PcapWriter. */
export function openCaptureWriter(
  path: string,
  options: PcapngWriterOptions = {},
): PcapWriter | PcapngWriter {
  return /\.pcapng$/i.test(path)
    ? PcapngWriter.open(path, options)
    : PcapWriter.open(path, options);
}
