// The display filter as the timeline uses it: parse (errors with positions), compile to a row
// test over the PacketTable columns, run over all rows or only the ones appended since.

import {
  compileFilter,
  filterTable,
  parseFilter,
  type CompiledFilter,
  type FilterError,
} from '../../protocol/filter';
import type { PacketTable } from '../../protocol/records/table';

export interface PreparedFilter {
  /** Indices of the matching rows from `from` (a table row index) on. */
  run(table: PacketTable, from?: number): Uint32Array;
}

export type PrepareResult =
  | { readonly ok: true; readonly filter: PreparedFilter }
  | { readonly ok: false; readonly error: FilterError };

/** `timeOrigin`: what `time` counts from (ms since the epoch), asked at every evaluation. */
export function prepareFilter(src: string, timeOrigin?: () => number): PrepareResult {
  const parsed = parseFilter(src);
  if (!parsed.ok) return parsed;
  let compiled: CompiledFilter;
  try {
    compiled = compileFilter(parsed.ast, timeOrigin ? { timeOrigin } : {});
  } catch (error) {
    return { ok: false, error: { message: (error as Error).message, start: 0, end: src.length } };
  }
  return { ok: true, filter: { run: (table, from = 0) => filterTable(table, compiled, from) } };
}

export interface Completion {
  readonly label: string;
  readonly detail: string;
  /** Range of the source the completion replaces. */
  readonly start: number;
  readonly end: number;
}
