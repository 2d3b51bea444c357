// Frames written as they were captured, whatever their link layer (a KDNET datagram in its
// Ethernet/IP/UDP frame, not the KD stream it carries): what "export the packets as captured"
// needs. pcap holds one link type per file; pcapng gets an interface per link type met.
// Frames are gathered and written in large blocks (an export is a whole file); a failed write
// leaves the file cut back to whole frames (FileSink).

import { CaptureWriteError } from './capture-error';
import { FileSink } from './file-sink';
import { PCAP_HEADER_SIZE, PCAP_MAGIC_US, PCAP_RECORD_HEADER_SIZE } from './pcap-format';
import { BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC } from './pcapng-format';

const LINKTYPE_ETHERNET = 1;
/** Snapshot length announced in headers: the largest frame the readers accept comfortably. */
const SNAPLEN = 262144;
const EPB_HEADER = 28;
const EPB_TRAILER = 4;

const pad4 = (n: number): number => (n + 3) & ~3;

export class AsCapturedWriter {
  framesWritten = 0;
  private buffer = new Uint8Array(1 << 20);
  private view = new DataView(this.buffer.buffer);
  private used = 0;
  /** pcap: the file's link type once the header is out; pcapng: interface id per link type. */
  private pcapLinkType: number | undefined;
  private readonly interfaces = new Map<number, number>();
  private pendingFrames = 0;

  private constructor(
    private readonly sink: FileSink,
    private readonly format: 'pcap' | 'pcapng',
    private readonly bufferBytes: number,
  ) {
    if (format === 'pcapng') this.sectionHeader();
  }

  /** Creates (or truncates) `path`; throws CaptureWriteError (one line). */
  static open(
    path: string,
    format: 'pcap' | 'pcapng',
    options: { bufferBytes?: number } = {},
  ): AsCapturedWriter {
    return new AsCapturedWriter(FileSink.create(path), format, options.bufferBytes ?? 1 << 20);
  }

  get label(): string {
    return this.sink.label;
  }

  get bytesWritten(): number {
    return this.sink.bytesWritten + this.used;
  }

  /** One frame: bytes[start, end) of link type `linkType`, captured at `timeUs`. */
  write(linkType: number, timeUs: number, bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (this.format === 'pcap') {
      if (this.pcapLinkType === undefined) this.pcapHeader(linkType);
      else if (linkType !== this.pcapLinkType)
        throw new CaptureWriteError(
          `cannot write capture ${this.label}: frames of link types ${this.pcapLinkType} and ${linkType}; pcap holds one, export as pcapng`,
        );
      const at = this.reserve(PCAP_RECORD_HEADER_SIZE + length);
      const seconds = Math.floor(timeUs / 1e6);
      this.view.setUint32(at, seconds, true);
      this.view.setUint32(at + 4, Math.floor(timeUs - seconds * 1e6), true);
      this.view.setUint32(at + 8, length, true);
      this.view.setUint32(at + 12, length, true);
      this.buffer.set(bytes.subarray(start, end), at + PCAP_RECORD_HEADER_SIZE);
    } else {
      const id = this.interfaces.get(linkType) ?? this.interfaceBlock(linkType);
      const total = EPB_HEADER + pad4(length) + EPB_TRAILER;
      const at = this.reserve(total);
      const micros = Math.floor(timeUs);
      const v = this.view;
      v.setUint32(at, BLOCK_EPB, true);
      v.setUint32(at + 4, total, true);
      v.setUint32(at + 8, id, true);
      v.setUint32(at + 12, Math.floor(micros / 0x100000000), true);
      v.setUint32(at + 16, micros >>> 0, true);
      v.setUint32(at + 20, length, true);
      v.setUint32(at + 24, length, true);
      this.buffer.set(bytes.subarray(start, end), at + EPB_HEADER);
      this.buffer.fill(0, at + EPB_HEADER + length, at + total - EPB_TRAILER);
      v.setUint32(at + total - EPB_TRAILER, total, true);
    }
    this.pendingFrames++;
    if (this.used >= this.bufferBytes) this.flush();
  }

  flush(): void {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    const frames = this.pendingFrames;
    this.used = 0;
    this.pendingFrames = 0;
    this.sink.write(bytes);
    this.framesWritten += frames;
  }

  close(): void {
    try {
      // A pcap without frames still needs its header to be a capture.
      if (this.format === 'pcap' && this.pcapLinkType === undefined)
        this.pcapHeader(LINKTYPE_ETHERNET);
      this.flush();
    } finally {
      this.sink.close();
    }
  }

  /** Room for `n` more bytes in the buffer; returns where they go. */
  private reserve(n: number): number {
    if (this.used + n > this.buffer.length) {
      this.flush();
      if (n > this.buffer.length) {
        this.buffer = new Uint8Array(Math.max(n, this.buffer.length * 2));
        this.view = new DataView(this.buffer.buffer);
      }
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  private pcapHeader(linkType: number): void {
    this.pcapLinkType = linkType;
    const at = this.reserve(PCAP_HEADER_SIZE);
    const v = this.view;
    v.setUint32(at, PCAP_MAGIC_US, true);
    v.setUint16(at + 4, 2, true);
    v.setUint16(at + 6, 4, true);
    v.setInt32(at + 8, 0, true);
    v.setUint32(at + 12, 0, true);
    v.setUint32(at + 16, SNAPLEN, true);
    v.setUint32(at + 20, linkType, true);
  }

  private sectionHeader(): void {
    const total = 28;
    const at = this.reserve(total);
    const v = this.view;
    v.setUint32(at, BLOCK_SHB, true);
    v.setUint32(at + 4, total, true);
    v.setUint32(at + 8, BYTE_ORDER_MAGIC, true);
    v.setUint16(at + 12, 1, true);
    v.setUint16(at + 14, 0, true);
    // Section length unknown.
    v.setInt32(at + 16, -1, true);
    v.setInt32(at + 20, -1, true);
    v.setUint32(at + 24, total, true);
  }

  /** An Interface Description Block for `linkType` (microsecond timestamps, the default). */
  private interfaceBlock(linkType: number): number {
    const id = this.interfaces.size;
    this.interfaces.set(linkType, id);
    const total = 20;
    const at = this.reserve(total);
    const v = this.view;
    v.setUint32(at, BLOCK_IDB, true);
    v.setUint32(at + 4, total, true);
    v.setUint16(at + 8, linkType, true);
    v.setUint16(at + 10, 0, true);
    v.setUint32(at + 12, SNAPLEN, true);
    v.setUint32(at + 16, total, true);
    return id;
  }
}
