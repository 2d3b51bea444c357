// The seed's fake Ethernet/IPv4/UDP wrap around raw KD stream bytes (PRODUCT.md table):
// debugger -> target is 00:11:22:33:44:55 -> ff:ff:ff:ff:ff:ff, 192.168.0.2:51111 ->
// 192.168.0.1:51112; target -> debugger the reverse. IP and UDP checksums are filled in.

import type { Direction } from '../../protocol/kd/events';
import { sum16BigEndian } from '../../protocol/kd/byte-sums';

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
  return initial + sum16BigEndian(bytes, start, end);
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The 42 header bytes with the per-frame fields zero, and their checksum contributions. */
interface Template {
  readonly header: Uint8Array;
  readonly ipPartial: number;
  readonly udpPartial: number;
}

const templates = new WeakMap<UdpEnds, Template>();

function templateOf(ends: UdpEnds): Template {
  const cached = templates.get(ends);
  if (cached) return cached;
  const h = new Uint8Array(WRAP_HEADER_SIZE);
  h.set(ends.dstMac, 0);
  h.set(ends.srcMac, 6);
  h[12] = ETHERTYPE_IPV4 >> 8;
  h[13] = ETHERTYPE_IPV4 & 0xff;
  h[14] = 0x45;
  h[22] = 128; // TTL
  h[23] = IPPROTO_UDP;
  h.set(ends.srcIp, 26);
  h.set(ends.dstIp, 30);
  h[34] = ends.srcPort >> 8;
  h[35] = ends.srcPort & 0xff;
  h[36] = ends.dstPort >> 8;
  h[37] = ends.dstPort & 0xff;
  const template = {
    header: h,
    ipPartial: sum16(h, ETH_HEADER_SIZE, ETH_HEADER_SIZE + IPV4_HEADER_SIZE, 0),
    // Pseudo header (addresses, protocol) plus the UDP header's ports.
    udpPartial: sum16(h, 26, 34, IPPROTO_UDP) + ends.srcPort + ends.dstPort,
  };
  templates.set(ends, template);
  return template;
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
  const t = templateOf(ends);
  const udpLength = UDP_HEADER_SIZE + payload.length;
  const ipLength = IPV4_HEADER_SIZE + udpLength;
  const id = ipId & 0xffff;
  out.set(t.header, at);
  out[at + 16] = ipLength >> 8;
  out[at + 17] = ipLength & 0xff;
  out[at + 18] = id >> 8;
  out[at + 19] = id & 0xff;
  const ipChecksum = fold(t.ipPartial + ipLength + id);
  out[at + 24] = ipChecksum >> 8;
  out[at + 25] = ipChecksum & 0xff;
  out[at + 38] = udpLength >> 8;
  out[at + 39] = udpLength & 0xff;
  out.set(payload, at + WRAP_HEADER_SIZE);
  // UDP length counts twice: once in the pseudo header, once in the UDP header.
  const sum = fold(sum16(payload, 0, payload.length, t.udpPartial + 2 * udpLength));
  const udpChecksum = sum === 0 ? 0xffff : sum;
  out[at + 40] = udpChecksum >> 8;
  out[at + 41] = udpChecksum & 0xff;
  return WRAP_HEADER_SIZE + payload.length;
}
