// Numbers and names of the KD serial protocol (ReactOS windbgkd.h / kddll.h, PROTOCOL.md).

export const LEADER_DATA = 0x30303030;
export const LEADER_CONTROL = 0x69696969;
export const LEADER_BREAKIN = 0x62626262;
export const BYTE_DATA_LEADER = 0x30;
export const BYTE_CONTROL_LEADER = 0x69;
export const BYTE_BREAKIN = 0x62;
export const PACKET_TRAILER = 0xaa;
export const PACKET_MAX_SIZE = 4000;
export const HEADER_SIZE = 16;
/**
 * How long a receiver waits for the next byte of a packet before it abandons the packet.
 * kdcom (ReactOS cportlib cport.c CpGetByte, called by KdpReceiveByte with Wait) does not
 * time it: it polls the UART's line status register TIMEOUT_COUNT = 1024 * 200 times, and
 * each idle poll reads two registers (LSR, then MSR in CpReadLsr). At about 1 us a port read
 * (an ISA-speed UART; more in a VM, where each read is a VM exit) that is 0.4 s at the least.
 * We take the least: a sender pauses inside a packet for milliseconds, a reconnecting peer for
 * seconds, so a pause in between is rare either way.
 */
export const KD_RECEIVE_TIMEOUT_MS = 400;

export const INITIAL_PACKET_ID = 0x80800000;
export const SYNC_PACKET_ID = 0x00000800;

export const PacketType = {
  UNUSED: 0,
  STATE_CHANGE32: 1,
  STATE_MANIPULATE: 2,
  DEBUG_IO: 3,
  ACKNOWLEDGE: 4,
  RESEND: 5,
  RESET: 6,
  STATE_CHANGE64: 7,
  POLL_BREAKIN: 8,
  TRACE_IO: 9,
  CONTROL_REQUEST: 10,
  FILE_IO: 11,
} as const;
export type PacketTypeName = keyof typeof PacketType;

const packetTypeNames: readonly string[] = Object.keys(PacketType);

/** Name as in PROTOCOL.md, or `UNKNOWN_<n>` so an unknown value is shown, never dropped. */
export function packetTypeName(type: number): string {
  return packetTypeNames[type] ?? `UNKNOWN_${type}`;
}

export const ManipulateApi = {
  ReadVirtualMemory: 0x3130,
  WriteVirtualMemory: 0x3131,
  GetContext: 0x3132,
  SetContext: 0x3133,
  WriteBreakPoint: 0x3134,
  RestoreBreakPoint: 0x3135,
  Continue: 0x3136,
  ReadControlSpace: 0x3137,
  WriteControlSpace: 0x3138,
  ReadIoSpace: 0x3139,
  WriteIoSpace: 0x313a,
  Reboot: 0x313b,
  Continue2: 0x313c,
  ReadPhysicalMemory: 0x313d,
  WritePhysicalMemory: 0x313e,
  QuerySpecialCalls: 0x313f,
  SetSpecialCall: 0x3140,
  ClearSpecialCalls: 0x3141,
  SetInternalBreakPoint: 0x3142,
  GetInternalBreakPoint: 0x3143,
  ReadIoSpaceExtended: 0x3144,
  WriteIoSpaceExtended: 0x3145,
  GetVersion: 0x3146,
  WriteBreakPointEx: 0x3147,
  RestoreBreakPointEx: 0x3148,
  CauseBugCheck: 0x3149,
  SwitchProcessor: 0x3150,
  PageIn: 0x3151,
  ReadMachineSpecificRegister: 0x3152,
  WriteMachineSpecificRegister: 0x3153,
  SearchMemory: 0x3156,
  GetBusData: 0x3157,
  SetBusData: 0x3158,
  CheckLowMemory: 0x3159,
  ClearAllInternalBreakpoints: 0x315a,
  FillMemory: 0x315b,
  QueryMemory: 0x315c,
  SwitchPartition: 0x315d,
  WriteCustomBreakpoint: 0x315e,
  GetContextEx: 0x315f,
  SetContextEx: 0x3160,
} as const;
export type ManipulateApiName = keyof typeof ManipulateApi;

export const StateChange = {
  Exception: 0x3030,
  LoadSymbols: 0x3031,
  CommandString: 0x3032,
} as const;

export const DebugIoApi = {
  PrintString: 0x3230,
  GetString: 0x3231,
} as const;

export const FileIoApi = {
  CreateFile: 0x3430,
  ReadFile: 0x3431,
  WriteFile: 0x3432,
  CloseFile: 0x3433,
} as const;

export const TraceIoApi = {
  PrintTrace: 0x3330,
} as const;

export const ControlRequestApi = {
  RequestHardwareBp: 0x4300,
  ReleaseHardwareBp: 0x4301,
} as const;

function invert(map: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(map).map(([name, value]) => [value, name]));
}

const manipulateNames = invert(ManipulateApi);
const stateChangeNames = invert(StateChange);
const debugIoNames = invert(DebugIoApi);
const fileIoNames = invert(FileIoApi);
const traceIoNames = invert(TraceIoApi);
const controlRequestNames = invert(ControlRequestApi);

const hex = (n: number): string => `0x${n.toString(16)}`;

export function manipulateApiName(api: number): string {
  return manipulateNames.get(api) ?? `Unknown(${hex(api)})`;
}
export function stateChangeName(state: number): string {
  return stateChangeNames.get(state) ?? `Unknown(${hex(state)})`;
}
export function debugIoApiName(api: number): string {
  return debugIoNames.get(api) ?? `Unknown(${hex(api)})`;
}
export function fileIoApiName(api: number): string {
  return fileIoNames.get(api) ?? `Unknown(${hex(api)})`;
}
export function traceIoApiName(api: number): string {
  return traceIoNames.get(api) ?? `Unknown(${hex(api)})`;
}
export function controlRequestApiName(api: number): string {
  return controlRequestNames.get(api) ?? `Unknown(${hex(api)})`;
}
