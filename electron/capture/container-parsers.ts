// pcap and pcapng container parsing over a CaptureInput (all in memory, or a file read in
// blocks). Each record is handed on before the next is read, so a truncated or corrupt file
// delivers everything readable and then throws a CaptureError naming the byte offset and frame.

import { CaptureError } from './capture-error';
import type { CaptureInput } from './capture-input';
import {
  PCAP_HEADER_SIZE,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_SIZE,
} from './pcap-format';
import {
  BLOCK_EPB,
  BLOCK_IDB,
  BLOCK_PB,
  BLOCK_SHB,
  BLOCK_SPB,
  BYTE_ORDER_MAGIC,
  OPT_EPB_FLAGS,
  OPT_IF_TSRESOL,
} from './pcapng-format';

/**
 * One captured frame: bytes [start, end) of `buf` (offsets, not a view: no allocation per
 * frame). `buf` is the input's current window: read it during the call only. epbFlags is -1
 * when absent.
 */
export type RecordSink = (
  frame: number,
  timeUs: number,
  linkType: number,
  buf: Uint8Array,
  start: number,
  end: number,
  epbFlags: number,
) => void;

export type ContainerFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/**
 * Part of a capture to read: its records from byte `start` (where frame number `frame` begins)
 * up to byte `end` (a record boundary). The file's header is read for its context (byte
 * order, link type, interfaces); a pcapng must declare its interfaces before its first packet
 * (as our writers do).
 */
export interface RecordRange {
  readonly start: number;
  readonly frame: number;
  readonly end: number;
}

/**
 * Larger records than this are corruption, whatever the file's snaplen says: KD captures hold
 * frames of at most 64 KiB (a UDP datagram), and a record is held whole in the reader's
 * window, so this bounds its memory too.
 */
const MAX_RECORD = 16 * 1024 * 1024;
const OPT_IF_TSOFFSET = 14;

export function sniffContainer(buf: Uint8Array): ContainerFormat | undefined {
  if (buf.length < 4) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MAGIC_US || be === PCAP_MAGIC_US) return 'pcap';
  if (le === PCAP_MAGIC_NS || be === PCAP_MAGIC_NS) return 'pcap-ns';
  if (le === BLOCK_SHB) return 'pcapng';
  return undefined;
}

/**
 * A container parser that can stop between records and go on later (an export or an import
 * that yields to the event loop): `step(n)` reads at most n more records and returns false
 * once the capture has ended. Errors are thrown as by parsePcap / parsePcapng.
 */
export interface ContainerParser {
  step(maxFrames: number): boolean;
  /** The last record's frame number (records read so far, unless a range began later). */
  readonly frames: number;
  /**
   * During a sink call, the byte offset where the record being delivered begins; between
   * steps, where the next one begins (a record boundary). A range read may start at either.
   */
  readonly offset: number;
  /**
   * The capture redefined its context after packets began (a pcapng section or interface
   * declared late): a range starting after that point would be read with the wrong context.
   */
  readonly contextAfterPackets: boolean;
}

/** Reads every record (one step without a limit); returns the last one's frame number. */
function parseAll(parser: ContainerParser): number {
  while (parser.step(Infinity));
  return parser.frames;
}

export function parsePcap(input: CaptureInput, sink: RecordSink, range?: RecordRange): number {
  return parseAll(pcapParser(input, sink, range));
}

export function pcapParser(
  input: CaptureInput,
  sink: RecordSink,
  range?: RecordRange,
): ContainerParser {
  return new PcapParser(input, sink, range);
}

class PcapParser implements ContainerParser {
  private readonly le: boolean;
  private readonly linkType: number;
  private readonly limit: number;
  private readonly fracPerUs: number;
  /** Where the next record starts, and where to stop (a range's end). */
  private at = PCAP_HEADER_SIZE;
  private readonly stop: number;
  frames = 0;
  private ended = false;
  /** A pcap's header is its only context. */
  readonly contextAfterPackets = false;

  get offset(): number {
    return this.at;
  }

  constructor(
    private readonly input: CaptureInput,
    private readonly sink: RecordSink,
    range?: RecordRange,
  ) {
    if (!input.has(0, PCAP_HEADER_SIZE)) {
      throw new CaptureError(
        `truncated pcap file header at byte 0 (${input.base + input.end} of 24 bytes)`,
        0,
      );
    }
    const header = input.view;
    const magicLe = header.getUint32(0, true);
    const le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS;
    this.le = le;
    const nano = (le ? magicLe : header.getUint32(0, false)) === PCAP_MAGIC_NS;
    const snaplen = header.getUint32(16, le);
    // The FCS-length bits share the link-type field (pcap spec); the type is the low 16 bits.
    this.linkType = header.getUint32(20, le) & 0xffff;
    this.limit = Math.min(Math.max(snaplen, 262144), MAX_RECORD);
    this.fracPerUs = nano ? 1000 : 1;
    if (range !== undefined) {
      this.at = Math.max(this.at, range.start);
      this.frames = range.frame - 1;
    }
    this.stop = range?.end ?? Infinity;
  }

  step(maxFrames: number): boolean {
    if (this.ended) return false;
    const { input, sink, le, linkType, limit, fracPerUs, stop } = this;
    // The window moves as the file is read: these are reloaded after each input.has().
    let buf = input.buf;
    let view = input.view;
    let base = input.base;
    let avail = base + input.end;
    let at = this.at;
    let frame = this.frames;
    const stopAt = frame + Math.min(maxFrames, 0x3fffffff);
    try {
      while (frame < stopAt) {
        if (at >= stop) {
          this.ended = true;
          return false;
        }
        if (at + PCAP_RECORD_HEADER_SIZE > avail) {
          const ok = input.has(at, PCAP_RECORD_HEADER_SIZE);
          buf = input.buf;
          view = input.view;
          base = input.base;
          avail = base + input.end;
          if (!ok) {
            if (at >= avail) {
              this.ended = true;
              return false;
            }
            frame++;
            throw new CaptureError(
              `truncated packet record header at byte ${at} (frame ${frame})`,
              at,
              frame,
            );
          }
        }
        frame++;
        const h = at - base;
        const seconds = view.getUint32(h, le);
        const fraction = view.getUint32(h + 4, le);
        const captured = view.getUint32(h + 8, le);
        if (captured > limit) {
          throw new CaptureError(
            `corrupt packet record at byte ${at} (frame ${frame}): captured length ${captured} exceeds ${limit}`,
            at,
            frame,
          );
        }
        const data = at + PCAP_RECORD_HEADER_SIZE;
        if (data + captured > avail) {
          // The record header comes along, so the window starts at the record.
          const ok = input.has(at, PCAP_RECORD_HEADER_SIZE + captured);
          buf = input.buf;
          view = input.view;
          base = input.base;
          avail = base + input.end;
          if (!ok) {
            throw new CaptureError(
              `truncated packet record at byte ${at} (frame ${frame}): ${captured} bytes announced, ${avail - data} present`,
              at,
              frame,
            );
          }
        }
        this.at = at;
        sink(
          frame,
          seconds * 1e6 + fraction / fracPerUs,
          linkType,
          buf,
          data - base,
          data - base + captured,
          -1,
        );
        at = data + captured;
      }
      return true;
    } catch (error) {
      this.ended = true;
      throw error;
    } finally {
      this.at = at;
      this.frames = frame;
    }
  }
}

interface Interface {
  readonly linkType: number;
  /** Timestamp units per microsecond. */
  readonly unitsPerUs: number;
  readonly offsetUs: number;
}

function tsresolUnitsPerUs(value: number): number {
  const exponent = value & 0x7f;
  const unitsPerSecond = value & 0x80 ? 2 ** exponent : 10 ** exponent;
  return unitsPerSecond / 1e6;
}

/** Walks an options area; calls `each(code, start, length)`. Returns false if malformed. */
function walkOptions(
  view: DataView,
  le: boolean,
  start: number,
  end: number,
  each: (code: number, at: number, length: number) => void,
): boolean {
  let at = start;
  while (at + 4 <= end) {
    const code = view.getUint16(at, le);
    const length = view.getUint16(at + 2, le);
    if (code === 0) return true;
    if (at + 4 + length > end) return false;
    each(code, at + 4, length);
    at += 4 + ((length + 3) & ~3);
  }
  return true;
}

export function parsePcapng(input: CaptureInput, sink: RecordSink, range?: RecordRange): number {
  return parseAll(pcapngParser(input, sink, range));
}

export function pcapngParser(
  input: CaptureInput,
  sink: RecordSink,
  range?: RecordRange,
): ContainerParser {
  return new PcapngParser(input, sink, range);
}

class PcapngParser implements ContainerParser {
  /** Byte order and interfaces of the current section. */
  private le = true;
  private interfaces: Interface[] = [];
  frames = 0;
  /** Where the next block starts. */
  private at = 0;
  private ended = false;
  contextAfterPackets = false;

  get offset(): number {
    return this.at;
  }

  constructor(
    private readonly input: CaptureInput,
    private readonly sink: RecordSink,
    private readonly range?: RecordRange,
  ) {}

  step(maxFrames: number): boolean {
    if (this.ended) return false;
    const { input, sink, range } = this;
    const stop = range?.end ?? Infinity;
    let le = this.le;
    let interfaces = this.interfaces;
    let frame = this.frames;
    let at = this.at;
    let stopAt = frame + Math.min(maxFrames, 0x3fffffff);
    // The window moves as the file is read: these are reloaded after each input.has().
    let buf = input.buf;
    let view = input.view;
    let base = input.base;
    let avail = base + input.end;
    /** `no`: the frame the block holds; a packet block has counted itself already. */
    const corrupt = (what: string, where: number, no = frame + 1): never => {
      throw new CaptureError(`${what} at byte ${where} (frame ${no})`, where, no);
    };
    /** Makes [at, at + n) readable; false when the capture ends first. */
    const need = (n: number): boolean => {
      const ok = input.has(at, n);
      buf = input.buf;
      view = input.view;
      base = input.base;
      avail = base + input.end;
      return ok;
    };

    try {
      while (frame < stopAt) {
        if (at >= stop) {
          this.ended = true;
          return false;
        }
        if (at + 12 > avail && !need(12)) {
          if (at >= avail) {
            this.ended = true;
            return false;
          }
          corrupt('truncated block header', at);
        }
        let r = at - base;
        let type = view.getUint32(r, le);
        if (
          range !== undefined &&
          at < range.start &&
          (type === BLOCK_EPB || type === BLOCK_PB || type === BLOCK_SPB)
        ) {
          // The header is read: go to the range (the step's budget moves with the numbering).
          at = range.start;
          stopAt += range.frame - 1 - frame;
          frame = range.frame - 1;
          continue;
        }
        if (type === BLOCK_SHB) {
          if (at + 28 > avail && !need(28)) corrupt('truncated section header block', at);
          r = at - base;
          const bom = view.getUint32(r + 8, true);
          if (bom === BYTE_ORDER_MAGIC) le = true;
          else if (bom === 0x4d3c2b1a) le = false;
          else corrupt('corrupt section header block (bad byte-order magic)', at);
          type = BLOCK_SHB;
          interfaces = [];
          if (frame > 0) this.contextAfterPackets = true;
        }
        const length = view.getUint32(r + 4, le);
        if (length < 12 || length % 4 !== 0 || length > MAX_RECORD) {
          corrupt(`corrupt block length ${length}`, at);
        }
        if (at + length > avail && !need(length)) {
          corrupt(`truncated block of ${length} bytes (${avail - at} present)`, at);
        }
        r = at - base;
        if (view.getUint32(r + length - 4, le) !== length) {
          corrupt('corrupt block (trailing length differs)', at);
        }
        const bodyEnd = r + length - 4;

        if (type === BLOCK_IDB) {
          if (length < 20) corrupt('corrupt interface description block', at);
          if (frame > 0) this.contextAfterPackets = true;
          let unitsPerUs = 1;
          let offsetUs = 0;
          const idbView = view;
          const idbLe = le;
          walkOptions(view, le, r + 16, bodyEnd, (code, o, len) => {
            if (code === OPT_IF_TSRESOL && len >= 1)
              unitsPerUs = tsresolUnitsPerUs(idbView.getUint8(o));
            if (code === OPT_IF_TSOFFSET && len >= 8) {
              offsetUs = Number(idbView.getBigInt64(o, idbLe)) * 1e6;
            }
          });
          interfaces.push({ linkType: view.getUint16(r + 8, le), unitsPerUs, offsetUs });
        } else if (type === BLOCK_EPB || type === BLOCK_PB) {
          frame++;
          if (length < 32) corrupt('corrupt packet block', at, frame);
          const id = type === BLOCK_EPB ? view.getUint32(r + 8, le) : view.getUint16(r + 8, le);
          const iface = interfaces[id];
          if (!iface) corrupt(`packet block for undeclared interface ${id}`, at, frame);
          const high = view.getUint32(r + 12, le);
          const low = view.getUint32(r + 16, le);
          const captured = view.getUint32(r + 20, le);
          const data = r + 28;
          if (data + captured > bodyEnd)
            corrupt(`corrupt packet block (captured length ${captured})`, at, frame);
          let flags = -1;
          const epbView = view;
          const epbLe = le;
          walkOptions(view, le, data + ((captured + 3) & ~3), bodyEnd, (code, o, len) => {
            if (code === OPT_EPB_FLAGS && len >= 4) flags = epbView.getUint32(o, epbLe);
          });
          const timeUs = (high * 0x100000000 + low) / iface!.unitsPerUs + iface!.offsetUs;
          this.at = at;
          sink(frame, timeUs, iface!.linkType, buf, data, data + captured, flags);
        } else if (type === BLOCK_SPB) {
          frame++;
          const iface = interfaces[0];
          if (!iface) corrupt('simple packet block without an interface', at, frame);
          const captured = Math.min(view.getUint32(r + 8, le), bodyEnd - (r + 12));
          this.at = at;
          sink(frame, 0, iface!.linkType, buf, r + 12, r + 12 + captured, -1);
        }
        at += length;
      }
      return true;
    } catch (error) {
      this.ended = true;
      throw error;
    } finally {
      this.le = le;
      this.interfaces = interfaces;
      this.frames = frame;
      this.at = at;
    }
  }
}
