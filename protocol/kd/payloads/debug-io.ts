// DBGKD_DEBUG_IO (16 bytes: ApiNumber, ProcessorLevel, Processor, an 8-byte union), then the
// text: DbgPrint output for PrintString; for GetString the prompt from the target and the
// line typed in the debugger's reply. Text is 8-bit ANSI.

import { DebugIoApi, debugIoApiName } from '../constants';
import type { LooseFields, RawFields, UnionMember } from './family';
import { buildFamily, decodeFamily, rawMember } from './family';
import type { Values } from './layout';
import { u16, u32 } from './layout';
import { ansiBytes, ansiText, hexDec } from './bytes';

export const DEBUG_IO_SIZE = 16;
const len = { show: hexDec };

export const DebugIoStructs = {
  PrintString: {
    type: 'DBGKD_PRINT_STRING',
    member: 'PrintString',
    layout: { lengthOfString: u32(0, len) },
  },
  GetString: {
    type: 'DBGKD_GET_STRING',
    member: 'GetString',
    layout: { lengthOfPromptString: u32(0, len), lengthOfStringRead: u32(4, len) },
  },
} as const;
type Structs = typeof DebugIoStructs;

const apiMembers = {
  [DebugIoApi.PrintString]: 'PrintString',
  [DebugIoApi.GetString]: 'GetString',
} as const satisfies Record<number, keyof Structs>;
type ApiMembers = typeof apiMembers;

export type DebugIoFieldsFor<A extends number> = number extends A
  ? LooseFields
  : A extends keyof ApiMembers
    ? Values<Structs[ApiMembers[A]]['layout']>
    : RawFields;

export const debugIoSpec = {
  type: 'DBGKD_DEBUG_IO',
  header: {
    apiNumber: u32(0, { show: (v) => `0x${v.toString(16)} (${debugIoApiName(v)})` }),
    processorLevel: u16(4),
    processor: u16(6),
  },
  selector: 'apiNumber',
  unionAt: 8,
  unionSize: 8,
  members: new Map<number, UnionMember>(
    Object.entries(apiMembers).map(([api, name]) => [Number(api), DebugIoStructs[name]]),
  ),
  dataAt: DEBUG_IO_SIZE,
} as const;

export function debugIoMember(api: number): UnionMember {
  return debugIoSpec.members.get(api) ?? rawMember(8);
}

export interface DebugIoInput<A extends number = number> {
  api: A;
  processorLevel?: number;
  processor?: number;
  fields?: Partial<DebugIoFieldsFor<A>>;
}

export interface DecodedDebugIo {
  api: number;
  apiName: string;
  processorLevel: number;
  processor: number;
  structName: string;
  fields: LooseFields;
  data: Uint8Array;
  /** PrintString: the text (LengthOfString bytes); GetString: the data (prompt or reply line). */
  text: string;
  malformed?: string;
}

export function buildDebugIo<A extends number>(io: DebugIoInput<A>, data?: Uint8Array): Uint8Array {
  return buildFamily(
    debugIoSpec,
    { apiNumber: io.api, processorLevel: io.processorLevel ?? 0, processor: io.processor ?? 0 },
    io.fields as Readonly<Record<string, number | undefined>> | undefined,
    undefined,
    data,
  );
}

/** A DbgPrint as kd64 sends it: LengthOfString = the text's length, no NUL. */
export function buildPrintString(text: string, processor = 0): Uint8Array {
  const data = ansiBytes(text);
  return buildDebugIo(
    { api: DebugIoApi.PrintString, processor, fields: { lengthOfString: data.length } },
    data,
  );
}

/**
 * A DbgPrompt: from the target, the prompt and the longest answer it takes; the debugger's
 * reply carries the line read (`prompt` = the line, `maxLength` = its length).
 */
export function buildGetString(prompt: string, maxLength: number, processor = 0): Uint8Array {
  const data = ansiBytes(prompt);
  return buildDebugIo(
    {
      api: DebugIoApi.GetString,
      processor,
      fields: { lengthOfPromptString: data.length, lengthOfStringRead: maxLength },
    },
    data,
  );
}

export function decodeDebugIo(payload: Uint8Array): DecodedDebugIo {
  const d = decodeFamily(debugIoSpec, payload);
  const api = d.header.apiNumber as number;
  const n = api === DebugIoApi.PrintString ? (d.fields.lengthOfString as number) : d.data.length;
  const out: DecodedDebugIo = {
    api,
    apiName: debugIoApiName(api),
    processorLevel: d.header.processorLevel as number,
    processor: d.header.processor as number,
    structName: d.member.type,
    fields: d.fields,
    data: d.data,
    text: ansiText(d.data.subarray(0, n)),
  };
  if (d.malformed) out.malformed = d.malformed;
  return out;
}
