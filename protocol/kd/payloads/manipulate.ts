// DBGKD_MANIPULATE_STATE64 (ReactOS sdk/include/reactos/windbgkd.h): 16-byte header, a
// 40-byte union aligned to 8 (hence the u32 pad at 12), then data such as memory contents.
// Windows x64 targets send the 64-bit layout for every manipulate; the 32-bit one
// (DBGKD_MANIPULATE_STATE32) is only spoken by old x86 kernels and is not decoded apart.

import { ManipulateApi, manipulateApiName } from '../constants';
import type { Direction } from '../events';
import type { FamilyView, LooseFields, RawFields, UnionMember } from './family';
import { buildFamily, decodeFamily, rawMember } from './family';
import type { Layout, Values } from './layout';
import { u16, u32, u64, u8 } from './layout';
import { hexDec } from './bytes';
import { ntStatusText } from './ntstatus';

export const MANIPULATE_SIZE = 56;
const UNION_AT = 16;
const UNION_SIZE = 40;

const status = { show: ntStatusText };
const len = { show: hexDec };

function member<L extends Layout>(
  type: string,
  name: string,
  layout: L,
): UnionMember & { layout: L } {
  return { type, member: name, layout };
}

/** Union members of DBGKD_MANIPULATE_STATE64, offsets relative to the union (payload + 16). */
export const ManipulateStructs = {
  ReadMemory: member('DBGKD_READ_MEMORY64', 'ReadMemory', {
    targetBaseAddress: u64(0),
    transferCount: u32(8, len),
    actualBytesRead: u32(12, len),
  }),
  WriteMemory: member('DBGKD_WRITE_MEMORY64', 'WriteMemory', {
    targetBaseAddress: u64(0),
    transferCount: u32(8, len),
    actualBytesWritten: u32(12, len),
  }),
  GetContext: member('DBGKD_GET_CONTEXT', 'GetContext', { unused: u32(0) }),
  SetContext: member('DBGKD_SET_CONTEXT', 'SetContext', { contextFlags: u32(0) }),
  WriteBreakPoint: member('DBGKD_WRITE_BREAKPOINT64', 'WriteBreakPoint', {
    breakPointAddress: u64(0),
    breakPointHandle: u32(8),
  }),
  RestoreBreakPoint: member('DBGKD_RESTORE_BREAKPOINT', 'RestoreBreakPoint', {
    breakPointHandle: u32(0),
  }),
  Continue: member('DBGKD_CONTINUE', 'Continue', { continueStatus: u32(0, status) }),
  // DBGKD_CONTINUE2 and AMD64_DBGKD_CONTROL_SET are declared under pshpack4: Dr7 sits at 8
  // (right after ContinueStatus + TraceFlag) with no padding before it.
  Continue2: member('DBGKD_CONTINUE2', 'Continue2', {
    continueStatus: u32(0, status),
    traceFlag: u32(4),
    dr7: u64(8),
    currentSymbolStart: u64(16),
    currentSymbolEnd: u64(24),
  }),
  ReadWriteIo: member('DBGKD_READ_WRITE_IO64', 'ReadWriteIo', {
    ioAddress: u64(0),
    dataSize: u32(8, len),
    dataValue: u32(12),
  }),
  ReadWriteIoExtended: member('DBGKD_READ_WRITE_IO_EXTENDED64', 'ReadWriteIoExtended', {
    dataSize: u32(0, len),
    interfaceType: u32(4),
    busNumber: u32(8),
    addressSpace: u32(12),
    ioAddress: u64(16),
    dataValue: u32(24),
  }),
  QuerySpecialCalls: member('DBGKD_QUERY_SPECIAL_CALLS', 'QuerySpecialCalls', {
    numberOfSpecialCalls: u32(0, len),
  }),
  SetSpecialCall: member('DBGKD_SET_SPECIAL_CALL64', 'SetSpecialCall', { specialCall: u64(0) }),
  SetInternalBreakpoint: member('DBGKD_SET_INTERNAL_BREAKPOINT64', 'SetInternalBreakpoint', {
    breakpointAddress: u64(0),
    flags: u32(8),
  }),
  GetInternalBreakpoint: member('DBGKD_GET_INTERNAL_BREAKPOINT64', 'GetInternalBreakpoint', {
    breakpointAddress: u64(0),
    flags: u32(8),
    calls: u32(12, len),
    maxCallsPerPeriod: u32(16, len),
    minInstructions: u32(20, len),
    maxInstructions: u32(24, len),
    totalInstructions: u32(28, len),
  }),
  GetVersion: member('DBGKD_GET_VERSION64', 'GetVersion64', {
    majorVersion: u16(0, { show: (v) => `0x${v.toString(16)} (${majorVersionText(v)})` }),
    minorVersion: u16(2, len),
    protocolVersion: u8(4, len),
    kdSecondaryVersion: u8(5),
    flags: u16(6, { show: versionFlagsText }),
    machineType: u16(8, { show: (v) => `0x${v.toString(16)} (${machineName(v)})` }),
    maxPacketType: u8(10, len),
    maxStateChange: u8(11, len),
    maxManipulate: u8(12, len),
    simulation: u8(13),
    unused: u16(14),
    kernBase: u64(16),
    psLoadedModuleList: u64(24),
    debuggerDataList: u64(32),
  }),
  BreakPointEx: member('DBGKD_BREAKPOINTEX', 'BreakPointEx', {
    breakPointCount: u32(0, len),
    continueStatus: u32(4, status),
  }),
  ReadWriteMsr: member('DBGKD_READ_WRITE_MSR', 'ReadWriteMsr', {
    msr: u32(0),
    dataValueLow: u32(4),
    dataValueHigh: u32(8),
  }),
  SearchMemory: member('DBGKD_SEARCH_MEMORY', 'SearchMemory', {
    // A union of SearchAddress (request) and FoundAddress (reply).
    searchAddress: u64(0, { label: 'SearchAddress/FoundAddress' }),
    searchLength: u64(8),
    patternLength: u32(16, len),
  }),
  GetSetBusData: member('DBGKD_GET_SET_BUS_DATA', 'GetSetBusData', {
    busDataType: u32(0),
    busNumber: u32(4),
    slotNumber: u32(8),
    offset: u32(12),
    length: u32(16, len),
  }),
  FillMemory: member('DBGKD_FILL_MEMORY', 'FillMemory', {
    address: u64(0),
    length: u32(8, len),
    flags: u16(12),
    patternLength: u16(14, len),
  }),
  QueryMemory: member('DBGKD_QUERY_MEMORY', 'QueryMemory', {
    address: u64(0),
    reserved: u64(8),
    addressSpace: u32(16),
    flags: u32(20),
  }),
  SwitchPartition: member('DBGKD_SWITCH_PARTITION', 'SwitchPartition', { partition: u32(0) }),
  WriteCustomBreakpoint: member('DBGKD_WRITE_CUSTOM_BREAKPOINT', 'WriteCustomBreakpoint', {
    breakPointAddress: u64(0),
    breakPointInstruction: u64(8),
    breakPointHandle: u32(16),
    breakPointInstructionSize: u8(20, len),
    breakPointInstructionAlignment: u8(21, len),
  }),
  ContextEx: member('DBGKD_CONTEXT_EX', 'ContextEx', {
    offset: u32(0),
    byteCount: u32(4, len),
    bytesCopied: u32(8, len),
  }),
  /** APIs whose request and reply use no union member (the processor is in the header). */
  None: member('none', 'u', {}),
} as const;
type Structs = typeof ManipulateStructs;

const A = ManipulateApi;
/** Which union member each API uses (from the ReactOS kd64 handlers of each API). */
const apiMembers = {
  [A.ReadVirtualMemory]: 'ReadMemory',
  [A.ReadPhysicalMemory]: 'ReadMemory',
  // AMD64: TargetBaseAddress is the control space (0 KPCR, 1 KPRCB, 2 KSPECIAL, 3 KTHREAD).
  [A.ReadControlSpace]: 'ReadMemory',
  [A.WriteVirtualMemory]: 'WriteMemory',
  [A.WritePhysicalMemory]: 'WriteMemory',
  [A.WriteControlSpace]: 'WriteMemory',
  [A.GetContext]: 'GetContext',
  [A.SetContext]: 'SetContext',
  [A.WriteBreakPoint]: 'WriteBreakPoint',
  [A.RestoreBreakPoint]: 'RestoreBreakPoint',
  [A.Continue]: 'Continue',
  [A.Continue2]: 'Continue2',
  [A.ReadIoSpace]: 'ReadWriteIo',
  [A.WriteIoSpace]: 'ReadWriteIo',
  [A.ReadIoSpaceExtended]: 'ReadWriteIoExtended',
  [A.WriteIoSpaceExtended]: 'ReadWriteIoExtended',
  [A.QuerySpecialCalls]: 'QuerySpecialCalls',
  [A.SetSpecialCall]: 'SetSpecialCall',
  [A.SetInternalBreakPoint]: 'SetInternalBreakpoint',
  [A.GetInternalBreakPoint]: 'GetInternalBreakpoint',
  [A.GetVersion]: 'GetVersion',
  [A.WriteBreakPointEx]: 'BreakPointEx',
  [A.RestoreBreakPointEx]: 'BreakPointEx',
  [A.ReadMachineSpecificRegister]: 'ReadWriteMsr',
  [A.WriteMachineSpecificRegister]: 'ReadWriteMsr',
  [A.SearchMemory]: 'SearchMemory',
  [A.GetBusData]: 'GetSetBusData',
  [A.SetBusData]: 'GetSetBusData',
  [A.FillMemory]: 'FillMemory',
  [A.QueryMemory]: 'QueryMemory',
  [A.SwitchPartition]: 'SwitchPartition',
  [A.WriteCustomBreakpoint]: 'WriteCustomBreakpoint',
  [A.GetContextEx]: 'ContextEx',
  [A.SetContextEx]: 'ContextEx',
  [A.Reboot]: 'None',
  [A.CauseBugCheck]: 'None',
  [A.SwitchProcessor]: 'None',
  [A.ClearSpecialCalls]: 'None',
  [A.ClearAllInternalBreakpoints]: 'None',
  [A.CheckLowMemory]: 'None',
} as const satisfies Record<number, keyof Structs>;
type ApiMembers = typeof apiMembers;

/**
 * The union fields of API `A`: typed for a literal API with a known member, raw bytes for
 * an API without one (PageIn, unknown numbers), loose when `A` is just `number`.
 */
export type ManipulateFieldsFor<A extends number> = number extends A
  ? LooseFields
  : A extends keyof ApiMembers
    ? Values<Structs[ApiMembers[A]]['layout']>
    : RawFields;

const members = new Map<number, UnionMember>(
  Object.entries(apiMembers).map(([api, name]) => [Number(api), ManipulateStructs[name]]),
);

export const manipulateSpec = {
  type: 'DBGKD_MANIPULATE_STATE64',
  header: {
    apiNumber: u32(0, { show: (v) => `0x${v.toString(16)} (${manipulateApiName(v)})` }),
    processorLevel: u16(4),
    processor: u16(6),
    returnStatus: u32(8, status),
    pad: u32(12, { label: 'Padding' }),
  },
  selector: 'apiNumber',
  unionAt: UNION_AT,
  unionSize: UNION_SIZE,
  members,
  dataAt: MANIPULATE_SIZE,
} as const;

/** A request field the debugger leaves unset: the target fills it in its reply. */
export const NOT_IN_REQUEST = '(not filled in a request)';

const cachings = ['DEFAULT', 'CACHED', 'UNCACHED', 'WRITE_COMBINED'];

/** DBGKD_CACHING_* (windbgkd.h), which a physical memory request carries in ActualBytes*. */
export function cachingText(v: number): string {
  return `0x${v.toString(16)} (caching ${cachings[v] ?? 'unknown'}, in a request)`;
}

const notInRequest = (...keys: string[]): FamilyView['union'] =>
  Object.fromEntries(keys.map((k) => [k, NOT_IN_REQUEST]));

/**
 * The union fields a request leaves unset, per API: those the target's handler writes into its
 * reply without reading them first (ReactOS ntoskrnl/kd64/kdapi.c, the Kdp* function of each
 * API). APIs ReactOS does not implement are left as they are: no source says.
 */
const requestUnions = new Map<number, FamilyView['union']>([
  // KdpReadVirtualMemory / KdpReadControlSpace: `ReadMemory->ActualBytesRead = Length;`.
  [A.ReadVirtualMemory, notInRequest('actualBytesRead')],
  [A.ReadControlSpace, notInRequest('actualBytesRead')],
  // KdpReadPhysicalMemory: `CacheFlags = ReadMemory->ActualBytesRead;` before the read.
  [A.ReadPhysicalMemory, { actualBytesRead: cachingText }],
  // KdpWriteVirtualMemory / KdpWriteControlSpace: `&WriteMemory->ActualBytesWritten` as output.
  [A.WriteVirtualMemory, notInRequest('actualBytesWritten')],
  [A.WriteControlSpace, notInRequest('actualBytesWritten')],
  // KdpWritePhysicalMemory: `CacheFlags = WriteMemory->ActualBytesWritten;`.
  [A.WritePhysicalMemory, { actualBytesWritten: cachingText }],
  // KdpWriteBreakpoint: `Breakpoint->BreakPointHandle = KdpAddBreakpoint(...)`.
  [A.WriteBreakPoint, notInRequest('breakPointHandle')],
  // KdpReadIoSpace / KdpReadIoSpaceExtended: `ReadIo->DataValue = 0;` then the read into it.
  [A.ReadIoSpace, notInRequest('dataValue')],
  [A.ReadIoSpaceExtended, notInRequest('dataValue')],
  // KdpGetVersion: `KdpSysGetVersion(&State->u.GetVersion64)` copies the whole block.
  [A.GetVersion, NOT_IN_REQUEST],
  // KdpReadMachineSpecificRegister: `ReadMsr->DataValueLow = ...; ReadMsr->DataValueHigh = ...`.
  [A.ReadMachineSpecificRegister, notInRequest('dataValueLow', 'dataValueHigh')],
  // KdpGetContextEx / KdpSetContextEx: `ContextEx->BytesCopied = ...` on both outcomes.
  [A.GetContextEx, notInRequest('bytesCopied')],
  [A.SetContextEx, notInRequest('bytesCopied')],
  // KdpQueryMemory: `Memory->Flags = ...` (when the space is valid), `Memory->Reserved = 0;`.
  [A.QueryMemory, notInRequest('flags', 'reserved')],
]);

/** Every handler sets `State->ReturnStatus` and none reads it from the request. */
const requestHeader = { returnStatus: NOT_IN_REQUEST };

/**
 * How a packet of `api` sent in `dir` fills DBGKD_MANIPULATE_STATE64. A reply echoes the
 * request's structure with the target's answers filled in, so only a request differs from
 * the C type; without a direction nothing is assumed.
 */
export function manipulateView(api: number, dir: Direction | undefined): FamilyView {
  if (dir !== 'debugger->target') return {};
  const union = requestUnions.get(api);
  return union === undefined ? { header: requestHeader } : { header: requestHeader, union };
}

export function manipulateMember(api: number): UnionMember {
  return members.get(api) ?? rawMember(UNION_SIZE);
}

export interface ManipulateHeader {
  /** ApiNumber (ManipulateApi). */
  api: number;
  processorLevel: number;
  processor: number;
  /** NTSTATUS as an unsigned 32-bit number; 0 in requests. */
  returnStatus: number;
}

export interface ManipulateInput<A extends number = number> extends Partial<
  Omit<ManipulateHeader, 'api'>
> {
  api: A;
  /** Union fields; absent ones are 0. */
  fields?: Partial<ManipulateFieldsFor<A>>;
}

export interface DecodedManipulate extends ManipulateHeader {
  apiName: string;
  /** C type of the union member used, 'none' or 'raw' (unknown API: fields.raw). */
  structName: string;
  fields: LooseFields;
  /** Bytes after the 56-byte structure (own copy). */
  data: Uint8Array;
  malformed?: string;
}

/** Payload bytes of a STATE_MANIPULATE packet: the 56-byte structure, then `data`. */
export function buildManipulate<A extends number>(
  m: ManipulateInput<A>,
  data?: Uint8Array,
): Uint8Array {
  return buildFamily(
    manipulateSpec,
    {
      apiNumber: m.api,
      processorLevel: m.processorLevel ?? 0,
      processor: m.processor ?? 0,
      returnStatus: (m.returnStatus ?? 0) >>> 0,
    },
    m.fields as
      Readonly<Record<string, number | bigint | Uint8Array | bigint[] | undefined>> | undefined,
    undefined,
    data,
  );
}

/** Never throws: a short payload decodes with zeros for the missing bytes and `malformed` set. */
export function decodeManipulate(payload: Uint8Array): DecodedManipulate {
  const d = decodeFamily(manipulateSpec, payload);
  const api = d.header.apiNumber as number;
  const out: DecodedManipulate = {
    api,
    apiName: manipulateApiName(api),
    processorLevel: d.header.processorLevel as number,
    processor: d.header.processor as number,
    returnStatus: d.header.returnStatus as number,
    structName: d.member.type,
    fields: d.fields,
    data: d.data,
  };
  if (d.malformed) out.malformed = d.malformed;
  return out;
}

/** The fields of `m` typed for `api`, or undefined when `m` is another API. */
export function manipulateFields<A extends number>(
  m: DecodedManipulate,
  api: A,
): ManipulateFieldsFor<A> | undefined {
  return m.api === api ? (m.fields as unknown as ManipulateFieldsFor<A>) : undefined;
}

const machines = new Map<number, string>([
  [0x014c, 'I386'],
  [0x0200, 'IA64'],
  [0x01c4, 'ARMNT'],
  [0x8664, 'AMD64'],
  [0xaa64, 'ARM64'],
]);

/** IMAGE_FILE_MACHINE_* name of a GetVersion MachineType. */
export function machineName(machine: number): string {
  return machines.get(machine) ?? `Unknown(0x${machine.toString(16)})`;
}

const versionFlags: readonly [number, string][] = [
  [0x01, 'MP'],
  [0x02, 'DATA'],
  [0x04, 'PTR64'],
  [0x08, 'NOMM'],
  [0x10, 'HSS'],
  [0x20, 'PARTITIONS'],
];

/** DBGKD_VERS_FLAG_* names (wdbgexts.h); unnamed bits are kept as hex. */
export function versionFlagsText(flags: number): string {
  const names: string[] = [];
  let rest = flags;
  for (const [bit, name] of versionFlags) {
    if (flags & bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return `0x${flags.toString(16)}${names.length ? ` (${names.join('|')})` : ''}`;
}

/** Raw bytes of the union of an API with no known member. */
export const rawUnion = (raw: Uint8Array): RawFields => ({ raw: raw.slice(0, UNION_SIZE) });

const majorTypes = [
  'NT',
  'XBOX',
  'BIG',
  'EXDI',
  'NTBD',
  'EFI',
  'TNT',
  'SINGULARITY',
  'HYPERVISOR',
  'MIDORI',
  'CE',
];

/**
 * MajorVersion = (DBGKD_MAJOR_TYPES << 8) | (NtBuildNumber >> 28): `NT free`, `NTBD free`
 * (the boot debugger), 0xF in the low byte for a free build, 0xC for a checked one.
 */
export function majorVersionText(major: number): string {
  const kind = major & 0xff;
  const build = kind === 0xf ? 'free' : kind === 0xc ? 'checked' : `0x${kind.toString(16)}`;
  return `${majorTypes[major >>> 8] ?? `type ${major >>> 8}`} ${build}`;
}
