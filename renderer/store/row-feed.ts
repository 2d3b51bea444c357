// The seam between the packet table and the panes that summarise it (counters, terminal,
// response times, expert info): each gets the rows of every batch once, as the table holds
// them, and a reset when the view is cleared or a new session starts. Listeners run inside
// the ingest of a batch: they must be cheap (a pass over the new rows, no rendering).

import type { PacketTable } from '../../protocol/records/table';

export interface RowListener {
  /** Table rows [from, to) are new; `skipped` rows before them never reached this view. */
  rows(table: PacketTable, from: number, to: number, skipped: number): void;
  /** The view starts over (Clear, a new session). */
  reset(): void;
}

const listeners = new Set<RowListener>();

export function onRows(listener: RowListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function emitRows(table: PacketTable, from: number, to: number, skipped: number): void {
  for (const l of listeners) l.rows(table, from, to, skipped);
}

export function emitReset(): void {
  for (const l of listeners) l.reset();
}
