// The per-packet summary for the timeline. It runs on every packet, so it reads the few
// fields it needs straight from the bytes: no layout tables, no BigInt, no field tree.

import {
  DebugIoApi,
  FileIoApi,
  ManipulateApi as A,
  PacketType,
  StateChange,
  debugIoApiName,
  fileIoApiName,
  manipulateApiName,
  stateChangeName,
} from '../constants';
import type { Direction } from '../events';
import type { PacketSummary } from '../summary';
import { ansiText, hex, hex64At, oneLine, u16At, u32At, u8At, utf16Text } from './bytes';
import { DEBUG_IO_SIZE } from './debug-io';
import { FILE_IO_SIZE } from './file-io';
import { MANIPULATE_SIZE, machineName, majorVersionText } from './manipulate';
import { exceptionCodeName, ntStatusName } from './ntstatus';
import { STATE_CHANGE32_SIZE, STATE_CHANGE64_SIZE, commandString } from './state-change';
import {
  CONTROL_REQUEST_SIZE,
  TRACE_IO_SIZE,
  controlRequestApiName,
  traceIoApiName,
} from './trace-io';

const EMPTY: PacketSummary = Object.freeze({});

function short(what: string, length: number, size: number): string {
  return `short ${what}: ${length} of ${size} bytes`;
}

/**
 * Summary of one packet's payload; never throws, whatever the bytes. `dir` tells requests
 * from replies: a reply's fields (ReturnStatus included) are given for replies only; without
 * it a guess is made and ReturnStatus is always given.
 */
export interface DescribeOptions {
  /**
   * Build the timeline's one-line `info` (default true). Consumers that print only the typed
   * fields (NDJSON) skip it: for manipulate calls it is most of the cost.
   */
  readonly info?: boolean;
}

export function describePacket(
  type: number,
  payload: Uint8Array,
  dir?: Direction,
  options?: DescribeOptions,
): PacketSummary {
  switch (type) {
    case PacketType.STATE_MANIPULATE:
      return describeManipulate(payload, dir, options?.info ?? true);
    case PacketType.STATE_CHANGE64:
      return describeStateChange64(payload);
    case PacketType.STATE_CHANGE32:
      return describeStateChange32(payload);
    case PacketType.DEBUG_IO:
      return describeDebugIo(payload);
    case PacketType.FILE_IO:
      return describeFileIo(payload, dir);
    case PacketType.TRACE_IO:
      return describeTraceIo(payload);
    case PacketType.CONTROL_REQUEST:
      return describeControlRequest(payload);
    default:
      return payload.length === 0 ? EMPTY : { info: `${payload.length} payload bytes` };
  }
}

// Union offset in DBGKD_MANIPULATE_STATE64.
const U = 16;
const STATUS_PENDING = 0x103;

/**
 * Request or reply. WinDbg leaves ReturnStatus and the reply fields of its requests
 * uninitialised (STATUS_PENDING and stack garbage in the real capture), so reply-only fields
 * are shown for replies only. Without a direction the role is guessed: STATUS_PENDING means
 * a request, another failing status a reply, and with STATUS_SUCCESS the reply part is shown
 * only when it holds something (bytes read, a handle, a value).
 */
type Role = 'request' | 'reply' | 'guess';

function manipulateRole(dir: Direction | undefined): Role {
  return dir ? (dir === 'target->debugger' ? 'reply' : 'request') : 'guess';
}

function outcome(role: Role, status: number, ok = '', present = true): string {
  if (role === 'request' || (role === 'guess' && status === STATUS_PENDING)) return '';
  if (status !== 0) return ` -> ${ntStatusName(status)}`;
  return ok && (present || role === 'reply') ? ` -> ${ok}` : '';
}

function manipulateInfo(api: number, b: Uint8Array, status: number, role: Role): string {
  const name = manipulateApiName(api);
  const dataLength = Math.max(0, b.length - MANIPULATE_SIZE);
  const end = (ok = '', present = true): string => outcome(role, status, ok, present);
  switch (api) {
    case A.ReadVirtualMemory:
    case A.ReadPhysicalMemory:
    case A.ReadControlSpace:
      return `${name} ${hex64At(b, U)} len ${hex(u32At(b, U + 8))}${end(`${hex(u32At(b, U + 12))} read`, u32At(b, U + 12) > 0 || dataLength > 0)}`;
    case A.WriteVirtualMemory:
    case A.WritePhysicalMemory:
    case A.WriteControlSpace:
      return `${name} ${hex64At(b, U)} len ${hex(u32At(b, U + 8))}${end(`${hex(u32At(b, U + 12))} written`, u32At(b, U + 12) > 0)}`;
    case A.GetContext:
    case A.SetContext:
      return `${name}${dataLength ? ` ${hex(dataLength)} bytes` : ''}${end()}`;
    case A.GetContextEx:
    case A.SetContextEx:
      return `${name} offset ${hex(u32At(b, U))} len ${hex(u32At(b, U + 4))}${end(`${hex(u32At(b, U + 8))} copied`, u32At(b, U + 8) > 0)}`;
    case A.WriteBreakPoint:
      return `${name} ${hex64At(b, U)}${end(`handle ${hex(u32At(b, U + 8))}`, u32At(b, U + 8) > 0)}`;
    case A.RestoreBreakPoint:
      return `${name} handle ${hex(u32At(b, U))}${end()}`;
    case A.WriteBreakPointEx:
    case A.RestoreBreakPointEx:
      return `${name} count ${u32At(b, U)} ${ntStatusName(u32At(b, U + 4))}${end()}`;
    case A.Continue:
      return `${name} ${ntStatusName(u32At(b, U))}`;
    case A.Continue2:
      return `${name} ${ntStatusName(u32At(b, U))}${u32At(b, U + 4) ? ' trace' : ''} Dr7 ${hex64At(b, U + 8)}`;
    case A.ReadIoSpace:
      return `${name} ${hex64At(b, U)} size ${u32At(b, U + 8)}${end(hex(u32At(b, U + 12)), u32At(b, U + 12) > 0)}`;
    case A.WriteIoSpace:
      return `${name} ${hex64At(b, U)} size ${u32At(b, U + 8)} value ${hex(u32At(b, U + 12))}${end()}`;
    case A.ReadIoSpaceExtended:
    case A.WriteIoSpaceExtended: {
      const head = `${name} ${hex64At(b, U + 16)} size ${u32At(b, U)} bus ${u32At(b, U + 8)} space ${u32At(b, U + 12)}`;
      const value = hex(u32At(b, U + 24));
      return api === A.WriteIoSpaceExtended
        ? `${head} value ${value}${end()}`
        : `${head}${end(value, value !== '0x0')}`;
    }
    case A.ReadMachineSpecificRegister:
      return `${name} ${hex(u32At(b, U))}${end(hex64At(b, U + 4), hex64At(b, U + 4) !== '0x0')}`;
    case A.WriteMachineSpecificRegister:
      return `${name} ${hex(u32At(b, U))} = ${hex64At(b, U + 4)}${end()}`;
    case A.GetVersion: {
      if (role === 'request' || (role === 'guess' && u16At(b, U + 8) === 0))
        return `${name}${end()}`;
      const minor = u16At(b, U + 2);
      const version = `${majorVersionText(u16At(b, U))} build ${minor} (${hex(minor)})`;
      const machine = machineName(u16At(b, U + 8));
      return `${name} ${version} protocol ${u8At(b, U + 4)} ${machine} KernBase ${hex64At(b, U + 16)}${end()}`;
    }
    case A.SearchMemory:
      return role === 'reply'
        ? `${name}${end(`found at ${hex64At(b, U)}`)}`
        : `${name} ${hex64At(b, U)} len ${hex64At(b, U + 8)} pattern ${u32At(b, U + 16)} bytes`;
    case A.QueryMemory:
      return `${name} ${hex64At(b, U)} space ${u32At(b, U + 16)}${end(`flags ${hex(u32At(b, U + 20))}`, u32At(b, U + 20) > 0)}`;
    case A.FillMemory:
      return `${name} ${hex64At(b, U)} len ${hex(u32At(b, U + 8))} pattern ${u16At(b, U + 14)} bytes${end()}`;
    case A.GetBusData:
    case A.SetBusData:
      return `${name} type ${u32At(b, U)} bus ${u32At(b, U + 4)} slot ${u32At(b, U + 8)} offset ${hex(u32At(b, U + 12))} len ${hex(u32At(b, U + 16))}${end()}`;
    case A.SetInternalBreakPoint:
      return `${name} ${hex64At(b, U)} flags ${hex(u32At(b, U + 8))}${end()}`;
    case A.GetInternalBreakPoint:
      return `${name} ${hex64At(b, U)}${end(`calls ${u32At(b, U + 12)}`, u32At(b, U + 12) > 0)}`;
    case A.SwitchProcessor:
      return `${name} to ${u16At(b, 6)}${end()}`;
    case A.WriteCustomBreakpoint:
      return `${name} ${hex64At(b, U)} handle ${hex(u32At(b, U + 16))}${end()}`;
    default:
      return `${name}${end()}`;
  }
}

function describeManipulate(
  b: Uint8Array,
  dir: Direction | undefined,
  withInfo: boolean,
): PacketSummary {
  const api = u32At(b, 0);
  const returnStatus = u32At(b, 8);
  const apiName = manipulateApiName(api);
  const role = manipulateRole(dir);
  const info = withInfo ? manipulateInfo(api, b, returnStatus, role) : undefined;
  // The target sets ReturnStatus in its reply (every handler in ReactOS kd64/kdapi.c); a
  // request's is whatever the debugger left there. Plain literals: this runs on every packet.
  let base: PacketSummary;
  if (role === 'request') base = info === undefined ? { api, apiName } : { api, apiName, info };
  else
    base =
      info === undefined ? { api, apiName, returnStatus } : { api, apiName, returnStatus, info };
  if (b.length < MANIPULATE_SIZE) {
    return { ...base, malformed: short('DBGKD_MANIPULATE_STATE64', b.length, MANIPULATE_SIZE) };
  }
  return base;
}

// Union offset in DBGKD_ANY_WAIT_STATE_CHANGE.
const S = 0x20;

function describeStateChange64(b: Uint8Array): PacketSummary {
  const newState = u32At(b, 0);
  const newStateName = stateChangeName(newState);
  let malformed =
    b.length < STATE_CHANGE64_SIZE
      ? short('DBGKD_ANY_WAIT_STATE_CHANGE', b.length, STATE_CHANGE64_SIZE)
      : undefined;
  let info: string;
  let text: string | undefined;
  if (newState === StateChange.Exception) {
    const code = u32At(b, S);
    const chance = u32At(b, S + 0x98) ? 'first chance' : 'second chance';
    info = `Exception ${hex(code)} ${exceptionCodeName(code)} at ${hex64At(b, S + 0x10)} ${chance}`;
  } else if (newState === StateChange.LoadSymbols) {
    const pathLength = u32At(b, S);
    const data = b.subarray(Math.min(b.length, STATE_CHANGE64_SIZE));
    if (pathLength > data.length && !malformed) {
      malformed = `PathNameLength ${hex(pathLength)} exceeds the ${data.length} data bytes`;
    }
    text = ansiText(data.subarray(0, pathLength));
    const verb = u8At(b, S + 0x20) ? 'UnloadSymbols' : 'LoadSymbols';
    info = `${verb} ${text} base ${hex64At(b, S + 0x08)} size ${hex(u32At(b, S + 0x1c))}`;
  } else if (newState === StateChange.CommandString) {
    const cs = commandString(b.subarray(Math.min(b.length, STATE_CHANGE64_SIZE)));
    text = cs.command;
    info = `CommandString ${oneLine(cs.name)} ${oneLine(cs.command)}`;
  } else {
    info = newStateName;
  }
  return {
    newState,
    newStateName,
    info,
    ...(text !== undefined ? { text } : {}),
    ...(malformed ? { malformed } : {}),
  };
}

// DBGKD_WAIT_STATE_CHANGE32: union at 20, data at 144.
function describeStateChange32(b: Uint8Array): PacketSummary {
  const newState = u32At(b, 0);
  const newStateName = stateChangeName(newState);
  let info = newStateName;
  let text: string | undefined;
  if (newState === StateChange.Exception) {
    const code = u32At(b, 20);
    info = `Exception ${hex(code)} ${exceptionCodeName(code)} at ${hex(u32At(b, 32))} ${u32At(b, 100) ? 'first' : 'second'} chance`;
  } else if (newState === StateChange.LoadSymbols) {
    text = ansiText(b.subarray(Math.min(b.length, STATE_CHANGE32_SIZE)).subarray(0, u32At(b, 20)));
    info = `${u8At(b, 40) ? 'UnloadSymbols' : 'LoadSymbols'} ${text} base ${hex(u32At(b, 24))}`;
  }
  return {
    newState,
    newStateName,
    info: `${info} (32-bit)`,
    ...(text !== undefined ? { text } : {}),
    ...(b.length < STATE_CHANGE32_SIZE
      ? { malformed: short('DBGKD_WAIT_STATE_CHANGE32', b.length, STATE_CHANGE32_SIZE) }
      : {}),
  };
}

function describeDebugIo(b: Uint8Array): PacketSummary {
  const api = u32At(b, 0);
  const apiName = debugIoApiName(api);
  const data = b.subarray(Math.min(b.length, DEBUG_IO_SIZE));
  let malformed =
    b.length < DEBUG_IO_SIZE ? short('DBGKD_DEBUG_IO', b.length, DEBUG_IO_SIZE) : undefined;
  if (api === DebugIoApi.PrintString) {
    const n = u32At(b, 8);
    if (n > data.length && !malformed)
      malformed = `LengthOfString ${hex(n)} exceeds the ${data.length} data bytes`;
    const text = ansiText(data.subarray(0, n));
    return {
      api,
      apiName,
      text,
      info: `${apiName} ${oneLine(text)}`,
      ...(malformed ? { malformed } : {}),
    };
  }
  if (api === DebugIoApi.GetString) {
    const text = ansiText(data);
    const info = `${apiName} ${oneLine(text)} max ${hex(u32At(b, 12))}`;
    return { api, apiName, text, info, ...(malformed ? { malformed } : {}) };
  }
  return { api, apiName, info: apiName, ...(malformed ? { malformed } : {}) };
}

// FILE_IO runs the other way round: the target asks, the debugger replies.
function describeFileIo(b: Uint8Array, dir: Direction | undefined): PacketSummary {
  const api = u32At(b, 0);
  const apiName = fileIoApiName(api);
  const status = u32At(b, 4);
  const role: Role = dir ? (dir === 'debugger->target' ? 'reply' : 'request') : 'guess';
  const end = (ok = '', present = true): string => outcome(role, status, ok, present);
  const malformed =
    b.length < FILE_IO_SIZE ? short('DBGKD_FILE_IO', b.length, FILE_IO_SIZE) : undefined;
  const tail = malformed ? { malformed } : {};
  switch (api) {
    case FileIoApi.CreateFile: {
      const data = b.subarray(Math.min(b.length, FILE_IO_SIZE));
      const text = data.length ? utf16Text(data) : undefined;
      const name = text !== undefined ? ` ${oneLine(text)}` : '';
      const opened = `handle ${hex64At(b, 8 + 0x18)} size ${hex64At(b, 8 + 0x20)}`;
      const info = `${apiName}${name}${end(opened, hex64At(b, 8 + 0x18) !== '0x0')}`;
      return { api, apiName, ...(text !== undefined ? { text } : {}), info, ...tail };
    }
    case FileIoApi.ReadFile:
    case FileIoApi.WriteFile: {
      const moved = `${hex(u32At(b, 24))} ${api === FileIoApi.ReadFile ? 'read' : 'written'}`;
      const info = `${apiName} handle ${hex64At(b, 8)} offset ${hex64At(b, 16)} len ${hex(u32At(b, 24))}${end(moved, false)}`;
      return { api, apiName, info, ...tail };
    }
    case FileIoApi.CloseFile:
      return { api, apiName, info: `${apiName} handle ${hex64At(b, 8)}${end()}`, ...tail };
    default:
      return { api, apiName, info: `${apiName}${end()}`, ...tail };
  }
}

function describeTraceIo(b: Uint8Array): PacketSummary {
  const api = u32At(b, 0);
  const apiName = traceIoApiName(api);
  const malformed =
    b.length < TRACE_IO_SIZE ? short('DBGKD_TRACE_IO', b.length, TRACE_IO_SIZE) : undefined;
  return {
    api,
    apiName,
    info: `${apiName} ${hex(u32At(b, 8))} bytes`,
    ...(malformed ? { malformed } : {}),
  };
}

function describeControlRequest(b: Uint8Array): PacketSummary {
  const api = u32At(b, 0);
  const apiName = controlRequestApiName(api);
  const malformed =
    b.length < CONTROL_REQUEST_SIZE
      ? short('DBGKD_CONTROL_REQUEST', b.length, CONTROL_REQUEST_SIZE)
      : undefined;
  return {
    api,
    apiName,
    info: `${apiName} breakpoint ${u32At(b, 4)}`,
    ...(malformed ? { malformed } : {}),
  };
}
