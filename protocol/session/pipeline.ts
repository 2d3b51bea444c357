// The decode pipeline every consumer shares (the CLI, the bridge's live tap, the UI's capture
// import): one framing decoder per direction, the payload summary of each data packet, and
// the session tracker over both directions.

import { KdStreamDecoder, type KdDecoderOptions, type KdDecoderSnapshot } from '../kd/decoder';
import type { Direction, KdEvent } from '../kd/events';
import { describePacket } from '../kd/payloads/index';
import type { PacketSummary } from '../kd/summary';
import type { PacketRecord } from './record';
import type { SessionSummary } from './summary';
import { SessionTracker, type TrackerCheckpoint } from './tracker';

/** One direction of a SessionCheckpoint. */
export interface StreamCheckpoint {
  /** The framing decoder's state: a pending run, a packet being assembled. */
  readonly decoder: KdDecoderSnapshot;
  /** Bytes were pushed since this direction was last flushed (see pushRange). */
  readonly unflushed: boolean;
  /**
   * Capture frames of the bytes not yet reported (pairs of stream offset and frame, from the
   * one the earliest such byte came from): absent when none were pushed with a frame number.
   */
  readonly frames: Float64Array | undefined;
}

/**
 * Where a SessionDecoder can be resumed, taken between any two chunks: each direction's stream
 * position and framing state, the time of the last chunk, and the tracker's state.
 */
export interface SessionCheckpoint {
  readonly offsets: Readonly<Record<Direction, number>>;
  readonly streams: Readonly<Record<Direction, StreamCheckpoint>>;
  /** Time of the last chunk pushed: what a flush before the next chunk stamps its events with. */
  readonly timeMs: number;
  readonly tracker: TrackerCheckpoint;
}

/**
 * Frame entries a checkpoint holds per direction at most: a run or packet spread over more
 * frames than this (a byte per frame) waits for a later chunk boundary to be checkpointed.
 */
export const MAX_CHECKPOINT_FRAMES = 64;

export interface SessionDecoderOptions {
  /** Every record, in the order the bytes were pushed. */
  readonly onRecord: (record: PacketRecord) => void;
  /** A record emitted earlier got a forward link (`ack`, `pair`) or lost NO_RESPONSE. */
  readonly onUpdate?: (record: PacketRecord) => void;
  readonly decoder?: KdDecoderOptions;
  /**
   * Payload summary of a data packet (request or reply told by `dir`); describePacket by
   * default. The payload is valid during the call only: the summary must not keep it.
   */
  readonly describe?: (type: number, payload: Uint8Array, dir: Direction) => PacketSummary;
  readonly maxPendingRequests?: number;
  /**
   * Carry on from another decoder's checkpoint(): fed the bytes that followed it, this decoder
   * reports the records that one did, numbered, linked and flagged the same.
   */
  readonly resume?: SessionCheckpoint;
}

/**
 * Stream offset -> capture frame for one direction. Events arrive in offset order, so a queue
 * of chunk starts with a moving head answers each lookup in amortised O(1). It holds only the
 * chunks since the start of the oldest event still being assembled, in a ring that grows when
 * full (nothing is allocated per chunk).
 */
class FrameCursor {
  private starts = new Float64Array(64);
  private frames = new Float64Array(64);
  private mask = 63;
  /** Ring index of the oldest entry. */
  private head = 0;
  private count = 0;

  add(start: number, frame: number): void {
    if (this.count > 0 && this.frames[(this.head + this.count - 1) & this.mask] === frame) return;
    if (this.count > this.mask) this.grow();
    const at = (this.head + this.count) & this.mask;
    this.starts[at] = start;
    this.frames[at] = frame;
    this.count++;
  }

  at(offset: number): number | undefined {
    if (this.count === 0) return undefined;
    const mask = this.mask;
    let head = this.head;
    let count = this.count;
    while (count > 1 && this.starts[(head + 1) & mask]! <= offset) {
      head = (head + 1) & mask;
      count--;
    }
    this.head = head;
    this.count = count;
    return this.frames[head];
  }

  /** Index (from the oldest kept) of the entry holding stream offset `offset`, else 0. */
  private firstFor(offset: number): number {
    // Starts ascend: the last one at or before `offset`, by bisection (the ring can be long
    // while a run spans many frames).
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[(this.head + mid) & this.mask]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** How many entries since(offset) would hold. */
  countSince(offset: number): number {
    return this.count === 0 ? 0 : this.count - this.firstFor(offset);
  }

  /** The entries from the one holding `offset` on, as (start, frame) pairs; undefined if none. */
  since(offset: number): Float64Array | undefined {
    if (this.count === 0) return undefined;
    const first = this.firstFor(offset);
    const pairs = new Float64Array((this.count - first) * 2);
    for (let k = first, j = 0; k < this.count; k++, j += 2) {
      const at = (this.head + k) & this.mask;
      pairs[j] = this.starts[at]!;
      pairs[j + 1] = this.frames[at]!;
    }
    return pairs;
  }

  private grow(): void {
    const size = this.starts.length;
    const starts = new Float64Array(size * 2);
    const frames = new Float64Array(size * 2);
    for (let i = 0; i < this.count; i++) {
      starts[i] = this.starts[(this.head + i) & this.mask]!;
      frames[i] = this.frames[(this.head + i) & this.mask]!;
    }
    this.starts = starts;
    this.frames = frames;
    this.mask = size * 2 - 1;
    this.head = 0;
  }
}

class DirectionPipe {
  readonly decoder: KdStreamDecoder;
  readonly frames = new FrameCursor();
  /** Stream bytes pushed so far = offset of the next chunk's first byte. */
  position = 0;
  hasFrames = false;
  /** Bytes were pushed since this direction was last flushed. */
  unflushed = false;
  other: DirectionPipe | undefined;
  readonly emit: (event: KdEvent) => void;

  constructor(
    readonly dir: Direction,
    options: KdDecoderOptions | undefined,
    emit: (pipe: DirectionPipe, event: KdEvent) => void,
    resume: StreamCheckpoint | undefined,
  ) {
    // describe() reads each payload while it is emitted and the tracker keeps none of it.
    this.decoder = new KdStreamDecoder({
      ...options,
      resume: resume?.decoder,
      borrowPayloads: true,
      // Only the debugger sends break-ins; a 0x62 from the target is noise (kdcom).
      breakins: dir === 'debugger->target',
    });
    this.position = this.decoder.position;
    this.emit = (event) => emit(this, event);
    if (resume === undefined) return;
    this.unflushed = resume.unflushed;
    const frames = resume.frames;
    if (frames === undefined) return;
    for (let j = 0; j + 1 < frames.length; j += 2) this.frames.add(frames[j]!, frames[j + 1]!);
    this.hasFrames = frames.length > 0;
  }

  checkpoint(): StreamCheckpoint {
    return {
      decoder: this.decoder.snapshot(),
      unflushed: this.unflushed,
      frames: this.hasFrames ? this.frames.since(this.decoder.unreported) : undefined,
    };
  }
}

export class SessionDecoder {
  readonly tracker: SessionTracker;
  private readonly describe: (type: number, payload: Uint8Array, dir: Direction) => PacketSummary;
  private readonly pipes: Record<Direction, DirectionPipe>;
  /** Time of the chunk being decoded: an event is stamped when its last byte arrives. */
  private time = 0;

  constructor(options: SessionDecoderOptions) {
    this.tracker = new SessionTracker({
      onRecord: options.onRecord,
      onUpdate: options.onUpdate,
      maxPendingRequests: options.maxPendingRequests,
      resume: options.resume?.tracker,
    });
    this.describe = options.describe ?? describePacket;
    const emit = (pipe: DirectionPipe, event: KdEvent): void => this.onEvent(pipe, event);
    const streams = options.resume?.streams;
    this.time = options.resume?.timeMs ?? 0;
    this.pipes = {
      'debugger->target': new DirectionPipe(
        'debugger->target',
        options.decoder,
        emit,
        streams?.['debugger->target'],
      ),
      'target->debugger': new DirectionPipe(
        'target->debugger',
        options.decoder,
        emit,
        streams?.['target->debugger'],
      ),
    };
    this.pipes['debugger->target'].other = this.pipes['target->debugger'];
    this.pipes['target->debugger'].other = this.pipes['debugger->target'];
  }

  /** Decodes the next bytes of `dir`; `frame` is the capture frame they came from, if any. */
  push(dir: Direction, bytes: Uint8Array, timeMs: number, frame?: number): void {
    this.pushRange(dir, bytes, 0, bytes.length, timeMs, frame);
  }

  /**
   * push() of bytes[start, end) without making a view of them (a capture reader hands out
   * ranges of its read buffer); the bytes are read during the call only.
   */
  pushRange(
    dir: Direction,
    bytes: Uint8Array,
    start: number,
    end: number,
    timeMs: number,
    frame?: number,
  ): void {
    const pipe = this.pipes[dir];
    // When one side speaks, the other side's pending break-in or noise run is over as far as
    // time goes: report it now, so a break-in is listed before the state change it causes.
    const other = pipe.other!;
    if (other.unflushed) {
      other.unflushed = false;
      other.decoder.flush(other.emit);
    }
    pipe.unflushed = true;
    if (frame !== undefined) {
      pipe.frames.add(pipe.position, frame);
      pipe.hasFrames = true;
    }
    pipe.position += end - start;
    // A packet abandoned after a pause is stamped with the time of its last bytes' chunk.
    pipe.decoder.arrive(timeMs, pipe.emit);
    this.time = timeMs;
    pipe.decoder.pushRange(bytes, start, end, pipe.emit);
  }

  /**
   * The side sending `dir` connected anew (the bridge saw it): the packet it was sending is
   * reported as truncated garbage, and its next bytes are decoded from scratch. Offsets go on.
   */
  restart(dir: Direction, timeMs?: number): void {
    if (timeMs !== undefined) this.time = timeMs;
    const pipe = this.pipes[dir];
    pipe.unflushed = false;
    pipe.decoder.restart(pipe.emit);
  }

  /** Live use after an idle period: report pending break-in and garbage runs now. */
  flush(timeMs?: number): void {
    if (timeMs !== undefined) this.time = timeMs;
    for (const pipe of this.directions()) pipe.decoder.flush(pipe.emit);
  }

  /** End of both streams: an unfinished packet is reported as truncated garbage. */
  end(timeMs?: number): void {
    if (timeMs !== undefined) this.time = timeMs;
    for (const pipe of this.directions()) pipe.decoder.end(pipe.emit);
  }

  summary(): SessionSummary {
    return this.tracker.summary();
  }

  /** Both directions' framing decoders hold nothing pending. */
  get idle(): boolean {
    return (
      this.pipes['debugger->target'].decoder.idle && this.pipes['target->debugger'].decoder.idle
    );
  }

  /**
   * A checkpoint may be taken now: always, unless bytes not yet reported came in more than
   * MAX_CHECKPOINT_FRAMES capture frames (rare: a long run cut a byte a frame).
   */
  get canCheckpoint(): boolean {
    const fits = (pipe: DirectionPipe): boolean =>
      !pipe.hasFrames || pipe.frames.countSince(pipe.decoder.unreported) <= MAX_CHECKPOINT_FRAMES;
    return fits(this.pipes['debugger->target']) && fits(this.pipes['target->debugger']);
  }

  /** Bytes held for packets being assembled, both directions (what a checkpoint copies). */
  get pending(): number {
    return (
      this.pipes['debugger->target'].decoder.pending +
      this.pipes['target->debugger'].decoder.pending
    );
  }

  /** Number the next record will get. */
  get nextNo(): number {
    return this.tracker.nextNo;
  }

  /**
   * Where to resume (options.resume) after what was pushed so far: taken between chunks, at
   * any cut of the streams (when `canCheckpoint`, if chunks came with frame numbers).
   */
  checkpoint(): SessionCheckpoint {
    const d2t = this.pipes['debugger->target'];
    const t2d = this.pipes['target->debugger'];
    return {
      offsets: {
        'debugger->target': d2t.decoder.position,
        'target->debugger': t2d.decoder.position,
      },
      streams: { 'debugger->target': d2t.checkpoint(), 'target->debugger': t2d.checkpoint() },
      timeMs: this.time,
      tracker: this.tracker.checkpoint(),
    };
  }

  private directions(): DirectionPipe[] {
    return [this.pipes['debugger->target'], this.pipes['target->debugger']];
  }

  private onEvent(pipe: DirectionPipe, event: KdEvent): void {
    const frame = pipe.hasFrames ? pipe.frames.at(event.offset) : undefined;
    if (event.kind === 'packet') {
      const summary =
        event.leader === 'data' ? this.describe(event.type, event.payload, pipe.dir) : undefined;
      this.tracker.packet(pipe.dir, event, this.time, frame, summary);
    } else if (event.kind === 'breakin') {
      this.tracker.breakin(pipe.dir, event, this.time, frame);
    } else {
      this.tracker.garbage(pipe.dir, event, this.time, frame);
    }
  }
}
