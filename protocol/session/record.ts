// One row of the packet timeline: a framing event annotated by the session tracker.
// This is what the CLI prints, what crosses to the renderer (columnar, in batches) and what
// the display filter evaluates.

import type { Direction, GarbageReason } from '../kd/events';
import type { PacketSummary } from '../kd/summary';

/** Bits of PacketRecord.flags. */
export const PacketFlag = {
  /** A data packet repeating the id the receiver already accepted. */
  RETRANSMIT: 1 << 0,
  /** A RESEND control packet (the receiver asks for the last packet again). */
  RESEND: 1 << 1,
  /** A data packet whose checksum is wrong. */
  CHECKSUM_ERROR: 1 << 2,
  /** A break-in byte run. */
  BREAKIN: 1 << 3,
  /** Bytes that are not a packet (noise, bad length, bad trailer, truncated). */
  GARBAGE: 1 << 4,
  /** A RESET control packet (both sides return to the initial ids). */
  RESET: 1 << 5,
  /** A data packet whose id is neither the expected one nor a retransmission. */
  UNEXPECTED_ID: 1 << 6,
  /** An ACKNOWLEDGE whose id matches no packet waiting for one. */
  STRAY_ACK: 1 << 7,
  /** A STATE_MANIPULATE request that got no response (yet). */
  NO_RESPONSE: 1 << 8,
  /** A manipulate reply with a failing NTSTATUS. */
  ERROR_STATUS: 1 << 9,
} as const;
export type PacketFlagName = keyof typeof PacketFlag;

/** The payload's summary fields (api, apiName, returnStatus, newState, newStateName, text, info)
 * come from describePacket. */
export interface PacketRecord extends Omit<PacketSummary, 'malformed'> {
  /** 1-based, over both directions, in the order the bytes were seen. */
  readonly no: number;
  /** Milliseconds since the Unix epoch (fractional), from the capture or the clock. */
  readonly time: number;
  readonly dir: Direction;
  readonly kind: 'packet' | 'breakin' | 'garbage';
  /** Byte offset in this direction's stream. */
  readonly offset: number;
  /** Capture frame where it starts, when read from a capture. */
  readonly frame?: number;
  /** Bytes on the wire. */
  readonly length: number;
  readonly leader?: 'data' | 'control';
  readonly type?: number;
  readonly typeName?: string;
  readonly id?: number;
  readonly byteCount?: number;
  readonly checksumOk?: boolean;
  readonly garbageReason?: GarbageReason;
  /** PacketFlag bits. */
  readonly flags: number;
  /** For a manipulate request or response: the no. of its partner. */
  readonly pair?: number;
  /** For a data packet: the no. of the ACK that acknowledged it; for an ACK: the packet it acknowledges. */
  readonly ack?: number;
  /** For a manipulate response: milliseconds since its request. */
  readonly rttMs?: number;
  /**
   * For a RESEND: the no. of the data packet (or garbled packet) it asks again. For a
   * RETRANSMIT data packet: the no. of the earlier copy it repeats.
   */
  readonly resendOf?: number;
}
