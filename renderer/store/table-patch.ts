// Applies engine updates of rows already in the table: only the forward links (pair, ack) and
// the flags change after a row is first sent (see RecordsEvent.updates). Writes the columns
// in place with the encoding protocol/records documents for them (flags as is; pair and ack as
// `partner no - own no`, 0 = absent).
// TODO(records): use a PacketTable method for this once the table offers one.

import type { PacketRecord } from '../../protocol/session/record';
import type { PacketTable } from '../../protocol/records/table';

/** Table row holding `no`, or -1 (rows are in ascending no. order). */
export function rowOfNo(table: PacketTable, no: number): number {
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = table.value('no', mid);
    if (v === no) return mid;
    if (v < no) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Returns whether the row was found. */
export function patchRow(table: PacketTable, record: PacketRecord): boolean {
  const row = rowOfNo(table, record.no);
  if (row < 0) return false;
  const chunk = table.chunks[row >>> table.chunkShift];
  if (!chunk) return false;
  const i = row & table.chunkMask;
  chunk.columns.flags[i] = record.flags;
  chunk.columns.pair[i] = record.pair === undefined ? 0 : record.pair - record.no;
  chunk.columns.ack[i] = record.ack === undefined ? 0 : record.ack - record.no;
  return true;
}
