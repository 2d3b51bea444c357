// Records relayed chunks into a capture: one frame per chunk (several for a chunk larger than a
// frame holds), with the time it arrived. Each batch the bridge hands over is written with one
// synchronous call before write() returns, so the file is valid up to the last frame even
// after `kill -9`. A failed write (disk full, directory gone) stops recording with one line;
// the relay goes on.

import { PcapWriter, PcapngWriter } from '../../capture';
import type { FrameWriter } from '../../capture';
import type { StreamChunk } from '../../capture/chunk';
import type { BridgeTap, TapHost } from './types';

export type CaptureFormat = 'pcap' | 'pcapng';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `kdscope-YYYY-MM-DD-HH-mm-ss.pcap` in local time (the seed named its files the same way). */
export function defaultCaptureName(
  date: Date = new Date(),
  format: CaptureFormat = 'pcap',
): string {
  const stamp =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}-` +
    `${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}`;
  return `kdscope-${stamp}.${format}`;
}

export interface RecorderOptions {
  /**
   * Recording stops (with one line; the relay goes on) before a frame would take the capture
   * past this size, so a session left running cannot fill the disk.
   */
  readonly limitBytes?: number;
}

/** Record header and wrap of one frame, at most (pcapng with the UDP wrap, padded). */
export const FRAME_OVERHEAD = 96;

export class Recorder implements BridgeTap {
  readonly name = 'recorder';
  private report: (message: string) => void = () => undefined;
  private stopped = false;
  private closed = false;
  /**
   * Frames in the capture (a chunk larger than a frame holds is written as several), and inside
   * batch() the ones gathered to be written with it.
   */
  get frames(): number {
    return this.writer.framesQueued;
  }
  /** Why recording stopped early, if it did. */
  failure: string | undefined;

  constructor(
    private readonly writer: FrameWriter,
    readonly label: string,
    private readonly options: RecorderOptions = {},
  ) {}

  /** Creates the file now, so a bad path fails before the bridge starts (CaptureWriteError). */
  static open(
    path: string,
    format: CaptureFormat = 'pcap',
    options: RecorderOptions = {},
  ): Recorder {
    const writer = format === 'pcapng' ? PcapngWriter.open(path) : PcapWriter.open(path);
    return new Recorder(writer, path, options);
  }

  /** Bytes in the capture so far. */
  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }

  bind(host: TapHost): void {
    this.report = (message) => host.report(message);
  }

  get recording(): boolean {
    return !this.stopped;
  }

  write(batch: readonly StreamChunk[]): void {
    if (this.stopped) return;
    const limit = this.options.limitBytes;
    let full = false;
    this.batch(() => {
      for (const chunk of batch) {
        if (
          limit !== undefined &&
          this.writer.bytesWritten + chunk.bytes.length + FRAME_OVERHEAD > limit
        ) {
          full = true;
          return;
        }
        this.writer.write(chunk);
      }
    });
    if (full) this.fail(`the capture reached its size limit (${formatLimit(limit!)})`);
  }

  /**
   * Runs `work`, whose write() calls reach the file with one system call when it returns:
   * chatty small packets then cost a call per batch, not per chunk (each call stalls the relay's
   * thread, and a round trip that arrives meanwhile waits). A failed write stops recording.
   */
  batch(work: () => void): void {
    try {
      this.writer.batch(work);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  private fail(failure: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.failure = failure;
    this.report(`recording stopped (the relay goes on): ${this.failure}`);
    this.closeWriter();
  }

  close(): void {
    this.stopped = true;
    this.closeWriter();
  }

  private closeWriter(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.close();
    } catch (error) {
      this.report((error as Error).message);
    }
  }
}

export function formatLimit(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units)
    if (bytes >= size) return `${+(bytes / size).toFixed(1)} ${unit}`;
  return `${bytes} B`;
}
