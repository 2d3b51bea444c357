// The session pipeline as the bridge's decoder. SessionDecoder reports records and late updates
// through constructor callbacks; the bridge wants them per push, so they are routed to the sink
// of the current call. With `keepBytes`, the decoded stream of each direction is kept (bounded)
// with an index of where each record lies in it, so the UI can show any recent packet's bytes.

import type { Direction } from '../../../protocol/kd/events';
import { SessionDecoder, type SessionCheckpoint } from '../../../protocol/session/pipeline';
import type { SessionSummary } from '../../../protocol/session/summary';
import type { BridgeDecoder, RecordSink } from '../bridge/types';
import { ByteLog } from './byte-log';
import { PacketIndex, type PacketLocation } from './packet-index';

export interface SessionBridgeDecoderOptions {
  /** Keep the stream bytes and a record index (rows the UI may ask the bytes of). */
  readonly keepBytes?: { readonly rows?: number; readonly bytesPerDirection?: number };
}

/** Where a decoder of KD byte streams stands between two chunks (see SessionCheckpoint). */
export interface CheckpointSource {
  /** checkpoint() may be taken now (at almost any chunk boundary, see SessionDecoder). */
  readonly canCheckpoint: boolean;
  /** Bytes of half-assembled packets a checkpoint taken now would hold a copy of. */
  readonly pending: number;
  /** Number the next record will get. */
  readonly nextNo: number;
  checkpoint(): SessionCheckpoint;
}

export interface SessionBridgeDecoder extends BridgeDecoder {
  /** push() of bytes read from a capture: `frame` is the capture frame they came from. */
  push(dir: Direction, bytes: Uint8Array, timeMs: number, sink: RecordSink, frame?: number): void;
  summary(): SessionSummary;
  /** The bytes of record `no` as on the wire, or null when not kept (or no longer). */
  recordBytes(no: number): { location: PacketLocation; bytes: Uint8Array } | null;
  /**
   * Present when the relayed chunks are the KD byte streams themselves (COM, VMBus), so a
   * capture of them can be decoded again from a checkpoint (capture-index.ts).
   */
  readonly checkpoints?: CheckpointSource;
}

const NO_SINK: RecordSink = { record: () => undefined, update: () => undefined };

/**
 * Bytes of each direction kept in memory when the session's capture is indexed (older packets'
 * bytes are read back from the capture); 256 MiB a direction otherwise.
 */
export const PAGED_BYTES_PER_DIRECTION = 16 * 1024 * 1024;

/** A decoder of the KD byte streams themselves: its records can be decoded again from a capture. */
export type IndexableDecoder = SessionBridgeDecoder & { readonly checkpoints: CheckpointSource };

export function sessionBridgeDecoder(options: SessionBridgeDecoderOptions = {}): IndexableDecoder {
  let sink = NO_SINK;
  const keep = options.keepBytes;
  const index = keep ? new PacketIndex(keep.rows) : undefined;
  const logs: Record<Direction, ByteLog> | undefined = keep && {
    'debugger->target': new ByteLog(keep.bytesPerDirection),
    'target->debugger': new ByteLog(keep.bytesPerDirection),
  };
  const session = new SessionDecoder({
    onRecord: (record) => {
      index?.set(record.no, record.dir, record.offset, record.length);
      sink.record(record);
    },
    onUpdate: (record) => sink.update(record),
  });
  const run = (to: RecordSink, work: () => void): void => {
    sink = to;
    try {
      work();
    } finally {
      sink = NO_SINK;
    }
  };
  return {
    push(dir, bytes, timeMs, to, frame) {
      logs?.[dir].append(bytes);
      run(to, () => session.push(dir, bytes, timeMs, frame));
    },
    flush(to) {
      run(to, () => session.flush());
    },
    end(to) {
      run(to, () => session.end());
    },
    restart(dir, to) {
      run(to, () => session.restart(dir));
    },
    summary: () => session.summary(),
    checkpoints: session,
    recordBytes(no) {
      const location = index?.get(no);
      if (!location || !logs) return null;
      const bytes = logs[location.dir].read(location.offset, location.length);
      return bytes && { location, bytes };
    },
  };
}
