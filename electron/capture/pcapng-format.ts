// pcapng bytes: a Section Header Block, one Interface Description Block, and an Enhanced
// Packet Block per frame whose epb_flags option carries the direction, so the direction
// survives even where the UDP wrap does not (encapsulation 'raw': the KD bytes alone).

import type { Direction } from '../../protocol/kd/events';
import type { StreamChunk } from './chunk';
import { LINKTYPE_ETHERNET, writeU32le } from './pcap-format';
import { MAX_WRAP_PAYLOAD, SNAPLEN, WRAP_HEADER_SIZE, writeWrappedFrame } from './udp-wrap';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_PB = 0x00000002;
export const BLOCK_SPB = 0x00000003;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** LINKTYPE_USER0: frames are the raw KD stream bytes, direction only in epb_flags. */
export const LINKTYPE_USER0 = 147;

export const OPT_ENDOFOPT = 0;
export const OPT_SHB_USERAPPL = 4;
export const OPT_IF_NAME = 2;
export const OPT_IF_TSRESOL = 9;
export const OPT_EPB_FLAGS = 2;
/** epb_flags bits 0-1: the capture seen from the debugger's side of the wire. */
export const EPB_INBOUND = 1;
export const EPB_OUTBOUND = 2;

export type PcapngEncapsulation = 'udp' | 'raw';

export function epbDirectionFlag(dir: Direction): number {
  return dir === 'debugger->target' ? EPB_OUTBOUND : EPB_INBOUND;
}

export function directionFromEpbFlags(flags: number): Direction | undefined {
  const bits = flags & 3;
  if (bits === EPB_OUTBOUND) return 'debugger->target';
  if (bits === EPB_INBOUND) return 'target->debugger';
  return undefined;
}

const pad4 = (n: number): number => (n + 3) & ~3;
const encoder = new TextEncoder();

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

function optionsSize(options: readonly Option[]): number {
  let size = 4; // opt_endofopt
  for (const o of options) size += 4 + pad4(o.value.length);
  return size;
}

function writeOptions(
  view: DataView,
  bytes: Uint8Array,
  at: number,
  options: readonly Option[],
): number {
  let p = at;
  for (const o of options) {
    view.setUint16(p, o.code, true);
    view.setUint16(p + 2, o.value.length, true);
    bytes.set(o.value, p + 4);
    p += 4 + pad4(o.value.length);
  }
  view.setUint32(p, OPT_ENDOFOPT, true);
  return p + 4;
}

function block(
  type: number,
  bodySize: number,
  fill: (view: DataView, bytes: Uint8Array) => void,
): Uint8Array {
  const total = 12 + bodySize;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  fill(view, bytes);
  view.setUint32(total - 4, total, true);
  return bytes;
}

/** SHB + IDB: everything before the first packet. */
export function pcapngHeader(encapsulation: PcapngEncapsulation = 'udp'): Uint8Array {
  const shbOptions: Option[] = [{ code: OPT_SHB_USERAPPL, value: encoder.encode('kdscope') }];
  const shb = block(BLOCK_SHB, 16 + optionsSize(shbOptions), (view, bytes) => {
    view.setUint32(8, BYTE_ORDER_MAGIC, true);
    view.setUint16(12, 1, true);
    view.setUint16(14, 0, true);
    view.setInt32(16, -1, true); // section length unknown: written live
    view.setInt32(20, -1, true);
    writeOptions(view, bytes, 24, shbOptions);
  });
  const idbOptions: Option[] = [
    { code: OPT_IF_NAME, value: encoder.encode('kdscope') },
    { code: OPT_IF_TSRESOL, value: Uint8Array.of(6) },
  ];
  const idb = block(BLOCK_IDB, 8 + optionsSize(idbOptions), (view, bytes) => {
    view.setUint16(8, encapsulation === 'raw' ? LINKTYPE_USER0 : LINKTYPE_ETHERNET, true);
    view.setUint16(10, 0, true);
    view.setUint32(12, SNAPLEN, true);
    writeOptions(view, bytes, 16, idbOptions);
  });
  const out = new Uint8Array(shb.length + idb.length);
  out.set(shb);
  out.set(idb, shb.length);
  return out;
}

const EPB_FIXED = 20;
const EPB_OPTIONS_SIZE = 4 + 4 + 4; // epb_flags (4 + 4) + opt_endofopt

function pieceLimit(encapsulation: PcapngEncapsulation, maxPayload: number): number {
  return Math.min(maxPayload, SNAPLEN - (encapsulation === 'udp' ? WRAP_HEADER_SIZE : 0));
}

/** Bytes pcapngPacketBlocksInto writes for `frame`. */
export function pcapngPacketBlocksSize(
  frame: StreamChunk,
  encapsulation: PcapngEncapsulation = 'udp',
  maxPayload = MAX_WRAP_PAYLOAD,
): number {
  const headerSize = encapsulation === 'udp' ? WRAP_HEADER_SIZE : 0;
  const max = pieceLimit(encapsulation, maxPayload);
  const n = frame.bytes.length;
  const pieces = Math.max(1, Math.ceil(n / max));
  const fixed = 12 + EPB_FIXED + EPB_OPTIONS_SIZE;
  // Every piece but the last is `max` bytes long.
  const last = n - (pieces - 1) * max;
  return (pieces - 1) * (fixed + pad4(headerSize + max)) + fixed + pad4(headerSize + last);
}

/** Writes the EPBs for one frame (split into pieces that fit the snaplen) at `at`. */
export function pcapngPacketBlocksInto(
  out: Uint8Array,
  at: number,
  frame: StreamChunk,
  encapsulation: PcapngEncapsulation = 'udp',
  ipId = 0,
  maxPayload = MAX_WRAP_PAYLOAD,
): number {
  const headerSize = encapsulation === 'udp' ? WRAP_HEADER_SIZE : 0;
  const max = pieceLimit(encapsulation, maxPayload);
  const bytes = frame.bytes;
  const time = Math.floor(frame.timeUs);
  const high = Math.floor(time / 0x100000000);
  const low = time - high * 0x100000000;
  const flags = epbDirectionFlag(frame.dir);
  let p = at;
  let piece = 0;
  let from = 0;
  do {
    const to = Math.min(from + max, bytes.length);
    const captured = headerSize + (to - from);
    const padded = pad4(captured);
    const size = 12 + EPB_FIXED + padded + EPB_OPTIONS_SIZE;
    writeU32le(out, p, BLOCK_EPB);
    writeU32le(out, p + 4, size);
    writeU32le(out, p + 8, 0);
    writeU32le(out, p + 12, high);
    writeU32le(out, p + 16, low);
    writeU32le(out, p + 20, captured);
    writeU32le(out, p + 24, captured);
    if (encapsulation === 'udp') {
      writeWrappedFrame(out, p + 28, frame.dir, bytes.subarray(from, to), ipId + piece);
    } else {
      out.set(bytes.subarray(from, to), p + 28);
    }
    out.fill(0, p + 28 + captured, p + 28 + padded);
    const opt = p + 28 + padded;
    writeU32le(out, opt, OPT_EPB_FLAGS | (4 << 16));
    writeU32le(out, opt + 4, flags);
    writeU32le(out, opt + 8, OPT_ENDOFOPT);
    writeU32le(out, p + size - 4, size);
    p += size;
    piece++;
    from = to;
  } while (from < bytes.length);
  return p - at;
}

/** The EPBs for one frame as a new array (see pcapngPacketBlocksInto). */
export function pcapngPacketBlocks(
  frame: StreamChunk,
  encapsulation: PcapngEncapsulation = 'udp',
  ipId = 0,
  maxPayload = MAX_WRAP_PAYLOAD,
): Uint8Array {
  const out = new Uint8Array(pcapngPacketBlocksSize(frame, encapsulation, maxPayload));
  pcapngPacketBlocksInto(out, 0, frame, encapsulation, ipId, maxPayload);
  return out;
}
