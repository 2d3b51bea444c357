// DBGKD_FILE_IO (64 bytes: ApiNumber, Status, a 56-byte union aligned to 8), then data: the
// UTF-16LE file name of CreateFile, the contents of ReadFile replies and WriteFile requests.
// Used by .kdfiles to replace driver images at boot.

import { FileIoApi, fileIoApiName } from '../constants';
import type { LooseFields, RawFields, UnionMember } from './family';
import { buildFamily, decodeFamily, rawMember } from './family';
import type { Values } from './layout';
import { u32, u64 } from './layout';
import { hexDec, utf16Bytes, utf16Text } from './bytes';
import { ntStatusText } from './ntstatus';

export const FILE_IO_SIZE = 64;
const len = { show: hexDec };

export const FileIoStructs = {
  // CreateOptions ends at 0x14; Handle is aligned to 0x18.
  CreateFile: {
    type: 'DBGKD_CREATE_FILE',
    member: 'CreateFile',
    layout: {
      desiredAccess: u32(0x00),
      fileAttributes: u32(0x04),
      shareAccess: u32(0x08),
      createDisposition: u32(0x0c),
      createOptions: u32(0x10),
      handle: u64(0x18),
      length: u64(0x20),
    },
  },
  ReadFile: {
    type: 'DBGKD_READ_FILE',
    member: 'ReadFile',
    layout: { handle: u64(0), offset: u64(8), length: u32(16, len) },
  },
  WriteFile: {
    type: 'DBGKD_WRITE_FILE',
    member: 'WriteFile',
    layout: { handle: u64(0), offset: u64(8), length: u32(16, len) },
  },
  CloseFile: { type: 'DBGKD_CLOSE_FILE', member: 'CloseFile', layout: { handle: u64(0) } },
} as const;
type Structs = typeof FileIoStructs;

const apiMembers = {
  [FileIoApi.CreateFile]: 'CreateFile',
  [FileIoApi.ReadFile]: 'ReadFile',
  [FileIoApi.WriteFile]: 'WriteFile',
  [FileIoApi.CloseFile]: 'CloseFile',
} as const satisfies Record<number, keyof Structs>;
type ApiMembers = typeof apiMembers;

export type FileIoFieldsFor<A extends number> = number extends A
  ? LooseFields
  : A extends keyof ApiMembers
    ? Values<Structs[ApiMembers[A]]['layout']>
    : RawFields;

export const fileIoSpec = {
  type: 'DBGKD_FILE_IO',
  header: {
    apiNumber: u32(0, { show: (v) => `0x${v.toString(16)} (${fileIoApiName(v)})` }),
    status: u32(4, { show: ntStatusText }),
  },
  selector: 'apiNumber',
  unionAt: 8,
  unionSize: 56,
  members: new Map<number, UnionMember>(
    Object.entries(apiMembers).map(([api, name]) => [Number(api), FileIoStructs[name]]),
  ),
  dataAt: FILE_IO_SIZE,
} as const;

export function fileIoMember(api: number): UnionMember {
  return fileIoSpec.members.get(api) ?? rawMember(56);
}

export interface FileIoInput<A extends number = number> {
  api: A;
  /** NTSTATUS, unsigned; 0 in requests. */
  status?: number;
  fields?: Partial<FileIoFieldsFor<A>>;
}

export interface DecodedFileIo {
  api: number;
  apiName: string;
  status: number;
  structName: string;
  fields: LooseFields;
  data: Uint8Array;
  /** CreateFile: the file name (UTF-16LE data up to its NUL). */
  fileName?: string;
  malformed?: string;
}

export function buildFileIo<A extends number>(io: FileIoInput<A>, data?: Uint8Array): Uint8Array {
  return buildFamily(
    fileIoSpec,
    { apiNumber: io.api, status: (io.status ?? 0) >>> 0 },
    io.fields as Readonly<Record<string, number | bigint | undefined>> | undefined,
    undefined,
    data,
  );
}

/** The name as CreateFile data: UTF-16LE with its NUL. */
export function fileNameBytes(name: string): Uint8Array {
  return utf16Bytes(name, true);
}

export function decodeFileIo(payload: Uint8Array): DecodedFileIo {
  const d = decodeFamily(fileIoSpec, payload);
  const api = d.header.apiNumber as number;
  const out: DecodedFileIo = {
    api,
    apiName: fileIoApiName(api),
    status: d.header.status as number,
    structName: d.member.type,
    fields: d.fields,
    data: d.data,
  };
  if (api === FileIoApi.CreateFile && d.data.length > 0) out.fileName = utf16Text(d.data);
  if (d.malformed) out.malformed = d.malformed;
  return out;
}
