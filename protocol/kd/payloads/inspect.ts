// One packet decoded for the state-change / manipulate dialog: named fields (from the same
// dissector as the details tree, so the two never disagree), the NTSTATUS or exception code
// with its name, and the data shown the way it means something: memory as hex + ASCII at its
// address, a CONTEXT as a register table, a module path or DbgPrint text as text.

import {
  DebugIoApi,
  FileIoApi,
  ManipulateApi as A,
  PacketType,
  StateChange,
  debugIoApiName,
  fileIoApiName,
  manipulateApiName,
  packetTypeName,
  stateChangeName,
} from '../constants';
import type { Direction } from '../events';
import type { FieldNode } from '../summary';
import { ansiText, hex64At, u16At, u32At, utf16Text } from './bytes';
import { contextRegisters, type RegisterValue } from './context';
import { commandString } from './state-change';
import { DEBUG_IO_SIZE } from './debug-io';
import { dissectPacket } from './dissect';
import { FILE_IO_SIZE } from './file-io';
import { MANIPULATE_SIZE } from './manipulate';
import { exceptionCodeText, isNtError, ntStatusText } from './ntstatus';
import { STATE_CHANGE64_SIZE } from './state-change';

const HEADER = 16;

export interface InspectRow {
  /** The structure part it belongs to: the C type, `u.ReadMemory`, `ControlReport`, `KD_PACKET`. */
  readonly group: string;
  readonly name: string;
  readonly value: string;
  readonly error?: string;
}

export interface MemoryView {
  readonly label: string;
  /** Address of bytes[0] (hex), or null when the data has no address (a pattern, bus data). */
  readonly address: string | null;
  readonly bytes: Uint8Array;
}

export interface StatusView {
  readonly label: 'ReturnStatus' | 'ExceptionCode';
  readonly value: number;
  /** `0xc0000005 (STATUS_ACCESS_VIOLATION)`. */
  readonly text: string;
  readonly ok: boolean;
}

export interface PacketInspection {
  readonly typeName: string;
  /** `ReadVirtualMemory`, `Exception`, `PrintString`, `ACKNOWLEDGE`. */
  readonly name: string;
  readonly role: 'request' | 'reply' | 'state change' | 'output' | 'control' | 'other';
  readonly rows: readonly InspectRow[];
  readonly status?: StatusView;
  readonly memory?: MemoryView;
  readonly registers?: readonly RegisterValue[];
  readonly text?: { readonly label: string; readonly value: string };
  /** What is wrong on the wire (checksum, trailer, truncation), one line each. */
  readonly problems: readonly string[];
}

function collectProblems(nodes: readonly FieldNode[], out: string[]): void {
  for (const n of nodes) {
    if (n.error) out.push(`${n.name}: ${n.error}`);
    if (n.children) collectProblems(n.children, out);
  }
}

const SKIPPED = new Set(['Padding', 'Unused', 'Reserved1', 'Reserved2']);

function flatten(node: FieldNode, group: string, out: InspectRow[]): void {
  for (const child of node.children ?? []) {
    if (child.children && child.children.length > 0 && !/^\[\d+\]$/.test(child.children[0]!.name)) {
      flatten(child, child.name, out);
      continue;
    }
    if (SKIPPED.has(child.name)) continue;
    out.push({
      group,
      name: child.name,
      value: child.value,
      ...(child.error ? { error: child.error } : {}),
    });
  }
}

/** Rows of the KD header and the payload structure (not its variable data). */
function structureRows(tree: readonly FieldNode[]): InspectRow[] {
  const rows: InspectRow[] = [];
  const header = tree[0];
  if (header?.name === 'KD_PACKET') {
    for (const f of header.children ?? []) {
      if (f.name === 'PacketId' || f.name === 'ByteCount' || f.name === 'Checksum') {
        rows.push({
          group: 'KD_PACKET',
          name: f.name,
          value: f.value,
          ...(f.error ? { error: f.error } : {}),
        });
      }
    }
  }
  const payload = tree.find((n) => n.name.startsWith('Payload'));
  const structure = payload?.children?.[0];
  if (structure) flatten(structure, structure.name, rows);
  return rows;
}

interface ManipulateData {
  memory?: MemoryView;
  registers?: readonly RegisterValue[];
}

const U = HEADER + 16; // the manipulate union, from the first byte on the wire

function manipulateData(
  api: number,
  b: Uint8Array,
  data: Uint8Array,
  reply: boolean,
): ManipulateData {
  if (data.length === 0) return {};
  const address = hex64At(b, U);
  switch (api) {
    case A.ReadVirtualMemory:
    case A.ReadPhysicalMemory:
      return { memory: { label: reply ? 'Bytes read' : 'Data', address, bytes: data } };
    case A.ReadControlSpace:
      return {
        memory: {
          label: `Control space ${address} (0 KPCR, 1 KPRCB, 2 KSPECIAL, 3 KTHREAD)`,
          address: null,
          bytes: data,
        },
      };
    case A.WriteVirtualMemory:
    case A.WritePhysicalMemory:
      return { memory: { label: reply ? 'Data' : 'Bytes to write', address, bytes: data } };
    case A.WriteControlSpace:
      return { memory: { label: `Control space ${address}`, address: null, bytes: data } };
    case A.GetContext:
    case A.SetContext:
      return { registers: contextRegisters(data, 0) };
    case A.GetContextEx:
    case A.SetContextEx:
      return { registers: contextRegisters(data, u32At(b, U)) };
    case A.SearchMemory:
    case A.FillMemory:
      return { memory: { label: 'Pattern', address: null, bytes: data } };
    default:
      return { memory: { label: 'Data', address: null, bytes: data } };
  }
}

function inspectManipulate(b: Uint8Array, end: number, dir: Direction): Partial<PacketInspection> {
  const api = u32At(b, HEADER);
  const reply = dir === 'target->debugger';
  const status = u32At(b, HEADER + 8);
  const data = b.subarray(Math.min(end, HEADER + MANIPULATE_SIZE), end);
  return {
    name: manipulateApiName(api),
    role: reply ? 'reply' : 'request',
    // A request's ReturnStatus is whatever the debugger left there (STATUS_PENDING, garbage).
    ...(reply
      ? {
          status: {
            label: 'ReturnStatus',
            value: status,
            text: ntStatusText(status),
            ok: !isNtError(status),
          },
        }
      : {}),
    ...manipulateData(api, b, data, reply),
  };
}

function inspectStateChange(b: Uint8Array, end: number): Partial<PacketInspection> {
  const state = u32At(b, HEADER);
  const base: Partial<PacketInspection> = { name: stateChangeName(state), role: 'state change' };
  const data = b.subarray(Math.min(end, HEADER + STATE_CHANGE64_SIZE), end);
  const stream = b.subarray(HEADER + 0xd8, Math.min(end, HEADER + 0xe8));
  const instructions: MemoryView | undefined =
    stream.length > 0
      ? {
          label: 'Instruction stream at ProgramCounter',
          address: hex64At(b, HEADER + 0x18),
          bytes: stream,
        }
      : undefined;
  if (state === StateChange.Exception) {
    const code = u32At(b, HEADER + 0x20);
    return {
      ...base,
      status: { label: 'ExceptionCode', value: code, text: exceptionCodeText(code), ok: false },
      ...(instructions ? { memory: instructions } : {}),
    };
  }
  if (state === StateChange.LoadSymbols) {
    const length = u32At(b, HEADER + 0x20);
    const unload = (b[HEADER + 0x40] ?? 0) !== 0;
    return {
      ...base,
      text: {
        label: unload ? 'Module unloaded' : 'Module loaded',
        value: ansiText(data.subarray(0, length)),
      },
    };
  }
  if (state === StateChange.CommandString) {
    const cs = commandString(data);
    return { ...base, text: { label: `Command from ${cs.name}`, value: cs.command } };
  }
  return { ...base, ...(instructions ? { memory: instructions } : {}) };
}

/**
 * Decodes one packet as on the wire (header, payload, trailer) for the dialog; `dir` tells a
 * request from a reply. Never throws, whatever the bytes.
 */
export function inspectPacket(bytes: Uint8Array, dir: Direction): PacketInspection {
  const tree = dissectPacket(bytes, dir);
  const problems: string[] = [];
  collectProblems(tree, problems);
  const type = u16At(bytes, 4);
  const isData = bytes.length >= HEADER && u32At(bytes, 0) === 0x30303030;
  const end = isData
    ? Math.min(bytes.length, HEADER + u16At(bytes, 6))
    : Math.min(bytes.length, HEADER);
  let rest: Partial<PacketInspection>;
  if (bytes.length < HEADER) {
    rest = {
      name: bytes.length > 0 && bytes.every((x) => x === 0x62) ? 'Break-in' : 'Bytes',
      role: 'other',
    };
  } else if (!isData) {
    rest = { name: packetTypeName(type), role: 'control' };
  } else if (type === PacketType.STATE_MANIPULATE) {
    rest = inspectManipulate(bytes, end, dir);
  } else if (type === PacketType.STATE_CHANGE64) {
    rest = inspectStateChange(bytes, end);
  } else if (type === PacketType.DEBUG_IO) {
    const api = u32At(bytes, HEADER);
    const data = bytes.subarray(Math.min(end, HEADER + DEBUG_IO_SIZE), end);
    const text =
      api === DebugIoApi.PrintString
        ? ansiText(data.subarray(0, u32At(bytes, HEADER + 8)))
        : ansiText(data);
    rest = {
      name: debugIoApiName(api),
      role: 'output',
      text: { label: api === DebugIoApi.GetString ? 'Prompt' : 'DbgPrint', value: text },
    };
  } else if (type === PacketType.FILE_IO) {
    const api = u32At(bytes, HEADER);
    const data = bytes.subarray(Math.min(end, HEADER + FILE_IO_SIZE), end);
    rest = {
      name: fileIoApiName(api),
      role: dir === 'target->debugger' ? 'request' : 'reply',
      ...(api === FileIoApi.CreateFile && data.length > 0
        ? { text: { label: 'File', value: utf16Text(data) } }
        : data.length > 0
          ? { memory: { label: 'Data', address: null, bytes: data } }
          : {}),
    };
  } else {
    rest = { name: packetTypeName(type), role: 'other' };
  }
  return {
    typeName: bytes.length >= HEADER ? packetTypeName(type) : 'BYTES',
    name: rest.name ?? packetTypeName(type),
    role: rest.role ?? 'other',
    rows: structureRows(tree),
    problems,
    ...(rest.status ? { status: rest.status } : {}),
    ...(rest.memory ? { memory: rest.memory } : {}),
    ...(rest.registers ? { registers: rest.registers } : {}),
    ...(rest.text ? { text: rest.text } : {}),
  };
}

export interface HexDumpLine {
  /** The address (or offset) of the line's first byte, hex. */
  readonly address: string;
  /** Two hex digits per byte present. */
  readonly hex: readonly string[];
  /** One character per byte: printable ASCII or '.'. */
  readonly ascii: string;
}

/**
 * Lines of 16 bytes; addresses count from `address` (a hex string as MemoryView gives it) or
 * from 0 when it is null. 64-bit addresses are added as BigInt so they stay exact.
 */
export function hexDump(bytes: Uint8Array, address: string | null, perLine = 16): HexDumpLine[] {
  let base = 0n;
  if (address !== null) {
    try {
      base = BigInt(address);
    } catch {
      base = 0n;
    }
  }
  const width = address === null ? Math.max(4, (bytes.length - 1).toString(16).length) : 16;
  const lines: HexDumpLine[] = [];
  for (let at = 0; at < bytes.length; at += perLine) {
    const slice = bytes.subarray(at, Math.min(bytes.length, at + perLine));
    const hexes: string[] = [];
    let ascii = '';
    for (const x of slice) {
      hexes.push(x.toString(16).padStart(2, '0'));
      ascii += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.';
    }
    const a = BigInt.asUintN(64, base + BigInt(at))
      .toString(16)
      .padStart(width, '0');
    lines.push({ address: a, hex: hexes, ascii });
  }
  return lines;
}
