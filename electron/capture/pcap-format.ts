// Classic pcap (libpcap) bytes: the seed's format. A live Wireshark sink can stream these too.

import type { CaptureFrame } from './frame-writer';
import {
  MAX_WRAP_PAYLOAD,
  SNAPLEN,
  WRAP_HEADER_SIZE,
  splitPayload,
  writeWrappedFrame,
} from './udp-wrap';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_HEADER_SIZE = 24;
export const PCAP_RECORD_HEADER_SIZE = 16;
export const LINKTYPE_ETHERNET = 1;

/** The 24-byte file header: a1b2c3d4 (little-endian), v2.4, snaplen 65535, Ethernet. */
export function pcapFileHeader(): Uint8Array {
  const out = new Uint8Array(PCAP_HEADER_SIZE);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true);
  view.setUint32(12, 0, true);
  view.setUint32(16, SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  return out;
}

/**
 * The records for one frame, ready to write in one call: one record per piece of at most
 * `maxPayload` bytes. `ipId` numbers the IPv4 datagrams (cosmetic; Wireshark shows it).
 */
export function pcapRecords(
  frame: CaptureFrame,
  ipId = 0,
  maxPayload = MAX_WRAP_PAYLOAD,
): Uint8Array {
  const pieces = splitPayload(frame.bytes, Math.min(maxPayload, MAX_WRAP_PAYLOAD));
  let total = 0;
  for (const piece of pieces) total += PCAP_RECORD_HEADER_SIZE + WRAP_HEADER_SIZE + piece.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(frame.timeUs / 1e6);
  const micros = Math.floor(frame.timeUs - seconds * 1e6);
  let at = 0;
  pieces.forEach((piece, i) => {
    const length = WRAP_HEADER_SIZE + piece.length;
    view.setUint32(at, seconds >>> 0, true);
    view.setUint32(at + 4, micros, true);
    view.setUint32(at + 8, length, true);
    view.setUint32(at + 12, length, true);
    writeWrappedFrame(out, at + PCAP_RECORD_HEADER_SIZE, frame.dir, piece, ipId + i);
    at += PCAP_RECORD_HEADER_SIZE + length;
  });
  return out;
}
