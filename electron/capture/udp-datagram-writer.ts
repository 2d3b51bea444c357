// Captures of real UDP datagrams (a KDNET session through the bridge): each frame is the
// datagram as it crossed the wire, in an IPv4 or IPv6 header with its real addresses and
// ports, linktype RAW (101: the frame starts at the IP header, so no Ethernet addresses are
// made up). pcap or pcapng; every frame is one synchronous write, as in capture-writers.ts.

import type { Direction } from '../../protocol/kd/events';
import { sum16BigEndian } from '../../protocol/kd/byte-sums';
import { FileSink } from './file-sink';
import { PCAP_MAGIC_US, writeU32le } from './pcap-format';
import {
  BLOCK_EPB,
  BLOCK_IDB,
  BLOCK_SHB,
  BYTE_ORDER_MAGIC,
  OPT_ENDOFOPT,
  OPT_EPB_FLAGS,
  OPT_IF_TSRESOL,
  epbDirectionFlag,
} from './pcapng-format';
import { SNAPLEN } from './udp-wrap';

export const LINKTYPE_RAW = 101;
const IPPROTO_UDP = 17;

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address and a port. */
export interface IpEnd {
  readonly ip: Uint8Array;
  readonly port: number;
}

export interface UdpDatagramFrame {
  /** Microseconds since the Unix epoch. */
  readonly timeUs: number;
  /** For pcapng's epb_flags: debugger->target is outbound (as in pcapng-format.ts). */
  readonly dir: Direction;
  readonly src: IpEnd;
  readonly dst: IpEnd;
  readonly payload: Uint8Array;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** IP header + UDP header + payload, checksums filled in; the frame's bytes. */
export function ipUdpFrame(frame: UdpDatagramFrame): Uint8Array {
  const v6 = frame.src.ip.length === 16;
  if (frame.dst.ip.length !== frame.src.ip.length)
    throw new RangeError('source and destination differ in address family');
  const ipSize = v6 ? 40 : 20;
  const udpLength = 8 + frame.payload.length;
  const out = new Uint8Array(ipSize + udpLength);
  if (v6) {
    out[0] = 0x60;
    out[4] = udpLength >> 8;
    out[5] = udpLength & 0xff;
    out[6] = IPPROTO_UDP;
    out[7] = 64;
    out.set(frame.src.ip, 8);
    out.set(frame.dst.ip, 24);
  } else {
    const total = ipSize + udpLength;
    out[0] = 0x45;
    out[2] = total >> 8;
    out[3] = total & 0xff;
    out[6] = 0x40; // don't fragment: KDNET datagrams fit one packet
    out[8] = 64;
    out[9] = IPPROTO_UDP;
    out.set(frame.src.ip, 12);
    out.set(frame.dst.ip, 16);
    const ipSum = ~fold(sum16BigEndian(out, 0, 20)) & 0xffff;
    out[10] = ipSum >> 8;
    out[11] = ipSum & 0xff;
  }
  const u = ipSize;
  out[u] = frame.src.port >> 8;
  out[u + 1] = frame.src.port & 0xff;
  out[u + 2] = frame.dst.port >> 8;
  out[u + 3] = frame.dst.port & 0xff;
  out[u + 4] = udpLength >> 8;
  out[u + 5] = udpLength & 0xff;
  out.set(frame.payload, u + 8);
  // Pseudo header: both addresses, the protocol, the UDP length.
  const addresses = v6 ? out.subarray(8, 40) : out.subarray(12, 20);
  const sum = fold(
    sum16BigEndian(addresses, 0, addresses.length) +
      IPPROTO_UDP +
      udpLength +
      sum16BigEndian(out, u, out.length),
  );
  const checksum = ~sum & 0xffff || 0xffff;
  out[u + 6] = checksum >> 8;
  out[u + 7] = checksum & 0xff;
  return out;
}

function pcapHeader(): Uint8Array {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, SNAPLEN, true);
  view.setUint32(20, LINKTYPE_RAW, true);
  return out;
}

function pcapngHeader(): Uint8Array {
  const appl = new TextEncoder().encode('kdscope');
  const applPadded = (appl.length + 3) & ~3;
  const shbSize = 28 + 4 + applPadded + 4;
  const idbSize = 16 + 8 + 4 + 4;
  const out = new Uint8Array(shbSize + idbSize);
  const view = new DataView(out.buffer);
  view.setUint32(0, BLOCK_SHB, true);
  view.setUint32(4, shbSize, true);
  view.setUint32(8, BYTE_ORDER_MAGIC, true);
  view.setUint16(12, 1, true);
  view.setInt32(16, -1, true);
  view.setInt32(20, -1, true);
  view.setUint16(24, 4, true); // shb_userappl
  view.setUint16(26, appl.length, true);
  out.set(appl, 28);
  view.setUint32(28 + applPadded, OPT_ENDOFOPT, true);
  view.setUint32(shbSize - 4, shbSize, true);
  const i = shbSize;
  view.setUint32(i, BLOCK_IDB, true);
  view.setUint32(i + 4, idbSize, true);
  view.setUint16(i + 8, LINKTYPE_RAW, true);
  view.setUint32(i + 12, SNAPLEN, true);
  view.setUint16(i + 16, OPT_IF_TSRESOL, true);
  view.setUint16(i + 18, 1, true);
  out[i + 20] = 6; // microseconds
  view.setUint32(i + 24, OPT_ENDOFOPT, true);
  view.setUint32(i + idbSize - 4, idbSize, true);
  return out;
}

export type DatagramCaptureFormat = 'pcap' | 'pcapng';

export class UdpDatagramWriter {
  framesWritten = 0;

  private constructor(
    private readonly sink: FileSink,
    private readonly format: DatagramCaptureFormat,
  ) {
    try {
      sink.write(format === 'pcapng' ? pcapngHeader() : pcapHeader());
    } catch (error) {
      sink.close();
      throw error;
    }
  }

  /** Creates (truncates) `path`; throws CaptureWriteError with one line. */
  static open(path: string, format: DatagramCaptureFormat): UdpDatagramWriter {
    return new UdpDatagramWriter(FileSink.create(path), format);
  }

  get label(): string {
    return this.sink.label;
  }

  /** Bytes in the capture so far. */
  get bytesWritten(): number {
    return this.sink.bytesWritten;
  }

  /** One frame, written before this returns (throws CaptureWriteError; the file stays valid). */
  write(frame: UdpDatagramFrame): void {
    this.writeAll([frame]);
  }

  /**
   * Frames in one write (a relayed batch: one system call rather than one per datagram);
   * throws CaptureWriteError, and the file is then cut back to whole frames (FileSink).
   */
  writeAll(frames: readonly UdpDatagramFrame[]): void {
    if (frames.length === 0) return;
    const records = frames.map((frame) => {
      const packet = ipUdpFrame(frame);
      return this.format === 'pcapng' ? epb(frame, packet) : pcapRecord(frame.timeUs, packet);
    });
    let size = 0;
    for (const r of records) size += r.length;
    const out = records.length === 1 ? records[0]! : new Uint8Array(size);
    if (records.length > 1) {
      let at = 0;
      for (const r of records) {
        out.set(r, at);
        at += r.length;
      }
    }
    this.sink.write(out);
    this.framesWritten += frames.length;
  }

  close(): void {
    this.sink.close();
  }
}

function pcapRecord(timeUs: number, packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + packet.length);
  const seconds = Math.floor(timeUs / 1e6);
  writeU32le(out, 0, seconds);
  writeU32le(out, 4, Math.floor(timeUs - seconds * 1e6));
  writeU32le(out, 8, packet.length);
  writeU32le(out, 12, packet.length);
  out.set(packet, 16);
  return out;
}

function epb(frame: UdpDatagramFrame, packet: Uint8Array): Uint8Array {
  const padded = (packet.length + 3) & ~3;
  const size = 32 + padded + 12;
  const out = new Uint8Array(size);
  const time = Math.floor(frame.timeUs);
  const high = Math.floor(time / 0x100000000);
  writeU32le(out, 0, BLOCK_EPB);
  writeU32le(out, 4, size);
  writeU32le(out, 8, 0);
  writeU32le(out, 12, high);
  writeU32le(out, 16, time - high * 0x100000000);
  writeU32le(out, 20, packet.length);
  writeU32le(out, 24, packet.length);
  out.set(packet, 28);
  const opt = 28 + padded;
  writeU32le(out, opt, OPT_EPB_FLAGS | (4 << 16));
  writeU32le(out, opt + 4, epbDirectionFlag(frame.dir));
  writeU32le(out, opt + 8, OPT_ENDOFOPT);
  writeU32le(out, size - 4, size);
  return out;
}
