// One row as the statistics see it, from either source: a PacketRecord (the CLI reads a
// capture) or a row of the renderer's columnar PacketTable. Both feeders fill the same plain
// fields, so `kdscope stats` and the UI's panes run one computation and cannot disagree.
// The table feeder reuses one object per call: consumers must copy what they keep.

import { CHECKSUM_ABSENT, CHECKSUM_OK, Present } from '../records/columns';
import type { PacketTable } from '../records/table';
import type { PacketRecord } from '../session/record';

export interface StatsRow {
  no: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** 0 debugger->target, 1 target->debugger. */
  dir: 0 | 1;
  /** 0 packet, 1 break-in, 2 garbage. */
  kind: 0 | 1 | 2;
  /** 0 absent, 1 data, 2 control. */
  leader: 0 | 1 | 2;
  /** PacketType, -1 when absent. */
  type: number;
  /** ApiNumber, -1 when absent. */
  api: number;
  apiName: string | undefined;
  /** NTSTATUS, -1 when absent (values are unsigned, so -1 is free). */
  returnStatus: number;
  /** Bytes on the wire. */
  length: number;
  flags: number;
  /** 0 absent, 1 bad, 2 good (as the checksumOk column). */
  checksum: 0 | 1 | 2;
  /** No. of the request/response partner, 0 when absent. */
  pair: number;
  /** No. of the ACK (data packet) or the acknowledged packet (ACK), 0 when absent. */
  ack: number;
  /** NaN when absent. */
  rttMs: number;
  text: string | undefined;
  garbageReason: string | undefined;
  /** Capture frame, -1 when absent. */
  frame: number;
}

export function emptyRow(): StatsRow {
  return {
    no: 0,
    time: 0,
    dir: 0,
    kind: 0,
    leader: 0,
    type: -1,
    api: -1,
    apiName: undefined,
    returnStatus: -1,
    length: 0,
    flags: 0,
    checksum: 0,
    pair: 0,
    ack: 0,
    rttMs: NaN,
    text: undefined,
    garbageReason: undefined,
    frame: -1,
  };
}

/** Fills `out` from a record (a new object when not given). */
export function rowFromRecord(r: PacketRecord, out: StatsRow = emptyRow()): StatsRow {
  out.no = r.no;
  out.time = r.time;
  out.dir = r.dir === 'target->debugger' ? 1 : 0;
  out.kind = r.kind === 'breakin' ? 1 : r.kind === 'garbage' ? 2 : 0;
  out.leader = r.leader === 'data' ? 1 : r.leader === 'control' ? 2 : 0;
  out.type = r.type ?? -1;
  out.api = r.api ?? -1;
  out.apiName = r.apiName;
  out.returnStatus = r.returnStatus ?? -1;
  out.length = r.length;
  out.flags = r.flags;
  out.checksum = r.checksumOk === undefined ? 0 : r.checksumOk ? 2 : 1;
  out.pair = r.pair ?? 0;
  out.ack = r.ack ?? 0;
  out.rttMs = r.rttMs ?? NaN;
  out.text = r.text;
  out.garbageReason = r.garbageReason;
  out.frame = r.frame ?? -1;
  return out;
}

/**
 * Calls `visit` for table rows [from, to) with one reused StatsRow read from the columns
 * (no PacketRecord, no allocation per row: this runs for every batch at flood rates).
 */
export function forEachTableRow(
  table: PacketTable,
  from: number,
  to: number,
  visit: (row: StatsRow) => void,
): void {
  const row = emptyRow();
  const start = Math.max(0, from);
  const end = Math.min(table.length, to);
  let i = start;
  while (i < end) {
    const chunk = table.chunks[i >>> table.chunkShift]!;
    const c = chunk.columns;
    const strings = chunk.strings;
    const base = i - (i & table.chunkMask);
    const stop = Math.min(end - base, chunk.count);
    for (let k = i - base; k < stop; k++) {
      const no = c.no[k]!;
      const present = c.present[k]!;
      row.no = no;
      row.time = c.time[k]!;
      row.dir = c.dir[k] as 0 | 1;
      row.kind = c.kind[k] as 0 | 1 | 2;
      row.leader = c.leader[k] as 0 | 1 | 2;
      row.type = present & Present.TYPE ? c.type[k]! : -1;
      row.api = present & Present.API ? c.api[k]! : -1;
      const apiName = c.apiName[k]!;
      row.apiName = apiName === 0 ? undefined : strings[apiName];
      row.returnStatus = present & Present.RETURN_STATUS ? c.returnStatus[k]! : -1;
      row.length = c.length[k]!;
      row.flags = c.flags[k]!;
      const ck = c.checksumOk[k]!;
      row.checksum = ck === CHECKSUM_ABSENT ? 0 : ck === CHECKSUM_OK ? 2 : 1;
      const pair = c.pair[k]!;
      row.pair = pair === 0 ? 0 : no + pair;
      const ack = c.ack[k]!;
      row.ack = ack === 0 ? 0 : no + ack;
      row.rttMs = c.rttMs[k]!;
      const text = c.text[k]!;
      row.text = text === 0 ? undefined : strings[text];
      const reason = c.garbageReason[k]!;
      row.garbageReason = reason === 0 ? undefined : strings[reason];
      row.frame = present & Present.FRAME ? c.frame[k]! : -1;
      visit(row);
    }
    i = base + stop;
  }
}
