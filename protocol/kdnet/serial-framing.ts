// KDNET carries one KD packet per data datagram without the serial 0xAA trailer [rizin kd.c
// kd_send_data_packet and kd_read_packet write and read the trailer for KD_IO_PIPE only].
// Re-framing it as kdcom would send it lets the one KD stream decoder handle serial and
// network captures. Two bodies are not KD packets and pass unframed, so the stream decoder
// reports them as it would on a serial line:
// - the break-in, one byte 0x62 [rizin winkd_sync: iob_write(desc, "b", 1), which iob_net
//   sends as a datagram of its own];
// - the target's first data datagram, 12 bytes: a header with leader 0 (rizin's
//   KD_PACKET_UNUSED: "the first packet will always be type of KD_PACKET_TYPE_UNUSED",
//   winkd_sync) and no checksum field; in the real capture its id field holds the host's
//   IPv4 address. kdcom has no leader 0, so it is garbage to our stream decoder (counted).

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
