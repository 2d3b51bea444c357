// Shapes the bridge shares with its taps (recorder, live sink, decoder) and its users.

import type { StreamChunk } from '../../capture/chunk';
import type { Direction } from '../../../protocol/kd/events';
import type { PacketRecord } from '../../../protocol/session/record';
import type { HealthStatus, Side } from './health';

/** Sees relayed chunks after they were written, in batches: a bulk chunk at once, small ones gathered for a moment. */
export interface BridgeTap {
  readonly name: string;
  write(batch: readonly StreamChunk[]): void;
  /**
   * KDNET: a datagram that reached the target's socket from someone else (chunk.flow says
   * who); not relayed, not decoded. Only a tap that records the wire takes it.
   */
  stray?(chunk: StreamChunk): void;
  /** The bridge hands over how to report back; called once, before the first write. */
  bind?(host: TapHost): void;
  /** Flush and release; called once by Bridge.close(). */
  close(): void | Promise<void>;
}

/** What a tap may tell the bridge. */
export interface TapHost {
  /** Trouble, one line (counted as an error). */
  report(message: string): void;
}

/** Where a decoder reports: new records, and records it reported earlier that changed. */
export interface RecordSink {
  record(record: PacketRecord): void;
  /** The tracker linked an earlier record (ACK, request/response pair, RTT) or cleared a flag. */
  update(record: PacketRecord): void;
}

/** Decodes relayed bytes into packet records (the session pipeline, adapted). */
export interface BridgeDecoder {
  push(dir: Direction, bytes: Uint8Array, timeMs: number, sink: RecordSink): void;
  /** After an idle spell: report pending garbage/break-in runs now. */
  flush(sink: RecordSink): void;
  /** The bridge closed: an unfinished packet is reported as truncated (flush() when absent). */
  end?(sink: RecordSink): void;
  /**
   * The side sending `dir` has a new connection (its bytes after this call are its): end what
   * that direction's decoder was assembling and decode the new bytes from scratch.
   */
  restart?(dir: Direction, sink: RecordSink): void;
}

export interface DirectionCounters {
  bytes: number;
  chunks: number;
  /** Bytes that arrived while the other side was not connected (recorded, not delivered). */
  droppedBytes: number;
}

export interface BridgeCounters {
  readonly 'debugger->target': DirectionCounters;
  readonly 'target->debugger': DirectionCounters;
  packets: number;
  errors: number;
  debuggerConnections: number;
  targetConnections: number;
  /** KDNET: datagrams from senders that were not the target (recorded, not relayed). */
  strayDatagrams: number;
}

export type BridgeEvent =
  | { readonly kind: 'side'; readonly side: Side; readonly state: 'waiting' | 'connected' | 'gone' }
  | { readonly kind: 'error'; readonly source: string; readonly message: string }
  /** A dial of this side failed; the bridge tries again (said once per distinct failure). */
  | { readonly kind: 'unreachable'; readonly side: Side; readonly message: string }
  /** What the bridge did on its own that a user should know (not counted as an error). */
  | {
      readonly kind: 'notice';
      readonly source: string;
      readonly level: 'info' | 'warn';
      readonly message: string;
    }
  | { readonly kind: 'health'; readonly status: HealthStatus }
  | {
      readonly kind: 'packets';
      readonly records: readonly PacketRecord[];
      /** Earlier records the tracker changed since (latest version of each). */
      readonly updates: readonly PacketRecord[];
    };
