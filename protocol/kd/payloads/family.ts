// Every KD payload has the same shape: a fixed header, a union chosen by one header field
// (ApiNumber or NewState), sometimes a fixed part after the union (the control report), then
// variable data. One description of that shape per packet family drives decode, build and
// dissect alike.

import type { FieldNode } from '../summary';
import { hexPreview } from './bytes';
import type { FieldShow, FieldValue, Layout } from './layout';
import { bytes, dissectLayout, readLayout, writeLayout } from './layout';

/** Decoded fields of a union member when its type is not known statically. */
export type LooseFields = Readonly<Record<string, FieldValue>>;
/** An unknown ApiNumber/NewState: the union's bytes as they are. */
export interface RawFields {
  raw: Uint8Array;
}

export interface UnionMember {
  /** C type, e.g. DBGKD_READ_MEMORY64. */
  readonly type: string;
  /** Union member name, e.g. ReadMemory. */
  readonly member: string;
  readonly layout: Layout;
}

export interface FamilySpec {
  /** C type of the whole fixed part, e.g. DBGKD_MANIPULATE_STATE64. */
  readonly type: string;
  readonly header: Layout;
  /** Header key holding the union discriminant. */
  readonly selector: string;
  readonly unionAt: number;
  readonly unionSize: number;
  readonly members: ReadonlyMap<number, UnionMember>;
  readonly tail?: {
    readonly name: string;
    readonly type: string;
    readonly at: number;
    readonly layout: Layout;
  };
  /** Where the variable data starts (the size of the fixed part). */
  readonly dataAt: number;
}

export function rawMember(size: number): UnionMember {
  return { type: 'raw', member: 'u', layout: { raw: bytes(0, size, { label: 'Raw union' }) } };
}

export function memberFor(spec: FamilySpec, selector: number): UnionMember {
  return spec.members.get(selector) ?? rawMember(spec.unionSize);
}

export interface DecodedFamily {
  readonly header: LooseFields;
  readonly fields: LooseFields;
  readonly tail: LooseFields;
  readonly member: UnionMember;
  /** Bytes after the fixed part (own copy). */
  readonly data: Uint8Array;
  readonly malformed?: string;
}

export function shortMessage(spec: FamilySpec, length: number): string {
  return `short ${spec.type}: ${length} of ${spec.dataAt} bytes`;
}

export function decodeFamily(spec: FamilySpec, payload: Uint8Array): DecodedFamily {
  const header = readLayout(payload, 0, spec.header);
  const member = memberFor(spec, Number(header[spec.selector] ?? 0));
  const fields = readLayout(payload, spec.unionAt, member.layout);
  const tail = spec.tail ? readLayout(payload, spec.tail.at, spec.tail.layout) : {};
  const data = payload.length > spec.dataAt ? payload.slice(spec.dataAt) : new Uint8Array(0);
  const base = { header, fields, tail, member, data };
  return payload.length < spec.dataAt
    ? { ...base, malformed: shortMessage(spec, payload.length) }
    : base;
}

export function buildFamily(
  spec: FamilySpec,
  header: Readonly<Record<string, FieldValue | undefined>>,
  fields: Readonly<Record<string, FieldValue | undefined>> | undefined,
  tail: Readonly<Record<string, FieldValue | undefined>> | undefined,
  data: Uint8Array | undefined,
): Uint8Array {
  const out = new Uint8Array(spec.dataAt + (data?.length ?? 0));
  writeLayout(out, 0, spec.header, header);
  const member = memberFor(spec, Number(header[spec.selector] ?? 0));
  if (fields) writeLayout(out, spec.unionAt, member.layout, fields);
  if (spec.tail && tail) writeLayout(out, spec.tail.at, spec.tail.layout, tail);
  if (data) out.set(data, spec.dataAt);
  return out;
}

/** Clamps a node's range to [start, end) so nothing points outside the bytes present. */
function node(
  name: string,
  value: string,
  start: number,
  size: number,
  end: number,
  children: FieldNode[],
): FieldNode {
  const length = Math.max(0, Math.min(size, end - start));
  const cut = length < size;
  return {
    name,
    value: cut ? `${value} (truncated)` : value,
    offset: start,
    length,
    children,
    ...(cut ? { error: `truncated: ${size} bytes needed, ${length} present` } : {}),
  };
}

/**
 * How one packet's sender fills the structure, where that differs from the C type: fields it
 * leaves unset or uses for something else (a request's reply fields), by layout key.
 */
export interface FamilyView {
  readonly header?: Readonly<Record<string, FieldShow>>;
  /** The union member's fields, or one text for the whole union (shown without fields). */
  readonly union?: Readonly<Record<string, FieldShow>> | string;
}

/**
 * The payload's details: `b` is the whole packet, the payload occupies [start, end).
 * `title` is the structure node's value (the API or state name); `describeData` shows the
 * variable data (text, a file name) or returns '' for a hex preview. `view` says how this
 * packet's sender fills the structure.
 */
export function dissectFamily(
  spec: FamilySpec,
  b: Uint8Array,
  start: number,
  end: number,
  selectorValue: number,
  title: string,
  describeData: (data: Uint8Array) => string,
  view: FamilyView = {},
): FieldNode[] {
  const member = memberFor(spec, selectorValue);
  const fixedEnd = Math.min(end, start + spec.dataAt);
  const children = dissectLayout(b, start, fixedEnd, spec.header, view.header);
  const unionStart = start + spec.unionAt;
  if (unionStart < fixedEnd) {
    const unionName = member.type === 'raw' ? 'u (unknown)' : `u.${member.member}`;
    const unionValue = member.type === 'raw' ? `${spec.unionSize} bytes` : member.type;
    const whole = typeof view.union === 'string' ? view.union : undefined;
    const fields = typeof view.union === 'string' ? undefined : view.union;
    children.push(
      node(
        unionName,
        whole ?? unionValue,
        unionStart,
        spec.unionSize,
        fixedEnd,
        whole === undefined ? dissectLayout(b, unionStart, fixedEnd, member.layout, fields) : [],
      ),
    );
  }
  const tail = spec.tail;
  if (tail && start + tail.at < fixedEnd) {
    const at = start + tail.at;
    const size = spec.dataAt - tail.at;
    children.push(
      node(tail.name, tail.type, at, size, fixedEnd, dissectLayout(b, at, fixedEnd, tail.layout)),
    );
  }
  const nodes: FieldNode[] = [node(spec.type, title, start, spec.dataAt, end, children)];
  const dataStart = start + spec.dataAt;
  if (end > dataStart) {
    const data = b.subarray(dataStart, end);
    nodes.push({
      name: `Data (${data.length} bytes)`,
      value: describeData(data) || hexPreview(data),
      offset: dataStart,
      length: data.length,
    });
  }
  return nodes;
}
