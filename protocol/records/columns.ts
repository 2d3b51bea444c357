// Columnar form of PacketRecords: what crosses from the engine to the renderer in batches and
// what the PacketTable stores. One object per row costs ~300-500 bytes of heap and a hidden
// class walk per field; a set of typed arrays costs ~100 bytes a row and filters at memory speed.

import { DIRECTIONS } from '../kd/events';
import type { Direction, GarbageReason } from '../kd/events';
import type { PacketRecord } from '../session/record';

export const KINDS: readonly PacketRecord['kind'][] = ['packet', 'breakin', 'garbage'];
/** Index 0 of the leader column means "absent". */
export const LEADERS: readonly (NonNullable<PacketRecord['leader']> | undefined)[] = [
  undefined,
  'data',
  'control',
];

/** Bits of the `present` column: which optional numeric fields a row has. */
export const Present = {
  FRAME: 1 << 0,
  TYPE: 1 << 1,
  ID: 1 << 2,
  BYTE_COUNT: 1 << 3,
  API: 1 << 4,
  RETURN_STATUS: 1 << 5,
  NEW_STATE: 1 << 6,
} as const;

/** checksumOk column: 0 absent, 1 false, 2 true. */
export const CHECKSUM_ABSENT = 0;
export const CHECKSUM_BAD = 1;
export const CHECKSUM_OK = 2;

/**
 * Every column, one entry per row. Values a row does not have are 0 with their `present` bit
 * clear (ids and NTSTATUS values use all 32 bits, so no value can serve as a sentinel); rttMs is
 * NaN when absent; pair, ack and resendOf are stored as `partner no - own no` (0 = absent, a record is never
 * its own partner) so they stay exact in 32 bits however large `no` grows.
 * String columns hold indices into `strings`; index 0 is reserved for "absent".
 */
export interface Columns {
  no: Float64Array;
  time: Float64Array;
  offset: Float64Array;
  rttMs: Float64Array;
  frame: Uint32Array;
  length: Uint32Array;
  id: Uint32Array;
  api: Uint32Array;
  returnStatus: Uint32Array;
  newState: Uint32Array;
  flags: Uint32Array;
  pair: Int32Array;
  ack: Int32Array;
  resendOf: Int32Array;
  /** PacketType is a USHORT in the KD header. */
  type: Uint16Array;
  /** ByteCount is a USHORT in the KD header. */
  byteCount: Uint16Array;
  dir: Uint8Array;
  kind: Uint8Array;
  leader: Uint8Array;
  checksumOk: Uint8Array;
  present: Uint8Array;
  typeName: Uint32Array;
  apiName: Uint32Array;
  newStateName: Uint32Array;
  garbageReason: Uint32Array;
  text: Uint32Array;
  info: Uint32Array;
}
export type ColumnName = keyof Columns;

type ColumnCtor =
  | Float64ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | Uint16ArrayConstructor
  | Uint8ArrayConstructor;

/** Column order in memory and on the wire: widest first, so every column stays aligned. */
export const COLUMN_LAYOUT: readonly (readonly [ColumnName, ColumnCtor])[] = [
  ['no', Float64Array],
  ['time', Float64Array],
  ['offset', Float64Array],
  ['rttMs', Float64Array],
  ['frame', Uint32Array],
  ['length', Uint32Array],
  ['id', Uint32Array],
  ['api', Uint32Array],
  ['returnStatus', Uint32Array],
  ['newState', Uint32Array],
  ['flags', Uint32Array],
  ['pair', Int32Array],
  ['ack', Int32Array],
  ['resendOf', Int32Array],
  ['typeName', Uint32Array],
  ['apiName', Uint32Array],
  ['newStateName', Uint32Array],
  ['garbageReason', Uint32Array],
  ['text', Uint32Array],
  ['info', Uint32Array],
  ['type', Uint16Array],
  ['byteCount', Uint16Array],
  ['dir', Uint8Array],
  ['kind', Uint8Array],
  ['leader', Uint8Array],
  ['checksumOk', Uint8Array],
  ['present', Uint8Array],
];

export const STRING_COLUMNS = [
  'typeName',
  'apiName',
  'newStateName',
  'garbageReason',
  'text',
  'info',
] as const satisfies readonly ColumnName[];
export type StringColumnName = (typeof STRING_COLUMNS)[number];

/** Bytes of typed-array storage per row. */
export const BYTES_PER_ROW = COLUMN_LAYOUT.reduce((n, [, C]) => n + C.BYTES_PER_ELEMENT, 0);

/** A batch of rows: columns plus the dictionary its string columns index (strings[0] is unused). */
export interface RecordBatch {
  readonly count: number;
  readonly columns: Columns;
  readonly strings: readonly string[];
}

function pad8(n: number): number {
  // Not `(n + 7) & ~7`: sizes read from corrupt input can exceed 32 bits.
  return Math.ceil(n / 8) * 8;
}

/** Allocates all columns for `rows` rows in one ArrayBuffer (one transferable). */
export function allocateColumns(rows: number, buffer?: ArrayBuffer, at = 0): Columns {
  let size = 0;
  for (const [, C] of COLUMN_LAYOUT) size += pad8(rows * C.BYTES_PER_ELEMENT);
  const buf = buffer ?? new ArrayBuffer(size);
  const out: Partial<Record<ColumnName, unknown>> = {};
  let pos = at;
  for (const [name, C] of COLUMN_LAYOUT) {
    out[name] = new C(buf, pos, rows);
    pos += pad8(rows * C.BYTES_PER_ELEMENT);
  }
  return out as Columns;
}

function columnsByteLength(rows: number): number {
  let size = 0;
  for (const [, C] of COLUMN_LAYOUT) size += pad8(rows * C.BYTES_PER_ELEMENT);
  return size;
}

/** Interns strings into a dictionary whose index 0 means "absent". */
export class StringInterner {
  readonly strings: string[] = [''];
  private readonly index = new Map<string, number>();
  intern(s: string | undefined): number {
    if (s === undefined) return 0;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

const dirIndex = (d: Direction): number => (d === 'target->debugger' ? 1 : 0);
const kindIndex = (k: PacketRecord['kind']): number =>
  k === 'breakin' ? 1 : k === 'garbage' ? 2 : 0;

/** Writes one record into row `i` of `c`, interning its strings with `dict`. */
export function writeRecord(c: Columns, i: number, r: PacketRecord, dict: StringInterner): void {
  c.no[i] = r.no;
  c.time[i] = r.time;
  c.offset[i] = r.offset;
  c.length[i] = r.length;
  c.flags[i] = r.flags;
  c.dir[i] = dirIndex(r.dir);
  c.kind[i] = kindIndex(r.kind);
  c.leader[i] = r.leader === 'data' ? 1 : r.leader === 'control' ? 2 : 0;
  c.checksumOk[i] =
    r.checksumOk === undefined ? CHECKSUM_ABSENT : r.checksumOk ? CHECKSUM_OK : CHECKSUM_BAD;
  // Written out rather than through a helper: this runs for every packet the engine sees.
  let present = 0;
  if (r.frame !== undefined) present |= Present.FRAME;
  if (r.type !== undefined) present |= Present.TYPE;
  if (r.id !== undefined) present |= Present.ID;
  if (r.byteCount !== undefined) present |= Present.BYTE_COUNT;
  if (r.api !== undefined) present |= Present.API;
  if (r.returnStatus !== undefined) present |= Present.RETURN_STATUS;
  if (r.newState !== undefined) present |= Present.NEW_STATE;
  c.frame[i] = r.frame ?? 0;
  c.type[i] = r.type ?? 0;
  c.id[i] = r.id ?? 0;
  c.byteCount[i] = r.byteCount ?? 0;
  c.api[i] = r.api ?? 0;
  c.returnStatus[i] = r.returnStatus ?? 0;
  c.newState[i] = r.newState ?? 0;
  c.present[i] = present;
  c.pair[i] = r.pair === undefined ? 0 : r.pair - r.no;
  c.ack[i] = r.ack === undefined ? 0 : r.ack - r.no;
  c.resendOf[i] = r.resendOf === undefined ? 0 : r.resendOf - r.no;
  c.rttMs[i] = r.rttMs === undefined ? NaN : r.rttMs;
  c.typeName[i] = dict.intern(r.typeName);
  c.apiName[i] = dict.intern(r.apiName);
  c.newStateName[i] = dict.intern(r.newStateName);
  c.garbageReason[i] = dict.intern(r.garbageReason);
  c.text[i] = dict.intern(r.text);
  c.info[i] = dict.intern(r.info);
}

/** Builds the PacketRecord of row `i` (only the fields it has, like the original). */
export function readRecord(c: Columns, strings: readonly string[], i: number): PacketRecord {
  const no = c.no[i] ?? 0;
  const present = c.present[i] ?? 0;
  const r: { -readonly [K in keyof PacketRecord]: PacketRecord[K] } = {
    no,
    time: c.time[i] ?? 0,
    dir: DIRECTIONS[c.dir[i] ?? 0] ?? 'debugger->target',
    kind: KINDS[c.kind[i] ?? 0] ?? 'packet',
    offset: c.offset[i] ?? 0,
    length: c.length[i] ?? 0,
    flags: c.flags[i] ?? 0,
  };
  if (present & Present.FRAME) r.frame = c.frame[i];
  const leader = LEADERS[c.leader[i] ?? 0];
  if (leader !== undefined) r.leader = leader;
  if (present & Present.TYPE) r.type = c.type[i];
  const str = (col: Uint32Array): string | undefined => {
    const k = col[i] ?? 0;
    return k === 0 ? undefined : strings[k];
  };
  const typeName = str(c.typeName);
  if (typeName !== undefined) r.typeName = typeName;
  if (present & Present.ID) r.id = c.id[i];
  if (present & Present.BYTE_COUNT) r.byteCount = c.byteCount[i];
  const ck = c.checksumOk[i] ?? CHECKSUM_ABSENT;
  if (ck !== CHECKSUM_ABSENT) r.checksumOk = ck === CHECKSUM_OK;
  if (present & Present.API) r.api = c.api[i];
  const apiName = str(c.apiName);
  if (apiName !== undefined) r.apiName = apiName;
  if (present & Present.RETURN_STATUS) r.returnStatus = c.returnStatus[i];
  if (present & Present.NEW_STATE) r.newState = c.newState[i];
  const newStateName = str(c.newStateName);
  if (newStateName !== undefined) r.newStateName = newStateName;
  const text = str(c.text);
  if (text !== undefined) r.text = text;
  const info = str(c.info);
  if (info !== undefined) r.info = info;
  const reason = str(c.garbageReason);
  if (reason !== undefined) r.garbageReason = reason as GarbageReason;
  const pair = c.pair[i] ?? 0;
  if (pair !== 0) r.pair = no + pair;
  const ack = c.ack[i] ?? 0;
  if (ack !== 0) r.ack = no + ack;
  const resendOf = c.resendOf[i] ?? 0;
  if (resendOf !== 0) r.resendOf = no + resendOf;
  const rtt = c.rttMs[i] ?? NaN;
  if (!Number.isNaN(rtt)) r.rttMs = rtt;
  return r;
}

/**
 * Encodes records into one batch. Field domains: type and byteCount are 16-bit (KD header
 * USHORTs), frame/length/id/api/returnStatus/newState/flags 32-bit unsigned, and pair/ack/resendOf within
 * 2^31 rows of their own `no`; values outside are stored modulo their width.
 */
export function encodeBatch(records: readonly PacketRecord[]): RecordBatch {
  const columns = allocateColumns(records.length);
  const dict = new StringInterner();
  records.forEach((r, i) => writeRecord(columns, i, r, dict));
  return { count: records.length, columns, strings: dict.strings };
}

export function decodeRecord(batch: RecordBatch, i: number): PacketRecord {
  if (!Number.isInteger(i) || i < 0 || i >= batch.count) {
    throw new RangeError(`row ${i} is outside the batch (0..${batch.count - 1})`);
  }
  return readRecord(batch.columns, batch.strings, i);
}

export class BatchFormatError extends Error {
  constructor(message: string) {
    super(`record batch: ${message}`);
    this.name = 'BatchFormatError';
  }
}

// Wire form: header | columns (each padded to 8) | string lengths (Uint32) | UTF-8 bytes.
const MAGIC = 0x4252444b; // "KDRB" little-endian
const VERSION = 2;
const HEADER = 16;

/** Serializes a batch into one buffer for a WebSocket binary message. */
export function batchToBytes(batch: RecordBatch): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = batch.strings.map((s) => encoder.encode(s));
  const textBytes = encoded.reduce((n, e) => n + e.length, 0);
  const colBytes = columnsByteLength(batch.count);
  const total = HEADER + colBytes + pad8(encoded.length * 4) + textBytes;
  const buf = new ArrayBuffer(total);
  const view = new DataView(buf);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, batch.count, true);
  view.setUint32(12, encoded.length, true);
  const cols = allocateColumns(batch.count, buf, HEADER);
  for (const [name] of COLUMN_LAYOUT) {
    (cols[name] as Uint8Array).set(batch.columns[name].subarray(0, batch.count) as Uint8Array);
  }
  let pos = HEADER + colBytes;
  const lengths = new Uint32Array(buf, pos, encoded.length);
  encoded.forEach((e, k) => (lengths[k] = e.length));
  pos += pad8(encoded.length * 4);
  const bytes = new Uint8Array(buf);
  for (const e of encoded) {
    bytes.set(e, pos);
    pos += e.length;
  }
  return bytes;
}

/**
 * Parses what batchToBytes produced. The columns are views of `bytes` (copied first only when
 * `bytes` is not 8-aligned). Throws BatchFormatError with what is wrong on corrupt input.
 */
export function batchFromBytes(bytes: Uint8Array): RecordBatch {
  if (bytes.byteLength < HEADER) {
    throw new BatchFormatError(`${bytes.byteLength} bytes is shorter than the 16-byte header`);
  }
  // new Uint8Array(view) copies; Node's Buffer#slice would not.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const buf = aligned.buffer as ArrayBuffer;
  const base = aligned.byteOffset;
  const view = new DataView(buf, base, aligned.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== MAGIC) throw new BatchFormatError(`bad magic 0x${magic.toString(16)} at offset 0`);
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new BatchFormatError(`unsupported version ${version} at offset 4`);
  const count = view.getUint32(8, true);
  const nStrings = view.getUint32(12, true);
  const colBytes = columnsByteLength(count);
  const lengthsAt = HEADER + colBytes;
  const textAt = lengthsAt + pad8(nStrings * 4);
  if (textAt > aligned.byteLength || nStrings < 1) {
    throw new BatchFormatError(
      `${count} rows and ${nStrings} strings need ${textAt} bytes, have ${aligned.byteLength}`,
    );
  }
  const columns = allocateColumns(count, buf, base + HEADER);
  const lengths = new Uint32Array(buf, base + lengthsAt, nStrings);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const strings: string[] = [];
  let pos = textAt;
  for (let k = 0; k < nStrings; k++) {
    const n = lengths[k] ?? 0;
    if (pos + n > aligned.byteLength) {
      throw new BatchFormatError(`string ${k} (${n} bytes at offset ${pos}) runs past the end`);
    }
    try {
      strings.push(decoder.decode(aligned.subarray(pos, pos + n)));
    } catch {
      throw new BatchFormatError(`string ${k} at offset ${pos} is not valid UTF-8`);
    }
    pos += n;
  }
  if (pos !== aligned.byteLength) {
    throw new BatchFormatError(`${aligned.byteLength - pos} trailing bytes at offset ${pos}`);
  }
  for (const name of STRING_COLUMNS) {
    const col = columns[name];
    for (let i = 0; i < count; i++) {
      if ((col[i] ?? 0) >= nStrings) {
        throw new BatchFormatError(`row ${i} ${name} refers to string ${col[i]} of ${nStrings}`);
      }
    }
  }
  const checks: readonly [ColumnName, number][] = [
    ['dir', 1],
    ['kind', 2],
    ['leader', 2],
    ['checksumOk', 2],
  ];
  for (const [name, max] of checks) {
    const col = columns[name];
    for (let i = 0; i < count; i++) {
      if ((col[i] ?? 0) > max) throw new BatchFormatError(`row ${i} has ${name} ${col[i]}`);
    }
  }
  return { count, columns, strings };
}

/** What to list as transferables when posting a batch (its columns share one ArrayBuffer). */
export function batchTransferList(batch: RecordBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const [name] of COLUMN_LAYOUT) buffers.add(batch.columns[name].buffer as ArrayBuffer);
  return [...buffers];
}
