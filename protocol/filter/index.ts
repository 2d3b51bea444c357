// The display-filter language: parseFilter -> compileFilter -> matchRecord / filterTable,
// formatFilter to print a tree back, completeFilter for the filter bar.

import type { FilterError } from './ast';
import { compileFilter } from './compile';
import type { CompiledFilter } from './compile';
import { parseFilter } from './parser';

export type { CompareOp, FilterError, FilterNode, FilterValue, ParseResult } from './ast';
export { COMPARE_OPS } from './ast';
export { compileFilter, filterTable } from './compile';
export type { CompiledFilter } from './compile';
export { completeFilter } from './complete';
export type { Completion, CompletionResult, CompletionValues } from './complete';
export { FIELDS, FIELD_ALIASES, lookupField } from './fields';
export type { FieldDef, FieldKind } from './fields';
export { formatFilter } from './format';
export { MAX_FILTER_DEPTH, parseFilter } from './parser';

/** Parse and compile in one step (the CLI's --filter, the engine). */
export function createFilter(
  src: string,
): { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError } {
  const parsed = parseFilter(src);
  return parsed.ok ? { ok: true, filter: compileFilter(parsed.ast) } : parsed;
}
export { FilteredRows } from './view';
