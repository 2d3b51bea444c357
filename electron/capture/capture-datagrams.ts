// The UDP datagrams of a capture as they were on the wire (for `kdscope replay`): payload,
// addresses, ports and time, whatever they carry. openCapture (capture-source.ts) gives the
// KD streams instead; a KDNET replay needs the datagrams unchanged.

import { CaptureError } from './capture-error';
import { CaptureInput } from './capture-input';
import { parsePcap, parsePcapng, sniffContainer, type RecordSink } from './container-parsers';
import { isGzip } from './gunzip';
import { findUdp, isSupportedLinkType, type UdpView } from './link-layer';

export interface CapturedDatagram {
  readonly frame: number;
  /** Microseconds since the Unix epoch. */
  readonly timeUs: number;
  /** Source and destination IP, dotted (IPv4) or hex words (IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** The UDP payload (a copy). */
  readonly payload: Uint8Array;
}

function ipText(buf: Uint8Array, at: number, v6: boolean): string {
  if (!v6) return Array.from(buf.subarray(at, at + 4)).join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((buf[at + i]! << 8) | buf[at + i + 1]!).toString(16));
  return words.join(':');
}

/**
 * Every UDP datagram of a pcap or pcapng (optionally .gz), in capture order. Throws
 * CaptureError for an unreadable file; a capture cut short gives what precedes the cut.
 */
export function readUdpDatagrams(path: string): {
  datagrams: CapturedDatagram[];
  error?: CaptureError;
} {
  // Read block by block like openCapture (a .gz inflated on demand): bounded memory.
  let input = CaptureInput.openFile(path, 'capture');
  if (input.has(0, 2) && isGzip(input.buf.subarray(0, 2))) {
    input.close();
    input = CaptureInput.openGzip(path, 'capture');
  }
  const format = input.has(0, 4) ? sniffContainer(input.buf.subarray(0, 4)) : undefined;
  if (!format) {
    input.close();
    throw new CaptureError(`${path} is not a pcap or pcapng capture`, 0);
  }
  const datagrams: CapturedDatagram[] = [];
  const udp: UdpView = { srcPort: 0, dstPort: 0, start: 0, end: 0, fullEnd: 0 };
  const onRecord: RecordSink = (frame, timeUs, linkType, buf, start, end) => {
    if (!isSupportedLinkType(linkType) || findUdp(linkType, buf, start, end, udp)) return;
    const ip = udp.ipStart!;
    const v6 = udp.ipVersion === 6;
    datagrams.push({
      frame,
      timeUs,
      src: ipText(buf, ip + (v6 ? 8 : 12), v6),
      dst: ipText(buf, ip + (v6 ? 24 : 16), v6),
      srcPort: udp.srcPort,
      dstPort: udp.dstPort,
      payload: buf.slice(udp.start, udp.end),
    });
  };
  let error: CaptureError | undefined;
  try {
    if (format === 'pcapng') parsePcapng(input, onRecord);
    else parsePcap(input, onRecord);
  } catch (caught) {
    if (!(caught instanceof CaptureError)) throw caught;
    error = caught;
  } finally {
    input.close();
  }
  const damage = input.gzipDamage;
  if (damage !== undefined) error = new CaptureError(`${path}: ${damage}`);
  return error ? { datagrams, error } : { datagrams };
}
