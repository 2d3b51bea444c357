// Per-session counters: what `kdscope decode` prints last and what the UI's status bar shows.

import type { Direction } from '../kd/events';

export interface SessionSummary {
  /** Records of every kind (packets, break-ins, garbage runs). */
  readonly records: number;
  readonly packets: number;
  readonly dataPackets: number;
  readonly controlPackets: number;
  /** Stream bytes seen per direction (packets, break-ins and garbage). */
  readonly bytes: Readonly<Record<Direction, number>>;
  /** Packet count per type name (PROTOCOL.md names, `UNKNOWN_<n>` for others). */
  readonly byType: Readonly<Record<string, number>>;
  /** Data packet count per API name (manipulate, DEBUG_IO and FILE_IO APIs). */
  readonly byApi: Readonly<Record<string, number>>;
  readonly garbageBytes: number;
  readonly garbageRuns: number;
  readonly breakins: number;
  readonly checksumErrors: number;
  readonly retransmits: number;
  readonly resends: number;
  readonly resets: number;
  readonly unexpectedIds: number;
  readonly strayAcks: number;
  /** Manipulate request/response pairs matched. */
  readonly pairs: number;
  /** Manipulate requests still without a response. */
  readonly unanswered: number;
  /** Manipulate replies with a failing NTSTATUS. */
  readonly errorStatus: number;
  /** Round-trip times of the matched pairs, in milliseconds (absent when none matched). */
  readonly rttMs?: { readonly min: number; readonly avg: number; readonly max: number };
}
