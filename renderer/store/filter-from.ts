// "Apply as filter" / "Prepare as filter": the display filter that selects what a cell of the
// packet list or a field of the details tree shows, and its combination with the filter in
// the box (Wireshark's Selected / Not Selected / ...and Selected / ...or Selected).

import type { FieldNode } from '../../protocol/kd/summary';
import { lookupField } from '../../protocol/filter/fields';
import { quoteString } from '../../protocol/filter/format';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import type { TimelineColumn } from './layout';

export type FilterMode = 'selected' | 'not' | 'and' | 'or' | 'and-not' | 'or-not';

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** `field == NAME` when the filter knows the name for this value, else the number. */
function enumTest(field: string, value: number, name: string | undefined): string {
  const known = name !== undefined && lookupField(field)?.values?.get(name) === value;
  return `${field} == ${known ? name : hex(value)}`;
}

const FLAG_FIELDS: readonly [number, string][] = [
  [PacketFlag.RETRANSMIT, 'retransmit'],
  [PacketFlag.RESEND, 'resend'],
  [PacketFlag.CHECKSUM_ERROR, 'checksumError'],
  [PacketFlag.BREAKIN, 'breakin'],
  [PacketFlag.GARBAGE, 'garbage'],
  [PacketFlag.RESET, 'reset'],
  [PacketFlag.UNEXPECTED_ID, 'unexpectedId'],
  [PacketFlag.STRAY_ACK, 'strayAck'],
  [PacketFlag.NO_RESPONSE, 'noResponse'],
  [PacketFlag.ERROR_STATUS, 'errorStatus'],
];

/**
 * A window of one displayed unit around a value shown rounded: `time` shows 6 decimals of a
 * second, `rtt` 3 decimals of a millisecond; equality on the float would rarely hold.
 */
function around(field: string, value: number, decimals: number): string {
  const unit = 10 ** -decimals;
  const lo = Math.round(value / unit) * unit;
  // Binary floats can put a value that shows as x.5 just past its own window's edge (the
  // division above rounded the other way): the window then grows to hold the value.
  const digits = decimals + 1;
  const step = 10 ** -digits;
  let low = lo - unit / 2;
  let high = lo + unit / 2;
  while (Number(low.toFixed(digits)) > value) low -= step;
  while (Number(high.toFixed(digits)) <= value) high += step;
  return `${field} >= ${low.toFixed(digits)} && ${field} < ${high.toFixed(digits)}`;
}

/**
 * The filter for the value in column `column` of `r`, or null when the cell is empty.
 * `originMs` is what the Time column counts from.
 */
export function cellFilter(
  r: PacketRecord,
  column: TimelineColumn,
  originMs: number,
): string | null {
  switch (column) {
    case 'no':
      return `no == ${r.no}`;
    case 'time':
      return `(${around('time', (r.time - originMs) / 1000, 6)})`;
    case 'dir':
      return `dir == ${r.dir === 'debugger->target' ? 'D->T' : 'T->D'}`;
    case 'type':
      if (r.kind !== 'packet') return `kind == ${r.kind}`;
      return r.type === undefined ? null : enumTest('type', r.type, r.typeName);
    case 'id':
      return r.id === undefined ? null : `id == ${hex(r.id)}`;
    case 'api':
      if (r.api !== undefined) return enumTest('api', r.api, r.apiName);
      if (r.newState !== undefined) return enumTest('newState', r.newState, r.newStateName);
      return null;
    case 'status':
      return r.returnStatus === undefined || r.dir !== 'target->debugger'
        ? null
        : `status == ${hex(r.returnStatus)}`;
    case 'len':
      return `len == ${r.length}`;
    case 'rtt':
      return r.rttMs === undefined ? null : `(${around('rtt', r.rttMs, 3)})`;
    case 'flags': {
      const set = FLAG_FIELDS.filter(([bit]) => r.flags & bit).map(([, name]) => name);
      return set.length === 0 ? `flags == ${r.flags >>> 0}` : set.join(' && ');
    }
    case 'info': {
      const text = r.info ?? r.text;
      if (text === undefined) return null;
      return `${r.info !== undefined ? 'info' : 'text'} == ${quoteString(text)}`;
    }
  }
}

/** Details-tree fields that are columns of the packet list too. */
const FIELD_COLUMNS: Readonly<Record<string, string>> = {
  PacketType: 'type',
  ByteCount: 'byteCount',
  PacketId: 'id',
  ApiNumber: 'api',
  ReturnStatus: 'returnStatus',
  NewState: 'newState',
};

/**
 * The filter for a details-tree field: its number from the value (`0x3130 (Read...)`,
 * `72 (...)`). Null for fields the packet list does not carry (a memory address, a register):
 * those are in the details only.
 */
export function fieldFilter(node: FieldNode): string | null {
  const field = FIELD_COLUMNS[node.name];
  if (field === undefined) return null;
  const m = /^(0x[0-9a-fA-F]+|\d+)\b/.exec(node.value.trim());
  if (!m) return null;
  return `${field} == ${m[1]!.toLowerCase()}`;
}

/** The filter box's new text for `expr` combined with `current` the Wireshark way. */
export function combineFilter(current: string, expr: string, mode: FilterMode): string {
  const cur = current.trim();
  const wrap = (s: string): string => (/\s(&&|\|\|)\s/.test(s) ? `(${s})` : s);
  const not = `!(${expr})`;
  switch (mode) {
    case 'selected':
      return expr;
    case 'not':
      return not;
    case 'and':
      return cur ? `${wrap(cur)} && ${wrap(expr)}` : expr;
    case 'or':
      return cur ? `${wrap(cur)} || ${wrap(expr)}` : expr;
    case 'and-not':
      return cur ? `${wrap(cur)} && ${not}` : not;
    case 'or-not':
      return cur ? `${wrap(cur)} || ${not}` : not;
  }
}
