// The fields a display filter can name, and the enum values it accepts for them. Names and
// numbers come from protocol/kd/constants.ts and PacketFlag: there is no second list to drift.

import { DebugIoApi, FileIoApi, ManipulateApi, PacketType, StateChange } from '../kd/constants';
import { ntStatusValues } from '../kd/payloads/ntstatus';
import { PacketFlag } from '../session/record';
import type { PacketFlagName } from '../session/record';

/**
 * number: compared numerically; enum: a number with names (type, api, ...), which also
 * `contains`/`matches` against its name; boolean: true/false, tested bare; string: ==, !=,
 * contains, matches.
 */
export type FieldKind = 'number' | 'enum' | 'boolean' | 'string';

export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  readonly description: string;
  /** For enum fields, and number fields whose values have names: accepted names and values. */
  readonly values?: ReadonlyMap<string, number>;
  /** For flag booleans: the PacketFlag bit. */
  readonly flag?: number;
}

function names(...maps: Record<string, number>[]): ReadonlyMap<string, number> {
  return new Map(maps.flatMap((m) => Object.entries(m)));
}

/** "CHECKSUM_ERROR" -> "checksumError". */
function camel(flag: string): string {
  return flag.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

export const DIRECTION_VALUES: ReadonlyMap<string, number> = new Map([
  ['debugger->target', 0],
  ['target->debugger', 1],
  ['d2t', 0],
  ['t2d', 1],
  // As the Dir column and the Wireshark dissector's Info column show it.
  ['D->T', 0],
  ['T->D', 1],
]);

const defs: FieldDef[] = [
  { name: 'no', kind: 'number', description: 'Row number (1-based, both directions)' },
  {
    name: 'time',
    kind: 'number',
    description: 'Seconds since the session start (or the time reference), as in the Time column',
  },
  { name: 'timeEpoch', kind: 'number', description: 'Seconds since the Unix epoch' },
  { name: 'dir', kind: 'enum', description: 'Direction', values: DIRECTION_VALUES },
  {
    name: 'kind',
    kind: 'enum',
    description: 'packet, breakin or garbage',
    values: new Map([
      ['packet', 0],
      ['breakin', 1],
      ['garbage', 2],
    ]),
  },
  {
    name: 'leader',
    kind: 'enum',
    description: 'data or control',
    values: new Map([
      ['data', 1],
      ['control', 2],
    ]),
  },
  { name: 'type', kind: 'enum', description: 'PacketType', values: names(PacketType) },
  { name: 'id', kind: 'number', description: 'PacketId' },
  { name: 'byteCount', kind: 'number', description: 'Payload bytes (header ByteCount)' },
  { name: 'checksumOk', kind: 'boolean', description: 'Data checksum as sent is right' },
  {
    name: 'api',
    kind: 'enum',
    description: 'ApiNumber (manipulate, debug I/O, file I/O)',
    values: names(ManipulateApi, DebugIoApi, FileIoApi),
  },
  { name: 'apiName', kind: 'string', description: 'Name of the ApiNumber' },
  {
    name: 'returnStatus',
    kind: 'number',
    description:
      'NTSTATUS of a manipulate reply (a number, or a name: SUCCESS, STATUS_UNSUCCESSFUL)',
    // SUCCESS as the Status column writes it.
    values: new Map([['SUCCESS', 0], ...ntStatusValues()]),
  },
  {
    name: 'newState',
    kind: 'enum',
    description: 'NewState of a state change',
    values: names(StateChange),
  },
  { name: 'newStateName', kind: 'string', description: 'Name of the NewState' },
  { name: 'typeName', kind: 'string', description: 'Name of the PacketType' },
  { name: 'flags', kind: 'number', description: 'PacketFlag bits' },
  { name: 'pair', kind: 'number', description: 'No. of the request or response partner' },
  { name: 'ack', kind: 'number', description: 'No. of the ACK, or of the acknowledged packet' },
  { name: 'rtt', kind: 'number', description: 'Milliseconds from request to response' },
  { name: 'length', kind: 'number', description: 'Bytes on the wire' },
  { name: 'offset', kind: 'number', description: "Byte offset in the direction's stream" },
  { name: 'frame', kind: 'number', description: 'Capture frame where it starts' },
  { name: 'text', kind: 'string', description: 'Debug output, symbol path, file name' },
  { name: 'info', kind: 'string', description: 'Info column' },
  {
    name: 'garbageReason',
    kind: 'string',
    description: 'noise, bad-length, bad-trailer, truncated',
  },
  ...(Object.keys(PacketFlag) as PacketFlagName[]).map((flag): FieldDef => ({
    name: camel(flag),
    kind: 'boolean',
    description: `PacketFlag.${flag}`,
    flag: PacketFlag[flag],
  })),
];

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(defs.map((d) => [d.name, d]));

/**
 * Other spellings users type; the parser stores the canonical name. The `kd.*` names are the
 * fields of our Wireshark dissector (resources/wireshark/kdscope.lua) that the packet list
 * carries too, so a filter written for Wireshark works here.
 */
export const FIELD_ALIASES: ReadonlyMap<string, string> = new Map([
  ['status', 'returnStatus'],
  ['state', 'newState'],
  ['rttMs', 'rtt'],
  ['direction', 'dir'],
  ['len', 'length'],
  ['frame.time_relative', 'time'],
  ['frame.time_epoch', 'timeEpoch'],
  ['kd.dir', 'dir'],
  ['kd.type', 'type'],
  ['kd.type_name', 'typeName'],
  ['kd.bytecount', 'byteCount'],
  ['kd.id', 'id'],
  ['kd.checksum_ok', 'checksumOk'],
  ['kd.api', 'api'],
  ['kd.api_name', 'apiName'],
  ['kd.status', 'returnStatus'],
  ['kd.new_state', 'newState'],
  ['kd.text', 'text'],
  ['kd.garbage_reason', 'garbageReason'],
  ['kd.stream_offset', 'offset'],
  ['kd.start_frame', 'frame'],
  ['kd.breakin', 'breakin'],
  ['kd.garbage', 'garbage'],
  // The dissector's expert infos, as Wireshark accepts them in filters.
  ['kd.bad_checksum', 'checksumError'],
  ['kd.resend', 'resend'],
  ['kd.reset', 'reset'],
  ['kd.bad_status', 'errorStatus'],
]);

/**
 * Dissector fields (kdscope.lua) that live in the payload, not in the packet list's columns:
 * named in the error so the user knows the name is right but needs Wireshark (or the details).
 */
export const DISSECTOR_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'kd.leader',
  'kd.checksum',
  'kd.trailer',
  'kd.payload',
  'kd.processor_level',
  'kd.processor',
  'kd.address',
  'kd.count',
  'kd.actual',
  'kd.bp_handle',
  'kd.msr',
  'kd.msr_value',
  'kd.continue_status',
  'kd.version.major',
  'kd.version.minor',
  'kd.version.protocol',
  'kd.version.flags',
  'kd.version.machine',
  'kd.version.kernbase',
  'kd.processors',
  'kd.thread',
  'kd.pc',
  'kd.exception.code',
  'kd.exception.address',
  'kd.exception.first_chance',
  'kd.load.base',
  'kd.load.size',
  'kd.load.unload',
  'kd.bad_trailer',
  'kd.bad_length',
  'kd.noise',
  'kd.truncated',
]);

export function lookupField(name: string): FieldDef | undefined {
  return FIELDS.get(FIELD_ALIASES.get(name) ?? name);
}

/** Enum fields whose name lives in a string column (for contains/matches on them). */
export const ENUM_NAME_FIELD: Readonly<Record<string, string>> = {
  type: 'typeName',
  api: 'apiName',
  newState: 'newStateName',
};
