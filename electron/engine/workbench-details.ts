// The details tree of one packet for the UI. TEMPORARY header-only dissection until
// protocol/kd/payloads dissectPacket lands; then this file only delegates to it.

import {
  BYTE_BREAKIN,
  HEADER_SIZE,
  LEADER_CONTROL,
  LEADER_DATA,
  PACKET_TRAILER,
  packetTypeName,
} from '../../protocol/kd/constants';
import { payloadChecksum } from '../../protocol/kd/encoder';
import type { FieldNode } from '../../protocol/kd/summary';

const hex = (n: number, width = 0): string => `0x${n.toString(16).padStart(width, '0')}`;

export function packetFields(bytes: Uint8Array): FieldNode[] {
  if (bytes.length > 0 && bytes.every((b) => b === BYTE_BREAKIN)) {
    return [{ name: 'Break-in', value: `${bytes.length} x 0x62`, offset: 0, length: bytes.length }];
  }
  if (bytes.length < HEADER_SIZE) {
    return [{ name: 'Bytes', value: `${bytes.length} bytes`, offset: 0, length: bytes.length }];
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const leader = v.getUint32(0, true);
  const type = v.getUint16(4, true);
  const byteCount = v.getUint16(6, true);
  const id = v.getUint32(8, true);
  const checksum = v.getUint32(12, true);
  const leaderName =
    leader === LEADER_DATA ? 'data' : leader === LEADER_CONTROL ? 'control' : 'unknown';
  const header: FieldNode[] = [
    { name: 'Leader', value: `${hex(leader, 8)} (${leaderName})`, offset: 0, length: 4 },
    { name: 'PacketType', value: `${type} (${packetTypeName(type)})`, offset: 4, length: 2 },
    { name: 'ByteCount', value: String(byteCount), offset: 6, length: 2 },
    { name: 'PacketId', value: hex(id, 8), offset: 8, length: 4 },
  ];
  const fields: FieldNode[] = [];
  if (leader === LEADER_DATA && bytes.length >= HEADER_SIZE + byteCount) {
    const payload = bytes.subarray(HEADER_SIZE, HEADER_SIZE + byteCount);
    const sum = payloadChecksum(payload);
    header.push({
      name: 'Checksum',
      value: sum === checksum ? `${hex(checksum, 8)} (correct)` : `${hex(checksum, 8)}`,
      offset: 12,
      length: 4,
      ...(sum === checksum ? {} : { error: `expected ${hex(sum, 8)}` }),
    });
    fields.push({
      name: 'KD header',
      value: packetTypeName(type),
      offset: 0,
      length: 16,
      children: header,
    });
    fields.push({
      name: 'Payload',
      value: `${byteCount} bytes`,
      offset: HEADER_SIZE,
      length: byteCount,
    });
    const trailerAt = HEADER_SIZE + byteCount;
    const trailer = bytes[trailerAt];
    if (trailer !== undefined) {
      fields.push({
        name: 'Trailer',
        value: hex(trailer, 2),
        offset: trailerAt,
        length: 1,
        ...(trailer === PACKET_TRAILER ? {} : { error: 'expected 0xaa' }),
      });
    }
  } else {
    header.push({ name: 'Checksum', value: hex(checksum, 8), offset: 12, length: 4 });
    fields.push({
      name: 'KD header',
      value: packetTypeName(type),
      offset: 0,
      length: 16,
      children: header,
    });
  }
  return fields;
}
