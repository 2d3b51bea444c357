// The seam between the packet table and the panes that summarise it (counters, terminal,
// response times, expert info): the rows of every batch are read from the columns once and
// handed to each listener, and a reset comes when the view is cleared or a new session
// starts. Listeners run inside the ingest of a batch: per row they must be cheap (no
// allocation, no rendering); they publish on their own schedule.

import type { PacketTable } from '../../protocol/records/table';
import { forEachTableRow, type StatsRow } from '../../protocol/stats';

export interface RowListener {
  /** One new row, in stream order: a reused object, valid during the call only. */
  row?(row: StatsRow): void;
  /** After the rows of a batch; `skipped` rows before them never reached this view. */
  batch?(rows: number, skipped: number): void;
  /** The view starts over (Clear, a new session). */
  reset(): void;
}

const listeners = new Set<RowListener>();
let visitors: ((row: StatsRow) => void)[] = [];

function refresh(): void {
  visitors = [...listeners].flatMap((l) => (l.row ? [l.row.bind(l)] : []));
}

export function onRows(listener: RowListener): () => void {
  listeners.add(listener);
  refresh();
  return () => {
    listeners.delete(listener);
    refresh();
  };
}

export function emitRows(table: PacketTable, from: number, to: number, skipped: number): void {
  const list = visitors;
  if (list.length === 1) forEachTableRow(table, from, to, list[0]!);
  else if (list.length > 1) {
    forEachTableRow(table, from, to, (row) => {
      for (let k = 0; k < list.length; k++) list[k]!(row);
    });
  }
  for (const l of listeners) l.batch?.(Math.max(0, to - from), skipped);
}

export function emitReset(): void {
  for (const l of listeners) l.reset();
}
