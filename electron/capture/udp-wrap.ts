// The seed's fake Ethernet/IPv4/UDP wrap around raw KD stream bytes (PRODUCT.md table):
// debugger -> target is 00:11:22:33:44:55 -> ff:ff:ff:ff:ff:ff, 192.168.0.2:51111 ->
// 192.168.0.1:51112; target -> debugger the reverse. IP and UDP checksums are filled in.

import type { Direction } from '../../protocol/kd/events';

export const ETH_HEADER_SIZE = 14;
export const IPV4_HEADER_SIZE = 20;
export const UDP_HEADER_SIZE = 8;
export const WRAP_HEADER_SIZE = ETH_HEADER_SIZE + IPV4_HEADER_SIZE + UDP_HEADER_SIZE;
export const SNAPLEN = 65535;
/** Payload bytes that fit one frame under the 65535-byte snaplen. */
export const MAX_WRAP_PAYLOAD = SNAPLEN - WRAP_HEADER_SIZE;

export const DEBUGGER_PORT = 51111;
export const TARGET_PORT = 51112;
const DEBUGGER_MAC = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const BROADCAST_MAC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
const DEBUGGER_IP = [192, 168, 0, 2];
const TARGET_IP = [192, 168, 0, 1];
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_UDP = 17;

/** Addresses of one Ethernet/IPv4/UDP frame (the seed's two directions, or any other). */
export interface UdpEnds {
  readonly srcMac: readonly number[];
  readonly dstMac: readonly number[];
  readonly srcIp: readonly number[];
  readonly dstIp: readonly number[];
  readonly srcPort: number;
  readonly dstPort: number;
}

export const SEED_ENDS: Record<Direction, UdpEnds> = {
  'debugger->target': {
    srcMac: DEBUGGER_MAC,
    dstMac: BROADCAST_MAC,
    srcIp: DEBUGGER_IP,
    dstIp: TARGET_IP,
    srcPort: DEBUGGER_PORT,
    dstPort: TARGET_PORT,
  },
  'target->debugger': {
    srcMac: BROADCAST_MAC,
    dstMac: DEBUGGER_MAC,
    srcIp: TARGET_IP,
    dstIp: DEBUGGER_IP,
    srcPort: TARGET_PORT,
    dstPort: DEBUGGER_PORT,
  },
};

/** The direction of a seed-wrap UDP frame from its ports, or undefined if it is not one. */
export function wrapDirection(srcPort: number, dstPort: number): Direction | undefined {
  if (srcPort === DEBUGGER_PORT && dstPort === TARGET_PORT) return 'debugger->target';
  if (srcPort === TARGET_PORT && dstPort === DEBUGGER_PORT) return 'target->debugger';
  return undefined;
}

/** One's-complement sum of 16-bit big-endian words, not yet folded or inverted. */
function sum16(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * Writes the wrap headers and payload into `out` at `at` (out must have WRAP_HEADER_SIZE +
 * payload.length bytes there). Payload must be at most MAX_WRAP_PAYLOAD bytes.
 */
export function writeWrappedFrame(
  out: Uint8Array,
  at: number,
  dir: Direction,
  payload: Uint8Array,
  ipId = 0,
): number {
  return writeUdpFrame(out, at, SEED_ENDS[dir], payload, ipId);
}

/** An Ethernet/IPv4/UDP frame with checksums, written into `out` at `at`; returns its length. */
export function writeUdpFrame(
  out: Uint8Array,
  at: number,
  ends: UdpEnds,
  payload: Uint8Array,
  ipId = 0,
): number {
  const view = new DataView(out.buffer, out.byteOffset + at, WRAP_HEADER_SIZE);
  out.set(ends.dstMac, at);
  out.set(ends.srcMac, at + 6);
  view.setUint16(12, ETHERTYPE_IPV4);

  const ip = at + ETH_HEADER_SIZE;
  const udpLength = UDP_HEADER_SIZE + payload.length;
  view.setUint8(14, 0x45);
  view.setUint8(15, 0);
  view.setUint16(16, IPV4_HEADER_SIZE + udpLength);
  view.setUint16(18, ipId & 0xffff);
  view.setUint16(20, 0);
  view.setUint8(22, 128);
  view.setUint8(23, IPPROTO_UDP);
  view.setUint16(24, 0);
  out.set(ends.srcIp, ip + 12);
  out.set(ends.dstIp, ip + 16);
  view.setUint16(24, fold(sum16(out, ip, ip + IPV4_HEADER_SIZE, 0)));

  const udp = ip + IPV4_HEADER_SIZE;
  view.setUint16(34, ends.srcPort);
  view.setUint16(36, ends.dstPort);
  view.setUint16(38, udpLength);
  view.setUint16(40, 0);
  out.set(payload, udp + UDP_HEADER_SIZE);
  // Pseudo header: source and destination addresses, protocol, UDP length.
  let pseudo = sum16(out, ip + 12, ip + 20, 0) + IPPROTO_UDP + udpLength;
  pseudo = sum16(out, udp, udp + udpLength, pseudo);
  const checksum = fold(pseudo);
  view.setUint16(40, checksum === 0 ? 0xffff : checksum);
  return WRAP_HEADER_SIZE + payload.length;
}

/** Cuts a chunk into pieces that each fit one frame (an empty chunk stays one empty frame). */
export function splitPayload(bytes: Uint8Array, max: number): Uint8Array[] {
  if (bytes.length <= max) return [bytes];
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += max) pieces.push(bytes.subarray(at, at + max));
  return pieces;
}
