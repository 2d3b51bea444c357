// How `kdscope decode` prints records: NDJSON (ARCHITECTURE.md contract) or an aligned table.
// NDJSON lines are built by hand: names come from fixed tables (quoted once and cached) and
// only free text goes through JSON.stringify, which keeps a 100 k-packet capture well under
// the time tshark needs just to count its frames.

import type { Direction } from '../../protocol/kd/events';
import { PacketFlag, type PacketRecord } from '../../protocol/session/record';
import type { SessionSummary } from '../../protocol/session/summary';

const quoted = new Map<string, string>();

/** JSON string of a name from a fixed table (type, API, state names), cached. */
function quoteName(name: string): string {
  let q = quoted.get(name);
  if (q === undefined) {
    q = JSON.stringify(name);
    if (quoted.size < 4096) quoted.set(name, q);
  }
  return q;
}

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

function ndjsonFlags(flags: number): string {
  let out = '';
  for (const [bit, name] of NDJSON_FLAGS) {
    if ((flags & bit) === 0) continue;
    out += out === '' ? name : ',' + name;
  }
  return ',"flags":[' + out + ']';
}

const DIR_FIELD: Record<Direction, string> = {
  'debugger->target': '","dir":"debugger->target","offset":',
  'target->debugger': '","dir":"target->debugger","offset":',
};

/**
 * One NDJSON line (with its newline). `withTime` adds `time` (ms since the epoch), which a
 * capture has and a raw byte stream does not.
 */
export function ndjsonRecord(r: PacketRecord, withTime: boolean): string {
  let s = '{"no":' + r.no + ',"kind":"' + r.kind + DIR_FIELD[r.dir] + r.offset;
  if (r.frame !== undefined) s += ',"frame":' + r.frame;
  if (withTime) s += ',"time":' + r.time;
  if (r.kind !== 'packet') {
    s += ',"length":' + r.length;
    if (r.garbageReason !== undefined) s += ',"reason":"' + r.garbageReason + '"';
    return s + '}\n';
  }
  s +=
    ',"leader":"' +
    r.leader +
    '","type":' +
    quoteName(r.typeName!) +
    ',"id":' +
    r.id +
    ',"byteCount":' +
    r.byteCount +
    ',"checksumOk":' +
    r.checksumOk +
    ',"retransmit":' +
    ((r.flags & PacketFlag.RETRANSMIT) !== 0);
  if (r.api !== undefined) s += ',"api":' + r.api;
  if (r.apiName !== undefined) s += ',"apiName":' + quoteName(r.apiName);
  if (r.returnStatus !== undefined) s += ',"returnStatus":' + r.returnStatus;
  if (r.newState !== undefined) s += ',"newState":' + r.newState;
  if (r.newStateName !== undefined) s += ',"newStateName":' + quoteName(r.newStateName);
  if (r.text !== undefined) s += ',"text":' + JSON.stringify(r.text);
  if (r.ack !== undefined) s += ',"ack":' + r.ack;
  if (r.pair !== undefined) s += ',"pair":' + r.pair;
  if (r.rttMs !== undefined) s += ',"rttMs":' + r.rttMs;
  if (r.resendOf !== undefined) s += ',"resendOf":' + r.resendOf;
  if ((r.flags & NDJSON_FLAG_MASK) !== 0) s += ndjsonFlags(r.flags);
  return s + '}\n';
}

export function ndjsonSummary(summary: SessionSummary, extra: Record<string, unknown>): string {
  return JSON.stringify({ kind: 'summary', ...summary, ...extra }) + '\n';
}

// ---- table ----

const FLAG_SHORT: readonly (readonly [number, string])[] = [
  [PacketFlag.RETRANSMIT, 'RETX'],
  [PacketFlag.RESEND, 'RESEND'],
  [PacketFlag.CHECKSUM_ERROR, 'CKSUM'],
  [PacketFlag.RESET, 'RESET'],
  [PacketFlag.UNEXPECTED_ID, 'BADID'],
  [PacketFlag.STRAY_ACK, 'STRAY'],
  [PacketFlag.NO_RESPONSE, 'NORESP'],
  [PacketFlag.ERROR_STATUS, 'ERR'],
];

const COLUMNS = [
  ['No.', 7],
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

const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function tableFlags(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_SHORT) if ((flags & bit) !== 0) names.push(name);
  return names.join(',');
}

/** Rows of a packet list, aligned; `Time` is seconds since the first record. */
export class TableFormatter {
  private firstTime: number | undefined;

  constructor(private readonly withTime: boolean) {}

  header(): string {
    return this.line(COLUMNS.map(([name]) => name));
  }

  row(r: PacketRecord): string {
    if (this.firstTime === undefined) this.firstTime = r.time;
    const time = this.withTime ? ((r.time - this.firstTime) / 1000).toFixed(6) : '';
    const dir = r.dir === 'debugger->target' ? 'D→T' : 'T→D';
    let type: string;
    let id = '';
    let apiState = '';
    let status = '';
    let info = '';
    if (r.kind === 'packet') {
      type = r.typeName!;
      id = hex8(r.id!);
      apiState = r.apiName ?? r.newStateName ?? '';
      // A request's ReturnStatus is meaningless; only replies carry one.
      if (r.returnStatus !== undefined && r.dir === 'target->debugger')
        status = hex8(r.returnStatus);
      info = r.info ?? (r.text !== undefined ? JSON.stringify(r.text) : '');
      if (r.ack !== undefined) info += (info ? ' ' : '') + `[ack #${r.ack}]`;
      if (r.pair !== undefined)
        info +=
          (info ? ' ' : '') +
          `[pair #${r.pair}${r.rttMs !== undefined ? ` ${r.rttMs.toFixed(3)} ms` : ''}]`;
      if (r.resendOf !== undefined) info += (info ? ' ' : '') + `[of #${r.resendOf}]`;
    } else if (r.kind === 'breakin') {
      type = 'BREAKIN';
    } else {
      type = 'GARBAGE';
      info = r.garbageReason ?? '';
    }
    return this.line([
      String(r.no),
      time,
      dir,
      type,
      id,
      apiState,
      status,
      String(r.length),
      tableFlags(r.flags),
      info,
    ]);
  }

  private line(cells: readonly string[]): string {
    let out = '';
    for (let i = 0; i < COLUMNS.length; i++) {
      const width = COLUMNS[i]![1];
      const cell = cells[i] ?? '';
      out += width === 0 ? cell : cell.padEnd(width) + ' ';
    }
    return out.trimEnd() + '\n';
  }
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
