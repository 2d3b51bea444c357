// The details tree of one packet as on the wire: header, payload structure, data, trailer.
// Every node's range lies inside the packet bytes and inside its parent's range.

import {
  BYTE_BREAKIN,
  HEADER_SIZE,
  LEADER_BREAKIN,
  LEADER_CONTROL,
  LEADER_DATA,
  PACKET_TRAILER,
  PacketType,
  StateChange,
  FileIoApi,
  debugIoApiName,
  fileIoApiName,
  manipulateApiName,
  packetTypeName,
  stateChangeName,
} from '../constants';
import { payloadChecksum } from '../encoder';
import type { Direction } from '../events';
import type { FieldNode } from '../summary';
import { ansiText, hex, hexDec, hexPreview, oneLine, u16At, u32At, utf16Text } from './bytes';
import { debugIoSpec } from './debug-io';
import type { FamilySpec, FamilyView } from './family';
import { dissectFamily } from './family';
import { fileIoSpec } from './file-io';
import { dissectLayout, u16, u32 } from './layout';
import { manipulateSpec, manipulateView } from './manipulate';
import { commandString, stateChange32Spec, stateChange64Spec } from './state-change';
import { controlRequestApiName, controlRequestSpec, traceIoApiName, traceIoSpec } from './trace-io';

function leaderText(leader: number): string {
  const kind =
    leader === LEADER_DATA
      ? 'data'
      : leader === LEADER_CONTROL
        ? 'control'
        : leader === LEADER_BREAKIN
          ? 'break-in'
          : 'unknown';
  return `${hex(leader)} (${kind})`;
}

const headerLayout = {
  packetLeader: u32(0, { show: leaderText }),
  packetType: u16(4, { show: (v) => `${v} (${packetTypeName(v)})` }),
  byteCount: u16(6, { show: hexDec }),
  packetId: u32(8),
  checksum: u32(12),
};

interface PayloadView {
  readonly spec: FamilySpec;
  readonly title: string;
  readonly data: (d: Uint8Array) => string;
  readonly view?: FamilyView;
}

const noText = (): string => '';

function payloadView(
  type: number,
  b: Uint8Array,
  at: number,
  dir: Direction | undefined,
): PayloadView | undefined {
  const selector = u32At(b, at);
  switch (type) {
    case PacketType.STATE_MANIPULATE:
      return {
        spec: manipulateSpec,
        title: manipulateApiName(selector),
        data: noText,
        view: manipulateView(selector, dir),
      };
    case PacketType.STATE_CHANGE64:
    case PacketType.STATE_CHANGE32: {
      const spec = type === PacketType.STATE_CHANGE64 ? stateChange64Spec : stateChange32Spec;
      const data =
        selector === StateChange.LoadSymbols
          ? (d: Uint8Array) => oneLine(ansiText(d))
          : selector === StateChange.CommandString
            ? (d: Uint8Array) => {
                const cs = commandString(d);
                return `${oneLine(cs.name)} ${oneLine(cs.command)}`;
              }
            : noText;
      return { spec, title: stateChangeName(selector), data };
    }
    case PacketType.DEBUG_IO:
      return {
        spec: debugIoSpec,
        title: debugIoApiName(selector),
        data: (d) => oneLine(ansiText(d)),
      };
    case PacketType.FILE_IO:
      return {
        spec: fileIoSpec,
        title: fileIoApiName(selector),
        data: selector === FileIoApi.CreateFile ? (d) => oneLine(utf16Text(d)) : noText,
      };
    case PacketType.TRACE_IO:
      return { spec: traceIoSpec, title: traceIoApiName(selector), data: noText };
    case PacketType.CONTROL_REQUEST:
      return { spec: controlRequestSpec, title: controlRequestApiName(selector), data: noText };
    default:
      return undefined;
  }
}

/**
 * Details tree of `bytes`: one whole packet (header + payload + trailer); never throws. `dir`
 * tells a request from a reply: a request's fields that only the reply fills are shown as
 * such, not decoded. Without it every field is decoded as the C type says.
 */
export function dissectPacket(bytes: Uint8Array, dir?: Direction): FieldNode[] {
  const b = bytes;
  if (b.length === 0) return [];
  if (b.length < 4 && b.every((x) => x === BYTE_BREAKIN)) {
    return [{ name: 'Break-in', value: `${b.length} × 0x62 ('b')`, offset: 0, length: b.length }];
  }

  const nodes: FieldNode[] = [];
  const headerEnd = Math.min(b.length, HEADER_SIZE);
  const leader = u32At(b, 0);
  const type = u16At(b, 4);
  const byteCount = u16At(b, 6);
  const isData = leader === LEADER_DATA;
  const present = isData ? Math.max(0, Math.min(byteCount, b.length - HEADER_SIZE)) : 0;
  const payloadEnd = HEADER_SIZE + present;

  const headerChildren = dissectLayout(b, 0, headerEnd, headerLayout).map((n) => {
    if (n.name !== 'Checksum' || n.error || !isData) return n;
    if (present < byteCount) return { ...n, error: 'cannot be verified: payload truncated' };
    const sum = payloadChecksum(b.subarray(HEADER_SIZE, payloadEnd));
    const sent = u32At(b, 12);
    return sent === sum
      ? { ...n, value: `${n.value} (correct)` }
      : {
          ...n,
          value: `${n.value} (should be ${hex(sum)})`,
          error: `wrong checksum: payload sums to ${hex(sum)}`,
        };
  });
  const headerError =
    headerEnd < HEADER_SIZE
      ? { error: `truncated: ${headerEnd} of ${HEADER_SIZE} header bytes` }
      : {};
  nodes.push({
    name: 'KD_PACKET',
    value: `${packetTypeName(type)} id ${hex(u32At(b, 8))}`,
    offset: 0,
    length: headerEnd,
    children: headerChildren,
    ...headerError,
  });
  if (headerEnd < HEADER_SIZE) return nodes;

  if (isData) {
    if (present > 0) {
      const view = payloadView(type, b, HEADER_SIZE, dir);
      const children = view
        ? dissectFamily(
            view.spec,
            b,
            HEADER_SIZE,
            payloadEnd,
            u32At(b, HEADER_SIZE),
            view.title,
            view.data,
            view.view,
          )
        : [];
      const cut =
        present < byteCount
          ? { error: `truncated: ByteCount ${byteCount}, ${present} bytes present` }
          : {};
      nodes.push({
        name: `Payload (${present} bytes)`,
        value: view ? view.title : hexPreview(b.subarray(HEADER_SIZE, payloadEnd)),
        offset: HEADER_SIZE,
        length: present,
        children,
        ...cut,
      });
    }
    if (b.length > payloadEnd) {
      const t = b[payloadEnd] ?? 0;
      nodes.push({
        name: 'Trailer',
        value: hex(t),
        offset: payloadEnd,
        length: 1,
        ...(t === PACKET_TRAILER ? {} : { error: `should be ${hex(PACKET_TRAILER)}` }),
      });
    }
  }
  const packetEnd = isData ? payloadEnd + 1 : HEADER_SIZE;
  if (b.length > packetEnd) {
    nodes.push({
      name: `Extra bytes (${b.length - packetEnd})`,
      value: hexPreview(b.subarray(packetEnd)),
      offset: packetEnd,
      length: b.length - packetEnd,
      error: 'not part of this packet',
    });
  }
  return nodes;
}
