// PcapWriter (the seed's format) and PcapngWriter: FrameWriters over a FileSink. Each frame
// is encoded into one buffer and written with one synchronous call, so the file is a valid
// capture up to the last whole frame at any moment.

import type { CaptureFrame, FrameWriter } from './frame-writer';
import { FileSink } from './file-sink';
import { pcapFileHeader, pcapRecords } from './pcap-format';
import { pcapngHeader, pcapngPacketBlocks } from './pcapng-format';
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
  /** Frames written (a split chunk counts once per piece). */
  framesWritten = 0;
  chunksWritten = 0;
  protected ipId = 1;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly bufferBytes: number;

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

  get label(): string {
    return this.sink.label;
  }

  /** Throws CaptureWriteError (one line) when the write fails; the file stays valid. */
  write(frame: CaptureFrame): void {
    const pieces = Math.max(1, Math.ceil(frame.bytes.length / this.maxPayload));
    const bytes = this.encode(frame, this.ipId);
    if (this.bufferBytes === 0) {
      this.sink.write(bytes);
    } else {
      this.pending.push(bytes);
      this.pendingBytes += bytes.length;
      if (this.pendingBytes >= this.bufferBytes) this.flush();
    }
    this.ipId = (this.ipId + pieces) & 0xffff;
    this.framesWritten += pieces;
    this.chunksWritten++;
  }

  /** Writes gathered frames (bufferBytes > 0); throws CaptureWriteError like write(). */
  flush(): void {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    const out = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.sink.write(out);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      this.sink.close();
    }
  }

  protected abstract encode(frame: CaptureFrame, ipId: number): Uint8Array;
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

  protected encode(frame: CaptureFrame, ipId: number): Uint8Array {
    return pcapRecords(frame, ipId, this.maxPayload);
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

  protected encode(frame: CaptureFrame, ipId: number): Uint8Array {
    return pcapngPacketBlocks(frame, this.encapsulation, ipId, this.maxPayload);
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
