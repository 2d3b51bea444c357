// An index of a live session's capture, built while it records, so any old row can be decoded
// again from the file instead of being kept in memory (capture-pager.ts reads it). It holds:
//  - checkpoints every `every` records, each where the next relayed chunk starts (file offset,
//    frame) and what a fresh decoder needs to carry on exactly there (SessionCheckpoint:
//    stream positions, the framing decoders' pending runs and half-assembled packets, and the
//    tracker's state), taken at a chunk boundary soon after `every` records (see checkpointDue);
//  - the frames after which the bridge's idle-time flush (its tick) reported a pending
//    garbage or break-in run, or a side's new connection restarted its direction's decoder:
//    the decoding steps that depend on what the bridge saw, not on the bytes (the pause rule
//    of KdStreamDecoder.arrive depends on the chunks' times, which the capture holds);
//  - the late links: a row's ACK or reply that came more than two checkpoints after it (an
//    answer long awaited) would be missed by a page decoded from near that row, so the state
//    such an update gave the row is kept here (bounded);
//  - how far the capture covers the session: records [1, nextNo) decode from frames up to
//    byte `end`; after the recorder stopped (size limit, disk full) or a chunk went
//    unrecorded, nothing more is added and `stopped` says why.
// The hook is two thin wrappers (the recorder tap, the decoder) that go wherever those two
// run, on the main thread or in a worker.

import type { StreamChunk } from '../../capture/chunk';
import type { Direction } from '../../../protocol/kd/events';
import type { SessionCheckpoint } from '../../../protocol/session/pipeline';
import type { Recorder } from '../bridge/recorder';
import type { BridgeDecoder, BridgeTap, RecordSink } from '../bridge/types';
import type { CheckpointSource, IndexableDecoder, SessionBridgeDecoder } from './decoder';

export interface Checkpoint {
  /** The record number the first record decoded from here gets. */
  readonly no: number;
  /** File offset and number of the frame the next chunk was written to. */
  readonly offset: number;
  readonly frame: number;
  readonly resume: SessionCheckpoint;
}

/** Records between checkpoints: a page of old rows decodes at most about twice this many. */
export const DEFAULT_CHECKPOINT_RECORDS = 8192;

/** What the session tracker changes in a row after it was reported (see PacketTable.patch). */
export interface LateUpdate {
  readonly flags: number;
  readonly pair: number | undefined;
  readonly ack: number | undefined;
  readonly rttMs: number | undefined;
}

/**
 * A replayed step after a frame (see CaptureIndex.stepsFrom): stored as frame * 4 + kind, so
 * the steps keep the order they were taken in within a frame.
 */
export const STEP_FLUSH = 0;
export const STEP_RESTART_DEBUGGER = 1;
export const STEP_RESTART_TARGET = 2;

/** Late updates kept at most; a session with more pages some rows without their late links. */
export const MAX_LATE_UPDATES = 100_000;

export class CaptureIndex {
  private readonly list: Checkpoint[] = [];
  private readonly late = new Map<number, LateUpdate>();
  /** Late updates not kept (over MAX_LATE_UPDATES). */
  lateDropped = 0;
  private checkpointBytes = 0;
  private steps = new Float64Array(256);
  private stepCount = 0;
  /** The bridge closed: its decoder's end() came after this frame. */
  endedAfter: number | undefined;
  /** Bytes and frames of the capture the index covers, and the records they decode to. */
  end = 0;
  frames = 0;
  nextNo = 1;
  /** Why records from `nextNo` on are not in the capture (or cannot be decoded from it). */
  stopped: string | undefined;

  constructor(
    readonly path: string,
    readonly every = DEFAULT_CHECKPOINT_RECORDS,
  ) {}

  get checkpoints(): readonly Checkpoint[] {
    return this.list;
  }

  /** The last checkpoint at or before record `no` (undefined before the first). */
  checkpointBefore(no: number): { at: number; checkpoint: Checkpoint } | undefined {
    let lo = 0;
    let hi = this.list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.list[mid]!.no <= no) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : { at: found, checkpoint: this.list[found]! };
  }

  /**
   * Steps to replay after frames from `from` on, in order: each is frame * 4 + STEP_FLUSH (a
   * flush) or + STEP_RESTART_DEBUGGER / STEP_RESTART_TARGET (that side's new connection).
   */
  stepsFrom(from: number): Float64Array {
    let lo = 0;
    let hi = this.stepCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.steps[mid]! < from * 4) lo = mid + 1;
      else hi = mid;
    }
    return this.steps.subarray(lo, this.stepCount);
  }

  /**
   * Bytes the index holds (it grows with the session: a few hundred bytes per checkpoint, plus
   * the bytes of a packet that was being assembled at one).
   */
  memoryBytes(): number {
    return this.steps.byteLength + this.checkpointBytes + this.late.size * 120;
  }

  /** The latest late update of row `no`, if it had one. */
  lateUpdate(no: number): LateUpdate | undefined {
    return this.late.get(no);
  }

  /**
   * The tracker updated row `record.no`: kept when a page decoded from the row's checkpoint
   * would not reach it (two checkpoints or more were taken since, or the update came from a
   * record the capture does not hold: after the index stopped).
   */
  noteUpdate(record: {
    readonly no: number;
    readonly flags: number;
    readonly pair?: number | undefined;
    readonly ack?: number | undefined;
    readonly rttMs?: number | undefined;
  }): void {
    // Only a stopped index's nextNo is final: a file's reader moves it on once per step, after
    // the updates its records got in that step.
    if (this.stopped !== undefined && record.no >= this.nextNo) return;
    const at = this.checkpointBefore(record.no)?.at;
    if (at === undefined) return;
    if (this.stopped === undefined && this.list.length <= at + 2) return;
    if (!this.late.has(record.no) && this.late.size >= MAX_LATE_UPDATES) {
      this.lateDropped++;
      return;
    }
    const { flags, pair, ack, rttMs } = record;
    this.late.set(record.no, { flags, pair, ack, rttMs });
  }

  addCheckpoint(checkpoint: Checkpoint): void {
    this.list.push(checkpoint);
    this.checkpointBytes += checkpointSize(checkpoint.resume);
  }

  addFlush(afterFrame: number): void {
    this.addStep(afterFrame * 4 + STEP_FLUSH);
  }

  /** The side sending `dir` connected anew after frame `afterFrame`. */
  addRestart(afterFrame: number, dir: Direction): void {
    const kind = dir === 'debugger->target' ? STEP_RESTART_DEBUGGER : STEP_RESTART_TARGET;
    this.addStep(afterFrame * 4 + kind);
  }

  private addStep(step: number): void {
    if (this.stepCount === this.steps.length) {
      const grown = new Float64Array(this.steps.length * 2);
      grown.set(this.steps);
      this.steps = grown;
    }
    this.steps[this.stepCount++] = step;
  }
}

/** Estimated bytes one checkpoint holds (objects and numbers measured ~600; plus its arrays). */
export function checkpointSize(resume: SessionCheckpoint): number {
  let size = 600 + resume.tracker.pending.length * 100;
  for (const stream of Object.values(resume.streams)) {
    size += stream.decoder.carried?.byteLength ?? 0;
    size += stream.frames?.byteLength ?? 0;
  }
  return size;
}

/**
 * Bytes of half-assembled packets a checkpoint may copy without waiting for a cheaper chunk
 * boundary: a leader and header, a small packet. With reads cut at random, one side or the
 * other is most often inside a 4 KB packet; about one boundary in eight is this cheap.
 */
export const CHEAP_PENDING = 64;

/**
 * Whether to take a checkpoint at this chunk boundary: `every` records after the last one, at
 * the first cheap boundary (see CHEAP_PENDING), or at any once another every/16 records went by
 * without one (a checkpoint then holds up to two packets' bytes, ~8 KB).
 */
export function checkpointDue(source: CheckpointSource, due: number, every: number): boolean {
  if (source.nextNo < due || !source.canCheckpoint) return false;
  return source.pending <= CHEAP_PENDING || source.nextNo >= due + (every >> 4);
}

export interface IndexedRecording {
  readonly index: CaptureIndex;
  /** Use instead of the recorder among the bridge's taps. */
  readonly tap: BridgeTap;
  /** Use instead of the decoder as the bridge's decoder. */
  readonly decoder: SessionBridgeDecoder;
}

interface WrittenChunk {
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly frame: number;
  /** File size and frames once it was written. */
  readonly end: number;
  readonly frames: number;
}

/**
 * Wraps the recorder and the decoder of one session so that their work builds `index`. The
 * bridge runs its taps (the recorder first) and then the decoder over each batch of chunks:
 * the tap notes where each chunk went in the file, the decoder matches them as it decodes.
 */
export function indexRecording(
  recorder: Recorder,
  decoder: SessionBridgeDecoder & { readonly checkpoints: CheckpointSource },
  every = DEFAULT_CHECKPOINT_RECORDS,
): IndexedRecording {
  const index = new CaptureIndex(recorder.label, every);
  const source = decoder.checkpoints;
  /** Chunks recorded and not yet decoded (one batch at most). */
  let written: WrittenChunk[] = [];
  let next = 0;
  let nextCheckpoint = 1;
  const stop = (why: string): void => {
    index.stopped ??= why;
    written = [];
    next = 0;
  };

  const tap: BridgeTap = {
    name: recorder.name,
    bind: (host) => recorder.bind(host),
    write(batch: readonly StreamChunk[]) {
      if (next === written.length) {
        written = [];
        next = 0;
      }
      // Chunk by chunk, to learn where each lands, but written to the file in one call.
      recorder.batch(() => {
        for (const chunk of batch) {
          const offset = recorder.bytesWritten;
          const frame = recorder.frames + 1;
          recorder.write([chunk]);
          if (!recorder.recording) break;
          if (index.stopped === undefined) {
            written.push({
              bytes: chunk.bytes,
              offset,
              frame,
              end: recorder.bytesWritten,
              frames: recorder.frames,
            });
          }
        }
      });
      // A batch whose one write failed is not in the file: the decoder then finds its chunks
      // missing and stops the index with the recorder's reason.
      if (!recorder.recording) written = written.filter((w) => w.end <= recorder.bytesWritten);
    },
    close: () => recorder.close(),
  };

  const noting = (to: RecordSink): RecordSink => ({
    record: (r) => to.record(r),
    update: (r) => {
      index.noteUpdate(r);
      to.update(r);
    },
  });

  const covered = (): void => {
    if (index.stopped === undefined) index.nextNo = source.nextNo;
  };

  const wrapped: SessionBridgeDecoder = {
    checkpoints: source,
    summary: () => decoder.summary(),
    recordBytes: (no) => decoder.recordBytes(no),
    push(dir, bytes, timeMs, to: RecordSink) {
      const sink = noting(to);
      const chunk = written[next];
      if (index.stopped === undefined) {
        if (chunk?.bytes !== bytes) {
          stop(
            recorder.recording
              ? 'the capture and the decoder went out of step'
              : `recording stopped: ${recorder.failure ?? 'the capture was closed'}`,
          );
        } else {
          next++;
          if (checkpointDue(source, nextCheckpoint, every)) {
            index.addCheckpoint({
              no: source.nextNo,
              offset: chunk.offset,
              frame: chunk.frame,
              resume: source.checkpoint(),
            });
            nextCheckpoint = source.nextNo + every;
          }
          index.end = chunk.end;
          index.frames = chunk.frames;
        }
      }
      decoder.push(dir, bytes, timeMs, sink);
      covered();
    },
    flush(sink) {
      const before = source.nextNo;
      decoder.flush(noting(sink));
      // A flush that reported something is replayed after the same frame; one that did not
      // changed nothing.
      if (source.nextNo !== before && index.stopped === undefined) index.addFlush(index.frames);
      covered();
    },
    restart(dir, sink) {
      const before = source.nextNo;
      decoder.restart?.(dir, noting(sink));
      // Like a flush: replayed after the same frame when it reported something.
      if (source.nextNo !== before && index.stopped === undefined)
        index.addRestart(index.frames, dir);
      covered();
    },
    end(sink) {
      (decoder.end ?? decoder.flush).call(decoder, noting(sink));
      if (index.stopped === undefined) index.endedAfter = index.frames;
      covered();
    },
  };
  return { index, tap, decoder: wrapped };
}

/** Whether the decoder's records can be decoded again from the recorder's capture. */
export function canIndex(
  decoder: BridgeDecoder,
): decoder is SessionBridgeDecoder & { readonly checkpoints: CheckpointSource } {
  return (decoder as SessionBridgeDecoder).checkpoints !== undefined;
}

/** Builds the index of a capture file read from its start (an opened capture, see indexReading). */
export interface ReadingIndexer {
  readonly index: CaptureIndex;
  /** Before the chunk of frame `frame`, which begins at byte `offset`, is decoded. */
  beforeChunk(offset: number, frame: number): void;
  /** Routes the decoder's late updates through the index (as indexRecording's decoder does). */
  sink(to: RecordSink): RecordSink;
  /** Everything before byte `end` (a record boundary) was decoded. */
  covered(end: number): void;
  /** The decoder's end() was called after the last chunk. */
  ended(): void;
  /** Nothing more is added: records from here on are not paged (`why`). */
  stop(why: string): void;
}

/**
 * The index of a capture file decoded from its start by `decoder` (an opened capture): the
 * same checkpoints as a recorded session's, where each one is the next frame's offset in the
 * file. No flushes: a file is decoded without the bridge's idle-time flush.
 */
export function indexReading(
  path: string,
  decoder: IndexableDecoder,
  every = DEFAULT_CHECKPOINT_RECORDS,
): ReadingIndexer {
  const index = new CaptureIndex(path, every);
  const source = decoder.checkpoints;
  let nextCheckpoint = 1;
  let lastFrame = 0;
  return {
    index,
    beforeChunk(offset, frame) {
      if (index.stopped !== undefined) return;
      if (checkpointDue(source, nextCheckpoint, every)) {
        index.addCheckpoint({ no: source.nextNo, offset, frame, resume: source.checkpoint() });
        nextCheckpoint = source.nextNo + every;
      }
      lastFrame = frame;
    },
    sink: (to) => ({
      record: (r) => to.record(r),
      update: (r) => {
        index.noteUpdate(r);
        to.update(r);
      },
    }),
    covered(end) {
      if (index.stopped !== undefined) return;
      index.end = end;
      index.frames = lastFrame;
      index.nextNo = source.nextNo;
    },
    ended() {
      if (index.stopped !== undefined) return;
      index.endedAfter = lastFrame;
      index.nextNo = source.nextNo;
    },
    stop(why) {
      index.stopped ??= why;
    },
  };
}
