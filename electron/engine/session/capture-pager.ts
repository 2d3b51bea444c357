// Old rows of a live session, decoded again from its capture (a page of rows, or one row's
// bytes) through the index built while recording (capture-index.ts): a SessionDecoder resumed
// at the checkpoint before the first row wanted reads the frames from there, with the bridge's
// idle-time flushes replayed after the frames they followed, so it reports those rows exactly
// as they were streamed live (numbers, flags, links, RTTs). It reads the file only up to the
// last frame the index covers (the file is being appended) and decodes at most about two
// checkpoints' worth of records per call. A pure function of the index and the file: it can
// run wherever the capture can be read.

import { CaptureError } from '../../capture/capture-error';
import { openCapture } from '../../capture/capture-source';
import type { Direction } from '../../../protocol/kd/events';
import { SessionDecoder } from '../../../protocol/session/pipeline';
import type { PacketRecord } from '../../../protocol/session/record';
import {
  STEP_FLUSH,
  STEP_RESTART_DEBUGGER,
  type CaptureIndex,
  type Checkpoint,
} from './capture-index';
import type { PacketLocation } from './packet-index';

export interface RecordsPage {
  /** Rows from the first one asked for, in order (fewer when the capture ends first). */
  readonly records: PacketRecord[];
  /** Why rows asked for are not here (not recorded, recording stopped, file unreadable). */
  readonly missing?: string;
}

/** Thrown from inside a capture read to end it early (never escapes this module). */
const DONE = Symbol('done');

export interface CapturePagerOptions {
  /**
   * The rows carry their capture frame numbers (an opened capture's rows do: they were decoded
   * from the file; a live session's were decoded from the wire).
   */
  readonly frames?: boolean;
}

export class CapturePager {
  private readonly frames: boolean;

  constructor(
    readonly index: CaptureIndex,
    options: CapturePagerOptions = {},
  ) {
    this.frames = options.frames ?? false;
  }

  /** Records [from, from + count) as far as the capture holds them. */
  read(from: number, count: number): RecordsPage {
    const index = this.index;
    const last = index.nextNo;
    const start = index.checkpointBefore(from);
    if (from >= last || start === undefined || count < 1) {
      return { records: [], missing: this.why(from) };
    }
    const to = Math.min(from + count, last);
    const records: PacketRecord[] = [];
    const decoder = new SessionDecoder({
      resume: start.checkpoint.resume,
      onRecord: (record) => {
        if (record.no >= from && record.no < to) records.push(record);
      },
    });
    // The rows keep changing until their ACKs and replies are in: read on until they are
    // settled, one checkpoint past the last row at most.
    let settledUpTo = 0;
    const settled = (): boolean => {
      if (decoder.nextNo < to) return false;
      while (settledUpTo < records.length && !decoder.tracker.isOpen(records[settledUpTo]!))
        settledUpTo++;
      return settledUpTo === records.length;
    };
    const lastAt = index.checkpointBefore(to - 1)!.at;
    const problem = this.decodeFrom(start.checkpoint, lastAt + 2, decoder, settled);
    // Links that came after what was decoded: the index kept them.
    for (const record of records) {
      const late = index.lateUpdate(record.no);
      if (late) Object.assign(record, late);
    }
    return problem === undefined && records.length === to - from && to === from + count
      ? { records }
      : { records, missing: problem ?? this.why(to) };
  }

  /** The bytes of record `no` as on the wire, read from the capture; null when not there. */
  bytes(no: number): { location: PacketLocation; bytes: Uint8Array } | null {
    const { records } = this.read(no, 1);
    const record = records[0];
    if (!record) return null;
    const start = this.checkpointAtOrBefore(no, record.dir, record.offset);
    if (!start) return null;
    const location: PacketLocation = {
      dir: record.dir,
      offset: record.offset,
      length: record.length,
    };
    const bytes = new Uint8Array(record.length);
    const position: Record<Direction, number> = { ...start.resume.offsets };
    let filled = 0;
    const end = record.offset + record.length;
    try {
      openCapture(this.index.path).forEachRange(
        (dir, chunk, from, to) => {
          const at = position[dir];
          position[dir] = at + (to - from);
          if (dir !== record.dir || at + (to - from) <= record.offset || at >= end) return;
          const lo = Math.max(at, record.offset);
          const hi = Math.min(at + (to - from), end);
          bytes.set(chunk.subarray(from + (lo - at), from + (hi - at)), lo - record.offset);
          filled += hi - lo;
          if (filled === record.length) throw DONE;
        },
        this.range(start, this.index.checkpoints.length),
      );
    } catch (error) {
      if (error !== DONE) {
        if (error instanceof CaptureError) return null;
        throw error;
      }
    }
    return filled === record.length ? { location, bytes } : null;
  }

  /**
   * The last checkpoint before record `no` taken before byte `offset` of `dir`: the record may
   * have begun before its own checkpoint (a packet being assembled, a pending noise run there).
   */
  private checkpointAtOrBefore(no: number, dir: Direction, offset: number): Checkpoint | undefined {
    const list = this.index.checkpoints;
    let at = this.index.checkpointBefore(no)?.at;
    if (at === undefined) return undefined;
    while (at > 0 && list[at]!.resume.offsets[dir] > offset) at--;
    return list[at];
  }

  /**
   * Feeds `decoder` the frames from `checkpoint` up to the checkpoint numbered `endAt` (or the
   * end of what the index covers), replaying flushes, restarts and the end; stops early once `enough`.
   * Returns why the capture could not be read, if it could not.
   */
  private decodeFrom(
    checkpoint: Checkpoint,
    endAt: number,
    decoder: SessionDecoder,
    enough: () => boolean,
  ): string | undefined {
    const index = this.index;
    const steps = index.stepsFrom(checkpoint.frame);
    const endedAfter = index.endedAfter;
    const withFrames = this.frames;
    let f = 0;
    try {
      openCapture(index.path).forEachRange(
        (dir, bytes, start, end, timeUs, frame) => {
          decoder.pushRange(dir, bytes, start, end, timeUs / 1000, withFrames ? frame : undefined);
          while (f < steps.length && steps[f]! < (frame! + 1) * 4) {
            const kind = steps[f]! % 4;
            if (kind === STEP_FLUSH) decoder.flush();
            else
              decoder.restart(
                kind === STEP_RESTART_DEBUGGER ? 'debugger->target' : 'target->debugger',
              );
            f++;
          }
          if (frame === endedAfter) decoder.end();
          if (enough()) throw DONE;
        },
        this.range(checkpoint, endAt),
      );
    } catch (error) {
      if (error === DONE) return undefined;
      if (error instanceof CaptureError) return `cannot read the capture: ${error.message}`;
      throw error;
    }
    return undefined;
  }

  private range(checkpoint: Checkpoint, endAt: number) {
    const list = this.index.checkpoints;
    return {
      start: checkpoint.offset,
      frame: checkpoint.frame,
      end: endAt < list.length ? list[endAt]!.offset : this.index.end,
    };
  }

  private why(no: number): string {
    const index = this.index;
    if (index.stopped !== undefined && no >= index.nextNo)
      return `rows from ${index.nextNo} on are not in the capture (${index.stopped})`;
    return `rows from ${index.nextNo} on are not recorded yet`;
  }
}
