// How `kdscope decode` prints records: NDJSON (ARCHITECTURE.md contract) or an aligned table.
// NDJSON lines are built by hand: names come from fixed tables (quoted once and cached) and
// only free text goes through JSON.stringify, which keeps a 100 k-packet capture well under
// the time tshark needs just to count its frames.

import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import type { SessionSummary } from '../../protocol/session/summary';
import type { OutputSink } from './output-sink';

/** Flags worth a mention in NDJSON (RETRANSMIT has its own field). */
const NDJSON_FLAGS: readonly (readonly [number, string])[] = [
  [PacketFlag.CHECKSUM_ERROR, '"CHECKSUM_ERROR"'],
  [PacketFlag.RESEND, '"RESEND"'],
  [PacketFlag.RESET, '"RESET"'],
  [PacketFlag.UNEXPECTED_ID, '"UNEXPECTED_ID"'],
  [PacketFlag.STRAY_ACK, '"STRAY_ACK"'],
  [PacketFlag.ERROR_STATUS, '"ERROR_STATUS"'],
  [PacketFlag.NO_RESPONSE, '"NO_RESPONSE"'],
];
const NDJSON_FLAG_MASK = NDJSON_FLAGS.reduce((mask, [bit]) => mask | bit, 0);
const NDJSON_FLAG_BYTES = NDJSON_FLAGS.map(
  ([bit, name]) => [bit, new TextEncoder().encode(name)] as const,
);

const encoder = new TextEncoder();
const ascii = (text: string): Uint8Array => encoder.encode(text);

// `,"kind":…,"dir":…,"offset":` for each kind and direction.
const K_PACKET_D2T = ascii(',"kind":"packet","dir":"debugger->target","offset":');
const K_PACKET_T2D = ascii(',"kind":"packet","dir":"target->debugger","offset":');
const K_BREAKIN_D2T = ascii(',"kind":"breakin","dir":"debugger->target","offset":');
const K_BREAKIN_T2D = ascii(',"kind":"breakin","dir":"target->debugger","offset":');
const K_GARBAGE_D2T = ascii(',"kind":"garbage","dir":"debugger->target","offset":');
const K_GARBAGE_T2D = ascii(',"kind":"garbage","dir":"target->debugger","offset":');
const K_FRAME = ascii(',"frame":');
const K_TIME = ascii(',"time":');
const K_LENGTH = ascii(',"length":');
const K_REASON = ascii(',"reason":');
/** `,"checksumOk":…,"retransmit":…` by (checksum bad ? 2 : 0) | (retransmit ? 1 : 0). */
const K_CHECKSUM_RETRANSMIT = [
  ascii(',"checksumOk":true,"retransmit":false'),
  ascii(',"checksumOk":true,"retransmit":true'),
  ascii(',"checksumOk":false,"retransmit":false'),
  ascii(',"checksumOk":false,"retransmit":true'),
] as const;
const K_API = ascii(',"api":');
const K_API_NAME = ascii(',"apiName":');
const K_RETURN_STATUS = ascii(',"returnStatus":');
const K_NEW_STATE = ascii(',"newState":');
const K_NEW_STATE_NAME = ascii(',"newStateName":');
const K_TEXT = ascii(',"text":');
const K_ACK = ascii(',"ack":');
const K_PAIR = ascii(',"pair":');
const K_RTT = ascii(',"rttMs":');
const K_RESEND_OF = ascii(',"resendOf":');
const K_FLAGS = ascii(',"flags":[');

const quotedBytes = new Map<string, Uint8Array>();

/** JSON string bytes of a name from a fixed table (type, API, state names), cached. */
function nameBytes(name: string): Uint8Array {
  let q = quotedBytes.get(name);
  if (q === undefined) {
    q = ascii(JSON.stringify(name));
    if (quotedBytes.size < 4096) quotedBytes.set(name, q);
  }
  return q;
}

/** Copies constant bytes; returns the new position. (TypedArray.set: a byte loop into a
 * Buffer measured 7x slower even for 20-byte pieces.) */
function put(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/** "00".."99" as ASCII pairs: two digits per division. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Decimal digits of an integer in [0, 2^31). */
function digitCount(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** A non-negative integer below 2^53 in decimal; returns the new position. */
function uint(buf: Uint8Array, pos: number, n: number): number {
  if (n <= 0x7fffffff) return fixedDigits(buf, pos, n, digitCount(n));
  // Split so the digit loop runs on int32 values.
  const high = Math.floor(n / 1e6);
  pos = uint(buf, pos, high);
  return fixedDigits(buf, pos, n - high * 1e6, 6);
}

/** `n` (an integer in [0, 2^31)) as exactly `digits` decimal digits, zero-padded. */
function fixedDigits(buf: Uint8Array, pos: number, n: number, digits: number): number {
  let x = n | 0;
  let at = pos + digits;
  while (x >= 100) {
    const q = (x / 100) | 0;
    const pair = (x - q * 100) << 1;
    buf[--at] = DIGIT_PAIRS[pair + 1]!;
    buf[--at] = DIGIT_PAIRS[pair]!;
    x = q;
  }
  if (x >= 10) {
    const pair = x << 1;
    buf[--at] = DIGIT_PAIRS[pair + 1]!;
    buf[--at] = DIGIT_PAIRS[pair]!;
  } else {
    buf[--at] = 48 + x;
  }
  while (at > pos) buf[--at] = 48;
  return pos + digits;
}

/** Digits of the last `whole / 1e6` written by decimal3: timestamps share them for minutes. */
let highValue = -1;
let highDigits: Uint8Array = new Uint8Array(0);

/** A non-negative number with up to three decimals (ms with µs precision), shortest form. */
function decimal3(buf: Uint8Array, pos: number, value: number): number {
  const thousandths = Math.round(value * 1000);
  const whole = Math.floor(thousandths / 1000);
  let frac = thousandths - whole * 1000;
  if (whole > 0x7fffffff) {
    const high = Math.floor(whole / 1e6);
    if (high !== highValue) {
      highValue = high;
      highDigits = ascii(String(high));
    }
    pos = put(buf, pos, highDigits);
    pos = fixedDigits(buf, pos, whole - high * 1e6, 6);
  } else {
    pos = uint(buf, pos, whole);
  }
  if (frac === 0) return pos;
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  buf[pos++] = 0x2e;
  return fixedDigits(buf, pos, frac, digits);
}

function number(buf: Uint8Array, pos: number, value: number): number {
  if (value >= 0 && value <= 9e12) return decimal3(buf, pos, value);
  return put(buf, pos, ascii(Number.isFinite(value) ? String(value) : '0'));
}

/** Bytes built from a name, cached by a number and checked against the name. */
class NamedBytesCache {
  private readonly entries = new Map<
    number,
    { readonly name: string; readonly bytes: Uint8Array }
  >();

  constructor(private readonly build: (key: number, name: string) => string) {}

  get(key: number, name: string): Uint8Array {
    const entry = this.entries.get(key);
    // Names come from fixed tables, so a hit compares one string with itself.
    if (entry !== undefined && entry.name === name) return entry.bytes;
    const bytes = ascii(this.build(key, name));
    if (this.entries.size < 4096 || entry !== undefined) this.entries.set(key, { name, bytes });
    return bytes;
  }
}

/** `,"leader":"…","type":"…","id":` per leader and type. */
const leaderTypeCache = new NamedBytesCache(
  (key, typeName) =>
    `,"leader":"${key >= 0x10000 ? 'data' : 'control'}","type":${JSON.stringify(typeName)},"id":`,
);

/** `,"api":N,"apiName":"…"` per API number. */
const apiCache = new NamedBytesCache(
  (api, apiName) => `,"api":${api},"apiName":${JSON.stringify(apiName)}`,
);

/**
 * Packet ids repeat (two per direction in a serial session): their digits are cached, with
 * the key that always follows them (one copy instead of two per record).
 */
const idDigits: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(64).fill(undefined);
const idValues = new Float64Array(64).fill(-1);
function idBytes(id: number): Uint8Array {
  const slot = ((id >>> 0) ^ (id >>> 16)) & 63;
  if (idValues[slot] === id) return idDigits[slot]!;
  const bytes = ascii(`${id},"byteCount":`);
  idValues[slot] = id;
  idDigits[slot] = bytes;
  return bytes;
}

/**
 * Writes NDJSON records as bytes straight into an OutputSink's buffer: constant key bytes,
 * digits written in place, cached names; only free text goes through JSON.stringify. No
 * string per line, nothing for the collector to do.
 */
export class NdjsonWriter {
  /** `withTime` adds `time` (ms since the epoch): a capture has it, raw streams do not. */
  constructor(
    private readonly sink: OutputSink,
    private readonly withTime: boolean,
  ) {}

  record(r: PacketRecord): void {
    const text = r.text === undefined ? undefined : JSON.stringify(r.text);
    const sink = this.sink;
    // Everything but the text fits in 1 KiB (cached names are short).
    sink.reserve(1024 + (text === undefined ? 0 : text.length * 3));
    const buf = sink.buf;
    let pos = sink.pos;
    // `{"no":` and, below, `}\n` by hand: a TypedArray.set call costs more than a few stores.
    buf[pos] = 0x7b;
    buf[pos + 1] = 0x22;
    buf[pos + 2] = 0x6e;
    buf[pos + 3] = 0x6f;
    buf[pos + 4] = 0x22;
    buf[pos + 5] = 0x3a;
    pos = uint(buf, pos + 6, r.no);
    const toTarget = r.dir === 'debugger->target';
    pos = put(
      buf,
      pos,
      r.kind === 'packet'
        ? toTarget
          ? K_PACKET_D2T
          : K_PACKET_T2D
        : r.kind === 'breakin'
          ? toTarget
            ? K_BREAKIN_D2T
            : K_BREAKIN_T2D
          : toTarget
            ? K_GARBAGE_D2T
            : K_GARBAGE_T2D,
    );
    pos = uint(buf, pos, r.offset);
    if (r.frame !== undefined) {
      pos = put(buf, pos, K_FRAME);
      pos = uint(buf, pos, r.frame);
    }
    if (this.withTime) {
      pos = put(buf, pos, K_TIME);
      pos = number(buf, pos, r.time);
    }
    if (r.kind !== 'packet') {
      pos = put(buf, pos, K_LENGTH);
      pos = uint(buf, pos, r.length);
      if (r.garbageReason !== undefined) {
        pos = put(buf, pos, K_REASON);
        pos = put(buf, pos, nameBytes(r.garbageReason));
      }
      sink.pos = endLine(buf, pos);
      return;
    }
    pos = put(
      buf,
      pos,
      leaderTypeCache.get((r.leader === 'data' ? 0x10000 : 0) | (r.type! & 0xffff), r.typeName!),
    );
    pos = put(buf, pos, idBytes(r.id!));
    pos = uint(buf, pos, r.byteCount!);
    pos = put(
      buf,
      pos,
      K_CHECKSUM_RETRANSMIT[
        (r.checksumOk ? 0 : 2) | ((r.flags & PacketFlag.RETRANSMIT) !== 0 ? 1 : 0)
      ]!,
    );
    if (r.api !== undefined && r.apiName !== undefined) {
      pos = put(buf, pos, apiCache.get(r.api, r.apiName));
    } else if (r.api !== undefined) {
      pos = put(buf, pos, K_API);
      pos = uint(buf, pos, r.api);
    } else if (r.apiName !== undefined) {
      pos = put(buf, pos, K_API_NAME);
      pos = put(buf, pos, nameBytes(r.apiName));
    }
    if (r.returnStatus !== undefined) {
      pos = put(buf, pos, K_RETURN_STATUS);
      pos = uint(buf, pos, r.returnStatus >>> 0);
    }
    if (r.newState !== undefined) {
      pos = put(buf, pos, K_NEW_STATE);
      pos = uint(buf, pos, r.newState);
    }
    if (r.newStateName !== undefined) {
      pos = put(buf, pos, K_NEW_STATE_NAME);
      pos = put(buf, pos, nameBytes(r.newStateName));
    }
    if (text !== undefined) {
      pos = put(buf, pos, K_TEXT);
      pos += buf.write(text, pos, 'utf8');
    }
    if (r.ack !== undefined) {
      pos = put(buf, pos, K_ACK);
      pos = uint(buf, pos, r.ack);
    }
    if (r.pair !== undefined) {
      pos = put(buf, pos, K_PAIR);
      pos = uint(buf, pos, r.pair);
    }
    if (r.rttMs !== undefined) {
      pos = put(buf, pos, K_RTT);
      pos = number(buf, pos, r.rttMs);
    }
    if (r.resendOf !== undefined) {
      pos = put(buf, pos, K_RESEND_OF);
      pos = uint(buf, pos, r.resendOf);
    }
    if ((r.flags & NDJSON_FLAG_MASK) !== 0) {
      pos = put(buf, pos, K_FLAGS);
      let first = true;
      for (const [bit, name] of NDJSON_FLAG_BYTES) {
        if ((r.flags & bit) === 0) continue;
        if (!first) buf[pos++] = 0x2c;
        pos = put(buf, pos, name);
        first = false;
      }
      buf[pos++] = 0x5d;
    }
    sink.pos = endLine(buf, pos);
  }
}

/** `}\n`; returns the new position. */
function endLine(buf: Uint8Array, pos: number): number {
  buf[pos] = 0x7d;
  buf[pos + 1] = 0x0a;
  return pos + 2;
}

export function ndjsonSummary(summary: SessionSummary, extra: Record<string, unknown>): string {
  return JSON.stringify({ kind: 'summary', ...summary, ...extra }) + '\n';
}

// ---- table ----

export const FLAG_SHORT: readonly (readonly [number, string])[] = [
  [PacketFlag.RETRANSMIT, 'RETX'],
  [PacketFlag.RESEND, 'RESEND'],
  [PacketFlag.CHECKSUM_ERROR, 'CKSUM'],
  [PacketFlag.RESET, 'RESET'],
  [PacketFlag.UNEXPECTED_ID, 'BADID'],
  [PacketFlag.STRAY_ACK, 'STRAY'],
  [PacketFlag.NO_RESPONSE, 'NORESP'],
  [PacketFlag.ERROR_STATUS, 'ERR'],
];

/**
 * Columns and their widths (0: the last, unpadded). A cell is padded to its width (in UTF-16
 * units, as String.padEnd counts) and followed by one space; a row loses its trailing
 * whitespace (as String.trimEnd does).
 */
export const COLUMNS = [
  ['No.', 8],
  ['Time', 12],
  ['Dir', 3],
  ['Type', 16],
  ['Id', 10],
  ['Api/State', 27],
  ['Status', 10],
  ['Len', 5],
  ['Flags', 12],
  ['Info', 0],
] as const;
const W_NO = COLUMNS[0][1];
const W_TIME = COLUMNS[1][1];
const W_TYPE = COLUMNS[3][1];
const W_API_STATE = COLUMNS[5][1];
const W_HEX = 10;
const W_LEN = COLUMNS[7][1];
const W_FLAGS = COLUMNS[8][1];

function tableFlags(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_SHORT) if ((flags & bit) !== 0) names.push(name);
  return names.join(',');
}

/** Seconds in the Time column: µs while they fit, then fewer decimals (a days-long capture). */
function fitSeconds(seconds: number): string {
  for (const decimals of [6, 3, 0]) {
    const text = seconds.toFixed(decimals);
    if (text.length <= W_TIME) return text;
  }
  return seconds.toExponential(3);
}

/** Cells from name tables (Type, Api/State) as bytes: padded to their width, with the space. */
class PaddedCells {
  private readonly cells = new Map<string, Uint8Array>();

  constructor(private readonly width: number) {}

  get(text: string): Uint8Array {
    let bytes = this.cells.get(text);
    if (bytes === undefined) {
      bytes = encoder.encode(text.padEnd(this.width) + ' ');
      if (this.cells.size < 4096) this.cells.set(text, bytes);
    }
    return bytes;
  }
}
const typeCells = new PaddedCells(W_TYPE);
const apiStateCells = new PaddedCells(W_API_STATE);

/** The Flags cell (padded, with its space) per flags value: at most 1024 of them. */
const flagCells = new Map<number, Uint8Array>();
function flagsCell(flags: number): Uint8Array {
  let bytes = flagCells.get(flags);
  if (bytes === undefined) {
    bytes = encoder.encode(tableFlags(flags).padEnd(W_FLAGS) + ' ');
    if (flagCells.size < 4096) flagCells.set(flags, bytes);
  }
  return bytes;
}

const DIR_D2T = encoder.encode('D→T ');
const DIR_T2D = encoder.encode('T→D ');
const HEX_DIGITS = encoder.encode('0123456789abcdef');
const BLANK_HEX = encoder.encode(' '.repeat(W_HEX + 1));
const BLANK_API_STATE = encoder.encode(' '.repeat(W_API_STATE + 1));
const K_ACK_OPEN = encoder.encode('[ack #');
const K_PAIR_OPEN = encoder.encode('[pair #');
const K_OF_OPEN = encoder.encode('[of #');

/** `0x` and eight hex digits of a u32, then a space: the Id and Status cells. */
function hexCell(buf: Uint8Array, pos: number, value: number): number {
  const n = value >>> 0;
  buf[pos] = 0x30;
  buf[pos + 1] = 0x78;
  for (let i = 0; i < 8; i++) buf[pos + 2 + i] = HEX_DIGITS[(n >>> (28 - 4 * i)) & 15]!;
  buf[pos + 10] = 0x20;
  return pos + 11;
}

/** ASCII `text` (toFixed output and the like), one byte per character. */
function asciiText(buf: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i);
  return pos + text.length;
}

function spaces(buf: Uint8Array, pos: number, n: number): number {
  for (let i = 0; i < n; i++) buf[pos + i] = 0x20;
  return pos + n;
}

/** `text` padded to `width` (at least one space follows it), ASCII only. */
function asciiCell(buf: Uint8Array, pos: number, text: string, width: number): number {
  return spaces(buf, asciiText(buf, pos, text), Math.max(width - text.length, 0) + 1);
}

/** A whole number cell (No., Len) padded to `width`, then a space. */
function numberCell(buf: Uint8Array, pos: number, n: number, width: number): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) return asciiCell(buf, pos, String(n), width);
  const end = uint(buf, pos, n);
  return spaces(buf, end, Math.max(width - (end - pos), 0) + 1);
}

/** Whitespace String.trimEnd removes that is one byte in UTF-8. */
const isAsciiSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * The packet list, aligned, written as bytes straight into an OutputSink (as NdjsonWriter
 * does): constant and cached cells are copied, numbers and hex written in place; only the
 * free-text Info goes through a string. `Time` is seconds since the first record.
 */
export class TableWriter {
  private firstTime: number | undefined;

  /** `withTime`: a capture has times; raw streams leave the column empty. */
  constructor(
    private readonly sink: OutputSink,
    private readonly withTime: boolean,
  ) {}

  header(): void {
    let out = '';
    for (const [name, width] of COLUMNS) out += width === 0 ? name : name.padEnd(width) + ' ';
    this.sink.write(out.trimEnd() + '\n');
  }

  record(r: PacketRecord): void {
    if (this.firstTime === undefined) this.firstTime = r.time;
    const isPacket = r.kind === 'packet';
    const info = isPacket ? packetInfo(r) : r.kind === 'garbage' ? (r.garbageReason ?? '') : '';
    const typeName = r.typeName ?? '';
    const apiState = r.apiName ?? r.newStateName;
    const sink = this.sink;
    // Numbers, hex, links and padding fit in 512 bytes; text is at most 3 bytes a unit.
    sink.reserve(512 + (info.length + typeName.length + (apiState?.length ?? 0)) * 3);
    const buf = sink.buf;
    const lineStart = sink.pos;
    let pos = numberCell(buf, lineStart, r.no, W_NO);
    if (this.withTime)
      pos = asciiCell(buf, pos, fitSeconds((r.time - this.firstTime) / 1000), W_TIME);
    else pos = spaces(buf, pos, W_TIME + 1);
    pos = put(buf, pos, r.dir === 'debugger->target' ? DIR_D2T : DIR_T2D);
    if (isPacket) {
      pos = put(buf, pos, typeCells.get(typeName));
      pos = hexCell(buf, pos, r.id ?? 0);
      pos = put(buf, pos, apiState === undefined ? BLANK_API_STATE : apiStateCells.get(apiState));
      // A request's ReturnStatus is meaningless; only replies carry one.
      if (r.returnStatus !== undefined && r.dir === 'target->debugger')
        pos = hexCell(buf, pos, r.returnStatus);
      else pos = put(buf, pos, BLANK_HEX);
    } else {
      pos = put(buf, pos, typeCells.get(r.kind === 'breakin' ? 'BREAKIN' : 'GARBAGE'));
      pos = put(buf, pos, BLANK_HEX);
      pos = put(buf, pos, BLANK_API_STATE);
      pos = put(buf, pos, BLANK_HEX);
    }
    pos = numberCell(buf, pos, r.length, W_LEN);
    pos = put(buf, pos, flagsCell(r.flags));
    if (info.length > 0) pos += buf.write(info, pos, 'utf8');
    if (isPacket) pos = this.links(buf, pos, r, info.length > 0);
    sink.pos = endRow(sink, lineStart, pos);
  }

  /** ` [ack #N] [pair #N R ms] [of #N]` after the Info text. */
  private links(buf: Uint8Array, pos: number, r: PacketRecord, spaced: boolean): number {
    if (r.ack !== undefined) {
      if (spaced) buf[pos++] = 0x20;
      pos = put(buf, pos, K_ACK_OPEN);
      pos = numberText(buf, pos, r.ack);
      buf[pos++] = 0x5d;
      spaced = true;
    }
    if (r.pair !== undefined) {
      if (spaced) buf[pos++] = 0x20;
      pos = put(buf, pos, K_PAIR_OPEN);
      pos = numberText(buf, pos, r.pair);
      if (r.rttMs !== undefined) {
        buf[pos++] = 0x20;
        pos = asciiText(buf, pos, r.rttMs.toFixed(3));
        buf[pos++] = 0x20;
        buf[pos++] = 0x6d;
        buf[pos++] = 0x73;
      }
      buf[pos++] = 0x5d;
      spaced = true;
    }
    if (r.resendOf !== undefined) {
      if (spaced) buf[pos++] = 0x20;
      pos = put(buf, pos, K_OF_OPEN);
      pos = numberText(buf, pos, r.resendOf);
      buf[pos++] = 0x5d;
    }
    return pos;
  }
}

/** A record number as String(n) writes it. */
function numberText(buf: Uint8Array, pos: number, n: number): number {
  return Number.isSafeInteger(n) && n >= 0 ? uint(buf, pos, n) : asciiText(buf, pos, String(n));
}

/** A packet's Info text before its links: the one-line info, else its DbgPrint text quoted. */
function packetInfo(r: PacketRecord): string {
  return r.info ?? (r.text !== undefined ? JSON.stringify(r.text) : '');
}

/**
 * Ends the row at `end` as String.trimEnd would, then `\n`; returns the new position. ASCII
 * whitespace is dropped byte by byte; a row that then ends in a non-ASCII character (maybe
 * Unicode whitespace) is trimmed as a string, which only free text can cause.
 */
function endRow(sink: OutputSink, start: number, end: number): number {
  const buf = sink.buf;
  while (end > start && isAsciiSpace(buf[end - 1]!)) end--;
  if (end > start && buf[end - 1]! >= 0x80) {
    const text = buf.toString('utf8', start, end).trimEnd();
    end = start + buf.write(text, start, 'utf8');
  }
  buf[end] = 0x0a;
  return end + 1;
}

export function tableSummary(s: SessionSummary): string {
  const parts = [
    `${s.packets} packets (${s.dataPackets} data, ${s.controlPackets} control)`,
    `${s.breakins} break-ins`,
    `${s.garbageBytes} garbage bytes in ${s.garbageRuns} runs`,
    `${s.checksumErrors} checksum errors`,
    `${s.retransmits} retransmits`,
    `${s.resends} resends`,
    `${s.resets} resets`,
    `${s.pairs} request/response pairs, ${s.unanswered} unanswered`,
  ];
  const types = Object.entries(s.byType)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const apis = Object.entries(s.byApi)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return `\n${parts.join(', ')}\nby type: ${types || '-'}\nby api: ${apis || '-'}\n`;
}
