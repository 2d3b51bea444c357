// Expert information: one list of what went wrong on the wire, each item linking to its
// packet, grouped like Wireshark's Expert Info dialog and counted by severity. Computed from
// the rows the session tracker annotated (stats/rows.ts), in stream order, so `kdscope` and
// the UI share it; problems outside the rows (KDNET datagrams that failed authentication)
// come in through addCaptureProblem().
//
// Links that point forward (a reply's `pair`, an ACK's `ack`) close what an earlier row
// opened, so the accumulator keeps, like the tracker, a bounded set of requests waiting for a
// reply and one data packet per direction waiting for its ACK.

import { ManipulateApi, PacketType } from '../kd/constants';
import { PacketFlag } from '../session/record';
import type { StatsRow } from './rows';

export type Severity = 'error' | 'warning' | 'note' | 'chat';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note', 'chat'];

export type ExpertGroupName =
  'checksum' | 'malformed' | 'sequence' | 'protocol' | 'response' | 'timing' | 'security';

export type ExpertKey =
  | 'bad-checksum'
  | 'bad-trailer'
  | 'bad-length'
  | 'truncated'
  | 'noise'
  | 'resend'
  | 'reset'
  | 'retransmit'
  | 'unexpected-id'
  | 'stray-ack'
  | 'no-ack'
  | 'no-response'
  | 'error-status'
  | 'silence'
  | 'breakin'
  | 'kdnet-auth';

interface KindInfo {
  readonly severity: Severity;
  readonly group: ExpertGroupName;
  readonly summary: string;
}

export const EXPERT_KINDS: Readonly<Record<ExpertKey, KindInfo>> = {
  'bad-checksum': {
    severity: 'error',
    group: 'checksum',
    summary: 'Bad checksum: the receiver drops the packet',
  },
  'bad-trailer': {
    severity: 'error',
    group: 'malformed',
    summary: 'Missing trailer: the byte after the payload is not 0xAA',
  },
  'bad-length': { severity: 'error', group: 'malformed', summary: 'ByteCount over 4000' },
  'kdnet-auth': {
    severity: 'error',
    group: 'security',
    summary: 'KDNET datagram failed authentication (wrong key or tampered)',
  },
  truncated: { severity: 'warning', group: 'malformed', summary: 'Stream ends inside a packet' },
  noise: { severity: 'warning', group: 'protocol', summary: 'Bytes that are not a KD packet' },
  resend: {
    severity: 'warning',
    group: 'sequence',
    summary: 'RESEND: the receiver asks for the last packet again',
  },
  retransmit: {
    severity: 'warning',
    group: 'sequence',
    summary: 'Duplicate packet id: a retransmission',
  },
  'unexpected-id': {
    severity: 'warning',
    group: 'sequence',
    summary: 'Unexpected packet id (a packet lost in between?)',
  },
  'stray-ack': {
    severity: 'warning',
    group: 'sequence',
    summary: 'ACK for no packet waiting for one',
  },
  'no-ack': { severity: 'warning', group: 'sequence', summary: 'Data packet never acknowledged' },
  'no-response': { severity: 'warning', group: 'response', summary: 'Request never answered' },
  'error-status': {
    severity: 'warning',
    group: 'response',
    summary: 'Manipulate call failed (NTSTATUS error)',
  },
  reset: {
    severity: 'note',
    group: 'sequence',
    summary: 'RESET: both sides return to the initial packet ids',
  },
  silence: {
    severity: 'note',
    group: 'timing',
    summary: 'Long silence while the target runs (a hang looks like this)',
  },
  breakin: { severity: 'chat', group: 'sequence', summary: 'Break-in request' },
};

export interface ExpertEntry {
  /** The packet it is about (absent for problems outside the rows). */
  readonly no?: number;
  readonly frame?: number;
  /** Milliseconds since the Unix epoch. */
  readonly time?: number;
  readonly detail?: string;
}

export interface ExpertGroup {
  readonly key: ExpertKey;
  readonly severity: Severity;
  readonly group: ExpertGroupName;
  readonly summary: string;
  readonly count: number;
  /** The first `maxEntries` occurrences, in stream order. */
  readonly entries: readonly ExpertEntry[];
}

export interface ExpertSnapshot {
  /** Most severe first, then by key. */
  readonly groups: readonly ExpertGroup[];
  readonly bySeverity: Readonly<Record<Severity, number>>;
  readonly total: number;
}

export interface ExpertOptions {
  /** A gap this long (ms) between packets while the target runs is a silence. Default 2000. */
  readonly silenceMs?: number;
  /** Occurrences kept per kind (all are counted). Default 10 000. */
  readonly maxEntries?: number;
}

const MAX_PENDING = 4096;
const RESUMES = new Set<number>([ManipulateApi.Continue, ManipulateApi.Continue2]);

interface Open {
  readonly no: number;
  readonly time: number;
  readonly frame: number;
}
type MutableOpen = { -readonly [K in keyof Open]: Open[K] };

export class ExpertAccumulator {
  private readonly silenceMs: number;
  private readonly maxEntries: number;
  private readonly counts = new Map<ExpertKey, number>();
  private readonly entries = new Map<ExpertKey, ExpertEntry[]>();
  /** Requests waiting for their reply, by no. */
  private readonly pending = new Map<number, Open>();
  /** Per direction: the good data packet waiting for its ACK. */
  /**
   * Per direction: the good data packet waiting for its ACK (no 0: none). Reused objects:
   * half the rows are data packets, and this runs for every row at flood rates.
   */
  private readonly awaitingAck: [MutableOpen, MutableOpen] = [
    { no: 0, time: 0, frame: -1 },
    { no: 0, time: 0, frame: -1 },
  ];
  private running = false;
  private lastTime = NaN;

  constructor(options: ExpertOptions = {}) {
    this.silenceMs = options.silenceMs ?? 2000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Rows in stream order (no. ascending). Allocates only for what it keeps. */
  add(row: StatsRow): void {
    // note() reads it at once; what is kept for later is copied (openOf).
    const at: Open = row;
    if (this.running && row.time - this.lastTime >= this.silenceMs) {
      this.note(
        'silence',
        at,
        `${((row.time - this.lastTime) / 1000).toFixed(1)} s without a packet`,
      );
    }
    if (!(row.time < this.lastTime)) this.lastTime = row.time;
    const f = row.flags;
    if (row.kind === 2) {
      const key: ExpertKey =
        row.garbageReason === 'bad-trailer'
          ? 'bad-trailer'
          : row.garbageReason === 'bad-length'
            ? 'bad-length'
            : row.garbageReason === 'truncated'
              ? 'truncated'
              : 'noise';
      this.note(key, at, `${row.length} bytes`);
      return;
    }
    if (row.kind === 1) {
      this.note('breakin', at);
      return;
    }
    if (f & PacketFlag.CHECKSUM_ERROR) this.note('bad-checksum', at);
    if (f & PacketFlag.RETRANSMIT) this.note('retransmit', at);
    if (f & PacketFlag.UNEXPECTED_ID) this.note('unexpected-id', at);
    if (f & PacketFlag.STRAY_ACK) this.note('stray-ack', at);
    if (f & PacketFlag.RESEND) this.note('resend', at);
    if (f & PacketFlag.ERROR_STATUS) this.note('error-status', at);
    if (f & PacketFlag.RESET) {
      this.note('reset', at);
      // Requests and packets in flight across a RESET are never answered or acknowledged.
      for (const open of this.pending.values())
        this.note('no-response', open, 'reset before the reply');
      this.pending.clear();
      for (const d of [0, 1] as const) {
        const open = this.awaitingAck[d];
        if (open.no !== 0) this.note('no-ack', open, 'reset before the ACK');
        open.no = 0;
      }
      this.running = false;
      return;
    }
    if (row.leader === 2) {
      if (row.type === PacketType.ACKNOWLEDGE && row.ack !== 0) {
        const peer = row.dir === 0 ? 1 : 0;
        if (this.awaitingAck[peer].no === row.ack) this.awaitingAck[peer].no = 0;
      }
      return;
    }
    if (row.leader !== 1 || row.checksum !== 2) return;
    // A good data packet: it waits for its ACK (unless the row already links it).
    const waiting = this.awaitingAck[row.dir];
    if (waiting.no !== 0) this.note('no-ack', waiting, `packet ${row.no} came next`);
    waiting.no = row.ack === 0 ? row.no : 0;
    waiting.time = row.time;
    waiting.frame = row.frame;
    if (row.type === PacketType.STATE_MANIPULATE) {
      if (row.dir === 0) {
        if (row.flags & PacketFlag.NO_RESPONSE && row.pair === 0) {
          this.pending.set(row.no, openOf(row));
          if (this.pending.size > MAX_PENDING) {
            const oldest = this.pending.keys().next().value as number;
            this.note('no-response', this.pending.get(oldest)!);
            this.pending.delete(oldest);
          }
        }
        if (RESUMES.has(row.api)) this.running = true;
      } else if (row.pair !== 0) {
        this.pending.delete(row.pair);
      }
    } else if (
      row.dir === 1 &&
      (row.type === PacketType.STATE_CHANGE64 || row.type === PacketType.STATE_CHANGE32)
    ) {
      this.running = false;
    }
  }

  /**
   * A problem the rows do not show (KDNET datagrams that failed authentication): `count`
   * occurrences, of which `first` is kept as the entry.
   */
  addCaptureProblem(key: ExpertKey, first: ExpertEntry, count = 1): void {
    if (count <= 0) return;
    this.note(key, first, first.detail);
    this.counts.set(key, (this.counts.get(key) ?? 0) + count - 1);
  }

  /**
   * The list as it stands. `now` (ms since the epoch) judges what is still open: requests and
   * data packets older than `waitMs` count as never answered / acknowledged. Without `now`
   * (a capture read to its end) everything still open counts.
   */
  snapshot(now?: number, waitMs = 2000): ExpertSnapshot {
    const counts = new Map(this.counts);
    const entries = new Map<ExpertKey, ExpertEntry[]>();
    for (const [k, list] of this.entries) entries.set(k, [...list]);
    const open = (key: ExpertKey, o: Open, detail: string): void => {
      if (now !== undefined && now - o.time < waitMs) return;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const list = entries.get(key) ?? [];
      if (list.length < this.maxEntries) list.push(entry(o, detail));
      entries.set(key, list);
    };
    for (const o of this.pending.values()) open('no-response', o, 'no reply yet');
    for (const o of this.awaitingAck) if (o.no !== 0) open('no-ack', o, 'no ACK yet');
    const bySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0, chat: 0 };
    const groups: ExpertGroup[] = [];
    let total = 0;
    for (const [key, count] of counts) {
      const info = EXPERT_KINDS[key];
      bySeverity[info.severity] += count;
      total += count;
      const list = (entries.get(key) ?? []).sort((a, b) => (a.no ?? 0) - (b.no ?? 0));
      groups.push({ key, ...info, count, entries: list });
    }
    groups.sort(
      (a, b) =>
        SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
        a.key.localeCompare(b.key),
    );
    return { groups, bySeverity, total };
  }

  clear(): void {
    this.counts.clear();
    this.entries.clear();
    this.pending.clear();
    this.awaitingAck[0].no = this.awaitingAck[1].no = 0;
    this.running = false;
    this.lastTime = NaN;
  }

  private note(key: ExpertKey, at: Partial<Open>, detail?: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let list = this.entries.get(key);
    if (!list) this.entries.set(key, (list = []));
    if (list.length < this.maxEntries) list.push(entry(at, detail));
  }
}

const openOf = (row: StatsRow): Open => ({ no: row.no, time: row.time, frame: row.frame });

function entry(at: Partial<Open>, detail: string | undefined): ExpertEntry {
  return {
    ...(at.no !== undefined && at.no > 0 ? { no: at.no } : {}),
    ...(at.frame !== undefined && at.frame >= 0 ? { frame: at.frame } : {}),
    ...(at.time !== undefined && !Number.isNaN(at.time) ? { time: at.time } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}
