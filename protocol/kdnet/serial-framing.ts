// KDNET carries one KD packet per data datagram without the serial 0xAA trailer. Re-framing it
// as kdcom would send it lets the one KD stream decoder handle serial and network captures.

import { HEADER_SIZE, LEADER_CONTROL, LEADER_DATA, PACKET_TRAILER } from '../kd/constants';

export interface SerialFraming {
  readonly bytes: Uint8Array;
  /** False when the body holds no whole KD packet and is passed on as it was. */
  readonly framed: boolean;
}

function leaderOf(body: Uint8Array): number {
  return (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0;
}

/**
 * The serial bytes for a KDNET body: a data packet gets its trailer back, a control packet
 * is its header. Anything else (no leader, ByteCount past the body) is returned as is, so
 * the stream decoder reports it as garbage rather than this layer hiding it.
 */
export function toSerialFraming(body: Uint8Array): SerialFraming {
  if (body.length < HEADER_SIZE) return { bytes: body.slice(), framed: false };
  const leader = leaderOf(body);
  const byteCount = body[6]! | (body[7]! << 8);
  const packetLength = HEADER_SIZE + byteCount;
  if (leader === LEADER_DATA && packetLength <= body.length) {
    const out = new Uint8Array(body.length + 1);
    out.set(body.subarray(0, packetLength));
    out[packetLength] = PACKET_TRAILER;
    // Bytes after the packet (never seen) stay visible to the decoder.
    out.set(body.subarray(packetLength), packetLength + 1);
    return { bytes: out, framed: true };
  }
  if (leader === LEADER_CONTROL && packetLength <= body.length) {
    return { bytes: body.slice(), framed: true };
  }
  return { bytes: body.slice(), framed: false };
}

/** The inverse, for encoders: a serial data packet loses its trailer byte. */
export function fromSerialFraming(packet: Uint8Array): Uint8Array {
  if (packet.length > HEADER_SIZE && leaderOf(packet) === LEADER_DATA) {
    const byteCount = packet[6]! | (packet[7]! << 8);
    if (packet.length === HEADER_SIZE + byteCount + 1) return packet.subarray(0, packet.length - 1);
  }
  return packet;
}
