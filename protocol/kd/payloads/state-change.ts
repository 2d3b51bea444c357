// DBGKD_ANY_WAIT_STATE_CHANGE as an AMD64 target sends it (0xF0 bytes): the
// DBGKD_WAIT_STATE_CHANGE64 header, a 0xA0-byte union (DBGKM_EXCEPTION64,
// DBGKD_LOAD_SYMBOLS64, DBGKD_COMMAND_STRING), the AMD64_DBGKD_CONTROL_REPORT at 0xC0, then
// data (the LoadSymbols path). Layouts from ReactOS windbgkd.h; they agree with PROTOCOL.md.

import { StateChange, stateChangeName } from '../constants';
import type { LooseFields, RawFields, UnionMember } from './family';
import { buildFamily, decodeFamily, rawMember } from './family';
import type { Layout, Values } from './layout';
import { bytes, u16, u32, u64, u64s, u8 } from './layout';
import { ansiText, hexDec } from './bytes';
import { exceptionCodeText } from './ntstatus';

export const STATE_CHANGE64_SIZE = 0xf0;
const UNION_AT = 0x20;
const UNION_SIZE = 0xa0;
const REPORT_AT = 0xc0;

const len = { show: hexDec };

/** REPORT_INCLUDES_SEGS (the Seg* fields are valid) and REPORT_STANDARD_CS (windbgkd.h). */
function reportFlagsText(flags: number): string {
  const names = [flags & 1 ? 'INCLUDES_SEGS' : '', flags & 2 ? 'STANDARD_CS' : ''].filter(Boolean);
  return `0x${flags.toString(16)}${names.length ? ` (${names.join('|')})` : ''}`;
}
const bool = { show: (v: number) => (v ? `${v} (TRUE)` : '0 (FALSE)') };

function member<L extends Layout>(
  type: string,
  name: string,
  layout: L,
): UnionMember & { layout: L } {
  return { type, member: name, layout };
}

/** Offsets relative to the union (payload + 0x20). */
export const StateChangeStructs = {
  // EXCEPTION_RECORD64 then FirstChance; the u32 at 0x1C is EXCEPTION_RECORD64's __unusedAlignment.
  Exception: member('DBGKM_EXCEPTION64', 'Exception', {
    exceptionCode: u32(0x00, { show: exceptionCodeText }),
    exceptionFlags: u32(0x04),
    exceptionRecord: u64(0x08),
    exceptionAddress: u64(0x10),
    numberParameters: u32(0x18, len),
    exceptionInformation: u64s(0x20, 15),
    firstChance: u32(0x98, bool),
  }),
  LoadSymbols: member('DBGKD_LOAD_SYMBOLS64', 'LoadSymbols', {
    pathNameLength: u32(0x00, len),
    baseOfDll: u64(0x08),
    processId: u64(0x10),
    checkSum: u32(0x18),
    sizeOfImage: u32(0x1c, len),
    unloadSymbols: u8(0x20, bool),
  }),
  CommandString: member('DBGKD_COMMAND_STRING', 'CommandString', {
    flags: u32(0),
    reserved1: u32(4),
    reserved2: u64s(8, 7),
  }),
} as const;
type Structs = typeof StateChangeStructs;

/** Offsets relative to the report (payload + 0xC0). */
export const controlReportLayout = {
  dr6: u64(0x00),
  dr7: u64(0x08),
  eFlags: u32(0x10),
  instructionCount: u16(0x14, len),
  reportFlags: u16(0x16, { show: reportFlagsText }),
  instructionStream: bytes(0x18, 16),
  segCs: u16(0x28),
  segDs: u16(0x2a),
  segEs: u16(0x2c),
  segFs: u16(0x2e),
} as const;
export type ControlReport = Values<typeof controlReportLayout>;

const stateMembers = {
  [StateChange.Exception]: 'Exception',
  [StateChange.LoadSymbols]: 'LoadSymbols',
  [StateChange.CommandString]: 'CommandString',
} as const satisfies Record<number, keyof Structs>;
type StateMembers = typeof stateMembers;

export type StateChangeFieldsFor<S extends number> = number extends S
  ? LooseFields
  : S extends keyof StateMembers
    ? Values<Structs[StateMembers[S]]['layout']>
    : RawFields;

export type ExceptionFields = StateChangeFieldsFor<typeof StateChange.Exception>;
export type LoadSymbolsFields = StateChangeFieldsFor<typeof StateChange.LoadSymbols>;

const members = new Map<number, UnionMember>(
  Object.entries(stateMembers).map(([s, name]) => [Number(s), StateChangeStructs[name]]),
);

export function stateChangeMember(state: number): UnionMember {
  return members.get(state) ?? rawMember(UNION_SIZE);
}

export const stateChange64Spec = {
  type: 'DBGKD_ANY_WAIT_STATE_CHANGE',
  header: {
    newState: u32(0x00, { show: (v) => `0x${v.toString(16)} (${stateChangeName(v)})` }),
    processorLevel: u16(0x04),
    processor: u16(0x06),
    numberProcessors: u32(0x08, len),
    pad: u32(0x0c, { label: 'Padding' }),
    thread: u64(0x10),
    programCounter: u64(0x18),
  },
  selector: 'newState',
  unionAt: UNION_AT,
  unionSize: UNION_SIZE,
  members,
  tail: {
    name: 'ControlReport',
    type: 'AMD64_DBGKD_CONTROL_REPORT',
    at: REPORT_AT,
    layout: controlReportLayout,
  },
  dataAt: STATE_CHANGE64_SIZE,
} as const;

export interface StateChangeHeader {
  newState: number;
  processorLevel: number;
  processor: number;
  numberProcessors: number;
  thread: bigint;
  programCounter: bigint;
}

export interface StateChange64Input<S extends number = number> extends Partial<
  Omit<StateChangeHeader, 'newState'>
> {
  newState: S;
  fields?: Partial<StateChangeFieldsFor<S>>;
  controlReport?: Partial<ControlReport>;
}

export interface DecodedStateChange64 extends StateChangeHeader {
  newStateName: string;
  structName: string;
  fields: LooseFields;
  controlReport: ControlReport;
  /** Bytes after the 0xF0-byte structure (own copy): the LoadSymbols path. */
  data: Uint8Array;
  /** LoadSymbols: the path (PathNameLength bytes of data, up to the NUL). */
  path?: string;
  /** CommandString: the originator's name and the command (DbgCommandString). */
  commandString?: { name: string; command: string };
  malformed?: string;
}

/**
 * Payload of a STATE_CHANGE64 packet. For LoadSymbols an absent PathNameLength is taken as
 * data.length (the path as ANSI with its NUL, as kd64 sends it; see loadSymbolsPath()).
 */
export function buildStateChange64<S extends number>(
  s: StateChange64Input<S>,
  data?: Uint8Array,
): Uint8Array {
  let fields = s.fields as
    Readonly<Record<string, number | bigint | Uint8Array | bigint[] | undefined>> | undefined;
  if (s.newState === StateChange.LoadSymbols && data && fields?.pathNameLength === undefined) {
    fields = { ...fields, pathNameLength: data.length };
  }
  return buildFamily(
    stateChange64Spec,
    {
      newState: s.newState,
      processorLevel: s.processorLevel ?? 0,
      processor: s.processor ?? 0,
      numberProcessors: s.numberProcessors ?? 1,
      thread: s.thread ?? 0n,
      programCounter: s.programCounter ?? 0n,
    },
    fields,
    s.controlReport,
    data,
  );
}

export function decodeStateChange64(payload: Uint8Array): DecodedStateChange64 {
  const d = decodeFamily(stateChange64Spec, payload);
  const h = d.header;
  const newState = h.newState as number;
  const out: DecodedStateChange64 = {
    newState,
    newStateName: stateChangeName(newState),
    processorLevel: h.processorLevel as number,
    processor: h.processor as number,
    numberProcessors: h.numberProcessors as number,
    thread: h.thread as bigint,
    programCounter: h.programCounter as bigint,
    structName: d.member.type,
    fields: d.fields,
    controlReport: d.tail as ControlReport,
    data: d.data,
  };
  if (newState === StateChange.LoadSymbols) {
    const n = d.fields.pathNameLength as number;
    out.path = ansiText(d.data.subarray(0, n));
  }
  if (newState === StateChange.CommandString) out.commandString = commandString(d.data);
  if (d.malformed) out.malformed = d.malformed;
  return out;
}

export function stateChangeFields<S extends number>(
  s: DecodedStateChange64,
  state: S,
): StateChangeFieldsFor<S> | undefined {
  return s.newState === state ? (s.fields as unknown as StateChangeFieldsFor<S>) : undefined;
}

// --- DBGKD_WAIT_STATE_CHANGE32 (x86 kernels): decoded for display only, raw where it gets long.

export const STATE_CHANGE32_SIZE = 144;

export const stateChange32Spec = {
  type: 'DBGKD_WAIT_STATE_CHANGE32',
  header: {
    newState: u32(0, { show: (v) => `0x${v.toString(16)} (${stateChangeName(v)})` }),
    processorLevel: u16(4),
    processor: u16(6),
    numberProcessors: u32(8, len),
    thread: u32(12),
    programCounter: u32(16),
  },
  selector: 'newState',
  unionAt: 20,
  unionSize: 84,
  members: new Map<number, UnionMember>([
    [
      StateChange.Exception,
      member('DBGKM_EXCEPTION32', 'Exception', {
        exceptionCode: u32(0, { show: exceptionCodeText }),
        exceptionFlags: u32(4),
        exceptionRecord: u32(8),
        exceptionAddress: u32(12),
        numberParameters: u32(16, len),
        exceptionInformation: bytes(20, 60),
        firstChance: u32(80, bool),
      }),
    ],
    [
      StateChange.LoadSymbols,
      member('DBGKD_LOAD_SYMBOLS32', 'LoadSymbols', {
        pathNameLength: u32(0, len),
        baseOfDll: u32(4),
        processId: u32(8),
        checkSum: u32(12),
        sizeOfImage: u32(16, len),
        unloadSymbols: u8(20, bool),
      }),
    ],
  ]),
  tail: {
    name: 'ControlReport',
    type: 'X86_DBGKD_CONTROL_REPORT',
    at: 104,
    layout: {
      dr6: u32(0),
      dr7: u32(4),
      instructionCount: u16(8, len),
      reportFlags: u16(10, { show: reportFlagsText }),
      instructionStream: bytes(12, 16),
      segCs: u16(28),
      segDs: u16(30),
      segEs: u16(32),
      segFs: u16(34),
      eFlags: u32(36),
    },
  },
  dataAt: STATE_CHANGE32_SIZE,
} as const;

export interface DecodedStateChange32 {
  newState: number;
  newStateName: string;
  /** Every header, union and report field, 32-bit values as numbers. */
  fields: LooseFields;
  data: Uint8Array;
  path?: string;
  malformed?: string;
}

export function decodeStateChange32(payload: Uint8Array): DecodedStateChange32 {
  const d = decodeFamily(stateChange32Spec, payload);
  const newState = d.header.newState as number;
  const out: DecodedStateChange32 = {
    newState,
    newStateName: stateChangeName(newState),
    fields: { ...d.header, ...d.fields, ...d.tail },
    data: d.data,
  };
  if (newState === StateChange.LoadSymbols) {
    out.path = ansiText(d.data.subarray(0, d.fields.pathNameLength as number));
  }
  if (d.malformed) out.malformed = d.malformed;
  return out;
}

/**
 * The data of a CommandString state change: the name (at most 127 bytes) and the command,
 * each ANSI and NUL-terminated (KdpReportCommandStringStateChange in ReactOS kd64).
 */
export function commandString(data: Uint8Array): { name: string; command: string } {
  const nul = data.indexOf(0);
  if (nul < 0) return { name: ansiText(data), command: '' };
  return { name: ansiText(data.subarray(0, nul)), command: ansiText(data.subarray(nul + 1)) };
}
