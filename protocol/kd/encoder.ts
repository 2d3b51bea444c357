// Builds KD serial packets byte-exact as kdcom sends them. Simulators and tests use it.

import { byteSum } from './byte-sums';
import {
  BYTE_BREAKIN,
  HEADER_SIZE,
  LEADER_CONTROL,
  LEADER_DATA,
  PACKET_TRAILER,
  PacketType,
} from './constants';

/** The KD checksum of a payload: the sum of its bytes modulo 2^32. */
export function payloadChecksum(payload: Uint8Array): number {
  return byteSum(payload);
}

export interface EncodeOptions {
  /** Override the computed checksum (to build corrupt packets in tests). */
  readonly checksum?: number;
  /** Override ByteCount (to build corrupt packets in tests). */
  readonly byteCount?: number;
  /** Override the trailer byte (to build corrupt packets in tests). */
  readonly trailer?: number;
}

function writeHeader(
  out: Uint8Array,
  leader: number,
  type: number,
  byteCount: number,
  id: number,
  checksum: number,
): void {
  const view = new DataView(out.buffer, out.byteOffset, HEADER_SIZE);
  view.setUint32(0, leader, true);
  view.setUint16(4, type, true);
  view.setUint16(6, byteCount, true);
  view.setUint32(8, id >>> 0, true);
  view.setUint32(12, checksum >>> 0, true);
}

/** A data packet: header, payload, trailer 0xAA. */
export function encodeDataPacket(
  type: number,
  id: number,
  payload: Uint8Array,
  options: EncodeOptions = {},
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length + 1);
  writeHeader(
    out,
    LEADER_DATA,
    type,
    options.byteCount ?? payload.length,
    id,
    options.checksum ?? payloadChecksum(payload),
  );
  out.set(payload, HEADER_SIZE);
  out[out.length - 1] = options.trailer ?? PACKET_TRAILER;
  return out;
}

/** A control packet (ACKNOWLEDGE, RESEND, RESET): header only. */
export function encodeControlPacket(type: number, id = 0): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(out, LEADER_CONTROL, type, 0, id, 0);
  return out;
}

export const encodeAck = (id: number): Uint8Array =>
  encodeControlPacket(PacketType.ACKNOWLEDGE, id);
export const encodeResend = (): Uint8Array => encodeControlPacket(PacketType.RESEND, 0);
export const encodeReset = (): Uint8Array => encodeControlPacket(PacketType.RESET, 0);
/** The break-in request WinDbg sends: one lone 0x62 byte. */
export const encodeBreakin = (): Uint8Array => Uint8Array.of(BYTE_BREAKIN);

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
