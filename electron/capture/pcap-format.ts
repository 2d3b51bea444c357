// Classic pcap (libpcap) bytes: the seed's format. A live Wireshark sink can stream these too.

import type { StreamChunk } from './chunk';
import { MAX_WRAP_PAYLOAD, SNAPLEN, WRAP_HEADER_SIZE, writeWrappedFrame } from './udp-wrap';

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

/** Bytes pcapRecordsInto writes for `frame`. */
export function pcapRecordsSize(frame: StreamChunk, maxPayload = MAX_WRAP_PAYLOAD): number {
  const max = Math.min(maxPayload, MAX_WRAP_PAYLOAD);
  const pieces = Math.max(1, Math.ceil(frame.bytes.length / max));
  return pieces * (PCAP_RECORD_HEADER_SIZE + WRAP_HEADER_SIZE) + frame.bytes.length;
}

/**
 * Writes the records for one frame into `out` at `at` (pcapRecordsSize bytes): one record per
 * piece of at most `maxPayload` bytes. `ipId` numbers the IPv4 datagrams (cosmetic). Returns
 * the bytes written.
 */
export function pcapRecordsInto(
  out: Uint8Array,
  at: number,
  frame: StreamChunk,
  ipId = 0,
  maxPayload = MAX_WRAP_PAYLOAD,
): number {
  const max = Math.min(maxPayload, MAX_WRAP_PAYLOAD);
  const bytes = frame.bytes;
  const seconds = Math.floor(frame.timeUs / 1e6);
  const micros = Math.floor(frame.timeUs - seconds * 1e6);
  let p = at;
  let piece = 0;
  let from = 0;
  do {
    const to = Math.min(from + max, bytes.length);
    const length = WRAP_HEADER_SIZE + (to - from);
    writeU32le(out, p, seconds);
    writeU32le(out, p + 4, micros);
    writeU32le(out, p + 8, length);
    writeU32le(out, p + 12, length);
    writeWrappedFrame(
      out,
      p + PCAP_RECORD_HEADER_SIZE,
      frame.dir,
      bytes.subarray(from, to),
      ipId + piece,
    );
    p += PCAP_RECORD_HEADER_SIZE + length;
    piece++;
    from = to;
  } while (from < bytes.length);
  return p - at;
}

/** The records for one frame as a new array (see pcapRecordsInto). */
export function pcapRecords(
  frame: StreamChunk,
  ipId = 0,
  maxPayload = MAX_WRAP_PAYLOAD,
): Uint8Array {
  const out = new Uint8Array(pcapRecordsSize(frame, maxPayload));
  pcapRecordsInto(out, 0, frame, ipId, maxPayload);
  return out;
}

export function writeU32le(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}
