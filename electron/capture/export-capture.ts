// Exporting a capture, or the packets of it someone chose (Wireshark's "Export Specified
// Packets"), shared by `kdscope export` and the workbench. Two ways to write:
//
//  - the KD stream (the seed's UDP wrap in pcap, or pcapng): every chunk as one frame, or each
//    chosen record (packet, break-in, garbage run) as one frame holding exactly its bytes. A
//    KDNET capture comes out decrypted.
//  - as captured (a KDNET capture that stays encrypted): every frame, or the frames that carry
//    the chosen records plus the KDNET control datagrams (without the key exchange a reader
//    cannot decrypt the rest); a second pass over the capture writes them.
//
// The work is done in steps of a few thousand frames, so the workbench can report progress,
// honour a cancel and keep relaying between them; the CLI runs the steps back to back.

import type { Direction } from '../../protocol/kd/events';
import { describePacket } from '../../protocol/kd/payloads';
import { SessionDecoder } from '../../protocol/session/pipeline';
import type { PacketRecord } from '../../protocol/session/record';
import { SettleQueue } from '../../protocol/session/settle';
import type { PacketSummary } from '../../protocol/kd/summary';
import { ByteLog } from '../engine/session/byte-log';
import { AsCapturedWriter } from './as-captured-writer';
import { CaptureError } from './capture-error';
import type { CaptureSource, CaptureStats, ChunkReader } from './capture-source';
import { PcapWriter, PcapngWriter } from './capture-writers';

export type ExportFileFormat = 'pcap' | 'pcapng';

/** Which records to export (all of them: every chunk, or every frame, as it was). */
export type ExportChoice =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'records';
      readonly select: (record: PacketRecord) => boolean;
      /**
       * The choice reads what the tracker adds later (ack, pair, rtt: a display filter), so
       * each record waits until it is final. A choice by no. does not need to.
       */
      readonly settled?: boolean;
      /** No record after this no. is chosen: reading stops there. */
      readonly lastNo?: number;
      /**
       * The choice needs the payload fields (api, status, text...): a filter does. 'fields'
       * leaves out the one-line info (most of describing a packet) for a filter not on it.
       */
      readonly describe?: 'full' | 'fields';
    };

export interface ExportOptions {
  readonly source: CaptureSource;
  readonly out: string;
  readonly format: ExportFileFormat;
  readonly choice: ExportChoice;
  /** Write frames as captured (a KDNET capture, encrypted) instead of the KD stream. */
  readonly asCaptured?: boolean;
  /** Frames read per step (default 4096). */
  readonly stepFrames?: number;
}

export interface ExportProgressInfo {
  /** 1-based pass over the capture, of `passes`. */
  readonly pass: number;
  readonly passes: number;
  /** Frames read in this pass. */
  readonly framesRead: number;
  /** Frames in the output so far. */
  readonly framesWritten: number;
}

export interface ExportOutcome {
  /** Frames the file holds. */
  readonly framesWritten: number;
  /** Records chosen and written (records exports). */
  readonly records: number;
  /** The source's counters of the (last) pass. */
  readonly stats: CaptureStats;
  /** The source is damaged: what was read before the damage was exported. */
  readonly failure?: CaptureError;
}

/** Thrown from a chunk callback to end a pass early (the last chosen record was written). */
class EnoughRead extends Error {}

const NO_SUMMARY: PacketSummary = {};
const NO_INFO = { info: false } as const;
const noSummary = (): PacketSummary => NO_SUMMARY;

/** Frame numbers as a growable bitmap (a frame is chosen or not). */
class FrameSet {
  private bits = new Uint8Array(1024);

  add(frame: number): void {
    const byte = frame >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[byte]! |= 1 << (frame & 7);
  }

  has(frame: number): boolean {
    return ((this.bits[frame >>> 3] ?? 0) & (1 << (frame & 7))) !== 0;
  }
}

/** Where each chunk of one direction starts in its stream, for "which frames hold a record". */
class ChunkFrames {
  private starts: number[] = [];
  private frames: number[] = [];
  private head = 0;
  private end = 0;

  add(length: number, frame: number): void {
    this.starts.push(this.end);
    this.frames.push(frame);
    this.end += length;
  }

  /** Calls `each` with every frame holding a byte of [offset, offset + length). */
  framesOf(offset: number, length: number, each: (frame: number) => void): void {
    // Records come in stream order: chunks wholly before this one are not needed again.
    while (this.head + 1 < this.starts.length && this.starts[this.head + 1]! <= offset) this.head++;
    if (this.head > 4096) {
      this.starts = this.starts.slice(this.head);
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    const stop = offset + Math.max(1, length);
    for (let i = this.head; i < this.starts.length && this.starts[i]! < stop; i++)
      each(this.frames[i]!);
  }
}

type Pass = {
  readonly reader: ChunkReader;
  /** After the reader ended (flush the decoder, for instance). */
  finish(): void;
};

/**
 * An export in steps: `step()` does a slice of the work and returns false when it is done;
 * `close()` (always) closes the file and the reader. `outcome()` once done.
 */
export class CaptureExport {
  private readonly stepFrames: number;
  private readonly passes: number;
  private passIndex = 0;
  private pass: Pass | undefined;
  private readonly writeKd: PcapWriter | PcapngWriter | undefined;
  private readonly writeFrames: AsCapturedWriter | undefined;
  private records = 0;
  private failure: CaptureError | undefined;
  private done = false;
  private closed = false;
  private stats: CaptureStats;
  /** As captured, with a choice: the frames pass 1 found. */
  private readonly chosenFrames = new FrameSet();

  constructor(private readonly options: ExportOptions) {
    this.stepFrames = options.stepFrames ?? 4096;
    const asCaptured = options.asCaptured === true;
    this.passes = asCaptured && options.choice.kind === 'records' ? 2 : 1;
    // Gathered writes: an export is a whole file, not a live recording.
    if (asCaptured)
      this.writeFrames = AsCapturedWriter.open(options.out, options.format, {
        bufferBytes: 1 << 20,
      });
    else
      this.writeKd =
        options.format === 'pcapng'
          ? PcapngWriter.open(options.out, { bufferBytes: 1 << 20 })
          : PcapWriter.open(options.out, { bufferBytes: 1 << 20 });
    this.stats = options.source.stats;
  }

  get progress(): ExportProgressInfo {
    return {
      pass: Math.max(1, this.passIndex),
      passes: this.passes,
      framesRead: this.pass?.reader.stats.frames ?? this.stats.frames,
      framesWritten: this.framesWritten,
    };
  }

  get framesWritten(): number {
    return (this.writeKd ?? this.writeFrames)!.framesWritten;
  }

  /** Does up to stepFrames frames of work; false once the export is complete. */
  step(): boolean {
    if (this.done) return false;
    if (!this.pass) this.pass = this.startPass(++this.passIndex);
    let more: boolean;
    try {
      more = this.pass.reader.step(this.stepFrames);
    } catch (error) {
      if (error instanceof EnoughRead) more = false;
      else if (error instanceof CaptureError) {
        // What was read before the damage is still exported.
        this.failure = error;
        more = false;
      } else throw error;
    }
    if (more) return true;
    this.stats = this.pass.reader.stats;
    this.pass.finish();
    this.pass.reader.close();
    this.pass = undefined;
    if (this.passIndex < this.passes && this.failure === undefined) return true;
    this.done = true;
    return false;
  }

  /** Flushes and closes the file (and the reader of an unfinished pass). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pass?.reader.close();
    (this.writeKd ?? this.writeFrames)!.close();
  }

  outcome(): ExportOutcome {
    return {
      framesWritten: this.framesWritten,
      records: this.records,
      stats: this.stats,
      ...(this.failure ? { failure: this.failure } : {}),
    };
  }

  private startPass(index: number): Pass {
    const { choice, source } = this.options;
    if (this.writeFrames) {
      const frames = this.writeFrames;
      if (choice.kind === 'all') {
        return {
          reader: source.reader(
            () => undefined,
            (_frame, timeUs, linkType, bytes, start, end) =>
              frames.write(linkType, timeUs, bytes, start, end),
          ),
          finish: () => undefined,
        };
      }
      if (index === 1) return this.findFrames(choice);
      const chosen = this.chosenFrames;
      return {
        reader: source.reader(
          () => undefined,
          (frame, timeUs, linkType, bytes, start, end, outcome) => {
            if (outcome === 'kdnet-control' || chosen.has(frame))
              frames.write(linkType, timeUs, bytes, start, end);
          },
        ),
        finish: () => undefined,
      };
    }
    const kd = this.writeKd!;
    if (choice.kind === 'all') {
      return {
        reader: source.reader((dir, bytes, start, end, timeUs) =>
          kd.write({ dir, timeUs, bytes: bytes.subarray(start, end) }),
        ),
        finish: () => undefined,
      };
    }
    const logs: Record<Direction, ByteLog> = {
      'debugger->target': new ByteLog(64 << 20),
      'target->debugger': new ByteLog(64 << 20),
    };
    return this.decodePass(
      choice,
      (dir, bytes, start, end) => logs[dir].appendRange(bytes, start, end),
      (record) => {
        // Written (copied) at once: a view of the log is enough.
        const bytes = logs[record.dir].peek(record.offset, record.length);
        // Older than the bytes kept (a record waiting longer than 64 MiB of its stream): skipped.
        if (!bytes) return;
        kd.write({ dir: record.dir, timeUs: Math.round(record.time * 1000), bytes });
        this.records++;
      },
    );
  }

  /** Pass 1 of a chosen export as captured: which frames carry the chosen records. */
  private findFrames(choice: Extract<ExportChoice, { kind: 'records' }>): Pass {
    const chunks: Record<Direction, ChunkFrames> = {
      'debugger->target': new ChunkFrames(),
      'target->debugger': new ChunkFrames(),
    };
    return this.decodePass(
      choice,
      (dir, _bytes, start, end, frame) => {
        if (frame !== undefined) chunks[dir].add(end - start, frame);
      },
      (record) => {
        chunks[record.dir].framesOf(record.offset, record.length, (f) => this.chosenFrames.add(f));
        this.records++;
      },
    );
  }

  /** A pass through the session decoder: `chosen` gets each chosen record in no. order. */
  private decodePass(
    choice: Extract<ExportChoice, { kind: 'records' }>,
    onChunk: (
      dir: Direction,
      bytes: Uint8Array,
      start: number,
      end: number,
      frame: number | undefined,
    ) => void,
    chosen: (record: PacketRecord) => void,
  ): Pass {
    const last = choice.lastNo ?? Infinity;
    let enough = false;
    const pass = (record: PacketRecord): void => {
      if (record.no > last) {
        enough = true;
        return;
      }
      if (choice.select(record)) chosen(record);
    };
    const holder: { queue?: SettleQueue } = {};
    const decoder = new SessionDecoder({
      onRecord: choice.settled ? (record) => holder.queue!.add(record) : pass,
      ...(choice.describe === 'full'
        ? {}
        : {
            describe:
              choice.describe === 'fields'
                ? (type: number, payload: Uint8Array, dir: Direction) =>
                    describePacket(type, payload, dir, NO_INFO)
                : noSummary,
          }),
    });
    const queue = choice.settled ? new SettleQueue(decoder.tracker, pass) : undefined;
    holder.queue = queue;
    const reader = this.options.source.reader((dir, bytes, start, end, timeUs, frame) => {
      onChunk(dir, bytes, start, end, frame);
      decoder.pushRange(dir, bytes, start, end, timeUs / 1000, frame);
      if (enough) throw new EnoughRead();
    });
    return {
      reader,
      finish: () => {
        if (enough) return;
        decoder.end();
        queue?.end();
      },
    };
  }
}

/** Runs an export to its end at once (the CLI); the file is closed when it returns or throws. */
export function exportCapture(options: ExportOptions): ExportOutcome {
  const job = new CaptureExport({ ...options, stepFrames: options.stepFrames ?? 1 << 30 });
  try {
    while (job.step());
  } finally {
    job.close();
  }
  return job.outcome();
}
