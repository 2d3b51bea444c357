// What the per-direction framing decoder reports. Malformed input is an event, never a throw.

export type Direction = 'debugger->target' | 'target->debugger';
export const DIRECTIONS: readonly Direction[] = ['debugger->target', 'target->debugger'];

export interface KdPacketEvent {
  readonly kind: 'packet';
  /** Byte offset of the first leader byte in this direction's stream. */
  readonly offset: number;
  readonly leader: 'data' | 'control';
  /** Raw PacketType; see packetTypeName(). */
  readonly type: number;
  readonly byteCount: number;
  readonly id: number;
  /** Checksum as sent. */
  readonly checksum: number;
  /** Checksum as sent equals the sum of the payload bytes (always true for control packets). */
  readonly checksumOk: boolean;
  /**
   * Payload bytes: the decoder's own copy, never a view of the caller's chunk. Empty for
   * control packets. Payloads are carved from shared 256 KiB slabs (one backing store per
   * slab, not per packet): read them through byteOffset/length, never `.buffer` alone, and
   * copy one that is kept for long, or it keeps its slab alive.
   */
  readonly payload: Uint8Array;
  /** Bytes on the wire: 16-byte header + payload + trailer byte for data packets. */
  readonly length: number;
}

export interface KdBreakinEvent {
  readonly kind: 'breakin';
  readonly offset: number;
  /** Consecutive 0x62 bytes in this break-in run (usually 1; 4 for a "bbbb" leader). */
  readonly length: number;
}

export type GarbageReason =
  /** Bytes that are not part of any leader (line noise, stray leader bytes). */
  | 'noise'
  /** A header whose ByteCount is over PACKET_MAX_SIZE: kdcom answers RESEND and skips the header. */
  | 'bad-length'
  /** A data packet whose trailer byte is not 0xAA: kdcom answers RESEND and skips the packet. */
  | 'bad-trailer'
  /** The stream ended inside a packet. */
  | 'truncated';

export interface KdGarbageEvent {
  readonly kind: 'garbage';
  readonly offset: number;
  readonly length: number;
  readonly reason: GarbageReason;
}

export type KdEvent = KdPacketEvent | KdBreakinEvent | KdGarbageEvent;
export type KdEventSink = (event: KdEvent) => void;
